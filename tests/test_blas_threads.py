"""Importing dcgan first makes OpenBLAS's and OpenMP's idle threads sleep."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOW = 'import dcgan, os; print(os.environ.get("OPENBLAS_THREAD_TIMEOUT"))'


def _run(code, removed=(), **env_changes):
    env = dict(os.environ, PYTHONPATH=ROOT)
    for name in ('OPENBLAS_THREAD_TIMEOUT',) + tuple(removed):
        env.pop(name, None)
    env.update(env_changes)
    return subprocess.run([sys.executable, '-c', code], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_import_sets_the_shortest_spin_before_numpy_loads():
    assert _run(SHOW) == '4'
    # OpenBLAS reads the variable when NumPy loads it; dcgan must not have
    # loaded NumPy before setting it.
    assert _run('import dcgan; print(dcgan.blas_threads.took_effect)') == 'True'
    # Imported after NumPy, it says it came too late.
    assert _run('import numpy, dcgan; print(dcgan.blas_threads.took_effect)') == 'False'


def test_a_value_the_user_set_is_kept():
    assert _run(SHOW, OPENBLAS_THREAD_TIMEOUT='12') == '12'
    assert _run(SHOW, OPENBLAS_THREAD_TIMEOUT='') == ''


SHOW_OMP = ('import dcgan, os; print(os.environ.get("OMP_WAIT_POLICY"), '
            'os.environ.get("GOMP_SPINCOUNT"), dcgan.blas_threads.omp_took_effect)')


def test_import_makes_openmp_threads_wait_passively_before_libgomp_loads():
    assert _run(SHOW_OMP, ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT')) == 'PASSIVE None True'


def test_a_wait_policy_or_spin_count_the_user_set_is_kept():
    assert _run(SHOW_OMP, ('GOMP_SPINCOUNT',),
                OMP_WAIT_POLICY='active') == 'active None True'
    # GOMP_SPINCOUNT alone decides how GOMP waits: no policy is added.
    assert _run(SHOW_OMP, ('OMP_WAIT_POLICY',),
                GOMP_SPINCOUNT='10000') == 'None 10000 True'

