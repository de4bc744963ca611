"""Importing dcgan first sets OpenBLAS's idle-thread spin to its minimum."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOW = 'import dcgan, os; print(os.environ.get("OPENBLAS_THREAD_TIMEOUT"))'


def _run(code, **env_changes):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop('OPENBLAS_THREAD_TIMEOUT', None)
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
