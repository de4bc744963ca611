"""`python dev.py gpu-check`: is this NVIDIA GPU machine ready for dcgan, and how fast is it?

1. What the machine shows: nvidia-smi's GPUs, driver and CUDA version, and
   the CUDA driver library (libcuda) itself. No GPU: one sentence, and
   nothing is installed or run.
2. A virtual environment .venvs/py3.X-gpu with the test extra and the CuPy
   for the driver's CUDA major version (gpu-cuda12 or gpu-cuda13).
3. Device, driver, CUDA, cuDNN and CuPy versions as CuPy sees them.
4. The GPU tests (pytest -m gpu), float32 throughout (NVIDIA_TF32_OVERRIDE=0).
5. A speed table (benchmarks/speed.py --device @cupy:0): the example's nets at
   32 px batch 50 and 96 px batch 10, Chainer's example update, dcgan's, and
   PyTorch on CUDA when it is installed there.
6. One summary line.

Everything printed also goes to result/gpu-check.txt. Standard library only.
"""
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOG = os.path.join('result', 'gpu-check.txt')
SPEED_ARGS = ['--sizes', '32:50,96:10', '--iters', '5', '--warmup', '2',
              '--only', 'chainer-example,dcgan detached,pytorch']
SPEED_NAMES = ('chainer-example', 'dcgan detached', 'pytorch')

# Run in the GPU environment: what CuPy and Chainer see.
VERSIONS = r"""
import dcgan, chainer, numpy
cuda = chainer.backends.cuda
print('Chainer %s, NumPy %s' % (chainer.__version__, numpy.__version__))
if not cuda.available:
    print('CuPy: does not import (%s)' % getattr(cuda, '_resolution_error', '?'))
    raise SystemExit(3)
cupy = cuda.cupy
rt = cupy.cuda.runtime
def v(n):
    return '%d.%d' % (n // 1000, n % 1000 // 10)
print('CuPy %s; CUDA runtime %s, driver supports CUDA %s'
      % (cupy.__version__, v(rt.runtimeGetVersion()), v(rt.driverGetVersion())))
try:
    n = rt.getDeviceCount()
except Exception as e:
    print('CuPy sees no GPU: %s' % e)
    raise SystemExit(4)
for i in range(n):
    p = rt.getDeviceProperties(i)
    name = p['name'].decode() if isinstance(p['name'], bytes) else p['name']
    print('GPU %d: %s, %.1f GiB, compute capability %d.%d'
          % (i, name, p['totalGlobalMem'] / 2 ** 30, p['major'], p['minor']))
if cuda.cudnn_enabled:
    print('cuDNN %s (Chainer uses it)' % cuda.cuda.cudnn.getVersion())
else:
    from dcgan.cli.devices import cudnn_note
    print('cuDNN: none; ' + cudnn_note())
"""


class GpuCheckError(Exception):
    """The check cannot go on; one sentence."""


