"""dev.py's own messages (the setup and test runs are exercised by CI)."""
import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV = os.path.join(ROOT, 'dev.py')


def run(*args):
    return subprocess.run([sys.executable, DEV] + list(args), capture_output=True,
                          text=True, cwd=ROOT)


def test_help_prints_usage_and_an_unknown_command_is_one_sentence():
    shown = run('--help')
    assert shown.returncode == 0 and 'python dev.py demo' in shown.stdout
    wrong = run('trian')
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        'dev.py: error: unknown command "trian"; use "demo", "test" or "gpu-check" (python dev.py --help).']


def test_help_into_a_closed_pipe_is_quiet():
    # The reader closes before dev.py writes (as `| head -1` may): no traceback.
    proc = subprocess.Popen([sys.executable, DEV, '--help'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0, err
    assert 'Traceback' not in err


def _gpu_visible():
    import ctypes
    import shutil
    if shutil.which('nvidia-smi'):
        return True
    try:
        ctypes.CDLL('libcuda.so.1')
    except OSError:
        return False
    return True


@pytest.mark.skipif(_gpu_visible(), reason='this machine has an NVIDIA driver')
def test_gpu_check_without_a_gpu_stops_with_one_sentence_before_installing(tmp_path):
    env = dict(os.environ, DEV_VENVS_DIR=str(tmp_path / 'venvs'))
    started = time.time()
    done = subprocess.run([sys.executable, DEV, 'gpu-check'], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)
    assert time.time() - started < 10
    assert done.returncode == 2
    assert 'nvidia-smi: not found' in done.stdout and 'CUDA driver: no CUDA driver' in done.stdout
    sentence = ('dev.py: error: no GPU found: neither nvidia-smi nor the CUDA driver shows an '
                'NVIDIA GPU here, so gpu-check installed and ran nothing; run it on a machine '
                'with an NVIDIA GPU and its driver.')
    assert done.stderr.strip().splitlines() == [sentence]
    assert not (tmp_path / 'venvs').exists()  # no environment made, nothing installed
    with open(os.path.join(ROOT, 'result', 'gpu-check.txt')) as f:
        logged = f.read()
    assert 'nvidia-smi: not found' in logged and logged.rstrip().endswith(sentence)


def test_gpu_check_summarises_speed_and_tests(tmp_path):
    sys.path.insert(0, ROOT)
    try:
        from devtools import gpu_check
    finally:
        sys.path.remove(ROOT)
    rows = [{'name': 'chainer-example', 'img_s': 301.4}, {'name': 'dcgan detached', 'img_s': 812.0},
            {'name': 'cupy GEMM 2048^3', 'img_s': None}]
    path = tmp_path / 's.json'
    path.write_text(json.dumps([{'resolution': 32, 'batchsize': 50, 'rows': rows},
                                {'resolution': 96, 'batchsize': 10, 'rows': rows[:1]}]))
    assert gpu_check.speed_summary(str(path)) == \
        '32 px/50: chainer-example 301, dcgan 812 img/s; 96 px/10: chainer-example 301 img/s'
    assert gpu_check.speed_summary(str(tmp_path / 'missing.json')) == 'no speed figures'
    assert gpu_check.pytest_result(['x', '=== 19 passed, 1 skipped in 50.2s ===', '']) == \
        '19 passed, 1 skipped in 50.2s'