class Tee(object):
    """Lines to the terminal and to the log file."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.file = open(path, 'w')

    def line(self, text=''):
        print(text, flush=True)
        self.file.write(text + '\n')
        self.file.flush()

    def run(self, command, env=None, timeout=None):
        """Run ``command``, copying its output here; (exit code, output)."""
        self.line('$ ' + ' '.join(command))
        lines = []
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True)
        started = time.time()
        for text in proc.stdout:
            lines.append(text.rstrip('\n'))
            self.line(lines[-1])
            if timeout and time.time() - started > timeout:
                proc.kill()
                self.line('(stopped after %d s)' % timeout)
                break
        return proc.wait(), lines


def _smi(*args):
    try:
        done = subprocess.run(['nvidia-smi'] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return 1, str(e)
    return done.returncode, done.stdout.strip()


def driver_cuda_version():
    """The CUDA version the driver library supports, e.g. (12, 4), or a
    sentence saying why there is none."""
    names = ['nvcuda.dll'] if os.name == 'nt' else ['libcuda.so.1', 'libcuda.so']
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        version = ctypes.c_int()
        if lib.cuDriverGetVersion(ctypes.byref(version)) != 0:
            return '%s loads, but cuDriverGetVersion fails' % name
        count = ctypes.c_int()
        init = lib.cuInit(0)
        if init != 0 or lib.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
            return '%s (CUDA %d.%d) loads, but lists no GPU (cuInit error %d)' % (
                name, version.value // 1000, version.value % 1000 // 10, init)
        return version.value // 1000, version.value % 1000 // 10
    return 'no CUDA driver library (%s) on this machine' % ' or '.join(names)


def find_gpu(out):
    """Print what the machine shows of an NVIDIA GPU; return the driver's
    CUDA major version, or raise a one-sentence error when there is no GPU."""
    out.line('== GPU check, %s, Python %s' % (time.strftime('%Y-%m-%d %H:%M'),
                                              sys.version.split()[0]))
    cuda = None
    if shutil.which('nvidia-smi') is None:
        out.line('nvidia-smi: not found')
    else:
        code, listed = _smi('--query-gpu=index,name,driver_version,memory.total',
                            '--format=csv,noheader')
        out.line('nvidia-smi: ' + (listed or '(no output)') if code == 0 else
                 'nvidia-smi failed (exit %d): %s' % (code, listed.splitlines()[-1:] or ''))
        _, header = _smi()
        found = re.search(r'CUDA Version:\s*(\d+)\.(\d+)', header)
        if code == 0 and found and listed:
            cuda = int(found.group(1)), int(found.group(2))
    driver = driver_cuda_version()
    out.line('CUDA driver: ' + (driver if isinstance(driver, str) else
                                'supports CUDA %d.%d' % driver))
    if not isinstance(driver, str):
        cuda = cuda or driver
    elif cuda is None:
        raise GpuCheckError('no GPU found: neither nvidia-smi nor the CUDA driver shows an '
                            'NVIDIA GPU here, so gpu-check installed and ran nothing; run it '
                            'on a machine with an NVIDIA GPU and its driver.')
    if cuda[0] < 12:
        raise GpuCheckError('the NVIDIA driver supports CUDA %d.%d, but the CuPy wheels dcgan '
                            'installs need CUDA 12 or 13; update the driver and run again.'
                            % cuda)
    return cuda[0]


def speed_summary(path):
    """'32 px/50: dcgan 812 img/s, example 301, pytorch 950; ...' from speed.py's --json."""
    try:
        with open(path) as f:
            sizes = json.load(f)
    except (OSError, ValueError):
        return 'no speed figures'
    parts = []
    for size in sizes:
        rates = {r['name']: r['img_s'] for r in size['rows'] if r['img_s']}
        shown = ['%s %.0f' % (name.split()[0], rates[name]) for name in SPEED_NAMES
                 if name in rates]
        parts.append('%d px/%d: %s img/s' % (size['resolution'], size['batchsize'],
                                             ', '.join(shown)))
    return '; '.join(parts)


def pytest_result(lines):
    for text in reversed(lines):
        if re.search(r'\d+ (passed|failed|skipped|errors?)', text):
            return text.strip('= ')
    return 'no pytest summary'


def check(out, dev, extra):
    started = time.time()
    major = find_gpu(out)
    extras = 'test,dist,gpu-cuda%d' % (13 if major >= 13 else 12)
    out.line('Environment: %s with .[%s]' % (dev.relative(dev.venv_dir('-gpu')), extras))
    python = dev.ensure_env(extras=extras, suffix='-gpu')
    env = dict(os.environ, NVIDIA_TF32_OVERRIDE='0')
    out.line()
    code, _ = out.run([python, '-c', VERSIONS], env=env)
    if code != 0:
        raise GpuCheckError('CuPy in %s cannot use the GPU (see the line above); the tests and '
                            'speed table need it.' % dev.relative(dev.venv_dir('-gpu')))
    out.line()
    tests_code, lines = out.run([python, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                                 '-m', 'gpu', '-rs'] + extra, env=env, timeout=360)
    tests = pytest_result(lines) + ('' if tests_code == 0 else ' (exit %d)' % tests_code)
    out.line()
    handle, json_path = tempfile.mkstemp(suffix='.json')
    os.close(handle)
    try:
        out.run([python, os.path.join('benchmarks', 'speed.py'), '--device', '@cupy:0',
                 '--json', json_path] + SPEED_ARGS, env=env, timeout=240)
        speed = speed_summary(json_path)
    finally:
        os.remove(json_path)
    out.line()
    verdict = 'OK' if tests_code == 0 else 'FAILED'
    out.line('gpu-check %s in %.0f s: GPU tests %s; speed %s; log %s' % (
        verdict, time.time() - started, tests, speed, LOG))
    return 0 if tests_code == 0 else 1


def main(extra, dev):
    """Called by dev.py with its module (for ensure_env, DevError, ...)."""
    out = Tee(os.path.join(ROOT, LOG))
    try:
        return check(out, dev, extra)
    except GpuCheckError as e:
        out.file.write('dev.py: error: %s\n' % e)
        raise dev.DevError(str(e))
    finally:
        out.file.close()
