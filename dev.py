"""Set up and run dcgan with whatever `python` you have (3.11, 3.12 or 3.13).

    python dev.py demo [ARGS...]   train the demo DCGAN (ARGS go to examples/train_dcgan.py)
    python dev.py test [ARGS...]   run the test suite (ARGS go to pytest)
    python dev.py gpu-check        on an NVIDIA GPU machine: versions, the GPU tests and
                                   a speed table, also written to result/gpu-check.txt

The first run creates a virtual environment in .venvs/py3.X beside this file
and installs dcgan into it (editable, with the test, dist and fast extras); later runs reuse
it until setup.py or constraints/install.txt change (DEV_VENVS_DIR in the
environment puts the environments elsewhere). Standard library only.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import time

# Arguments `demo` always passes to examples/train_dcgan.py; the user's
# extra arguments come after them, so they win for flags given twice.
# A small set (256 images, the size this tool is for) with --small-data,
# 2000 iterations: the preset keeps SWD falling there where the example's
# settings rise after 1500, and with D on every 2nd step and lazy R1 keeps D
# from winning (benchmarks/long_runs.py, docs/small-data.md). Both learning
# rates at 4e-4, twice the example's, draw clear shapes in about half of the
# samples by 2000 iterations where 2e-4 drew them in about a third
# (benchmarks/demo_shapes.py; docs/demo.md).
DEMO_ARGS = ['--iteration', '2000', '--ch', '128', '--batchsize', '32',
             '--demo_images', '256', '--small-data', '--lr_gen', '4e-4', '--lr_dis', '4e-4',
             '--snapshot_interval', '500', '--out', 'result/demo']

MIN_PYTHON = (3, 11)
ROOT = os.path.dirname(os.path.abspath(__file__))
CONSTRAINTS = os.path.join(ROOT, 'constraints', 'install.txt')
STAMP_NAME = 'dcgan-install.stamp'
USAGE = __doc__.strip()


class DevError(Exception):
    """A problem explained in one sentence; dev.py prints it and exits 2."""


def say(message):
    print('dev.py: ' + message, flush=True)


def venv_dir(suffix=''):
    # DEV_VENVS_DIR lets CI use a fresh folder without touching .venvs/.
    parent = os.environ.get('DEV_VENVS_DIR') or os.path.join(ROOT, '.venvs')
    return os.path.join(os.path.abspath(parent),
                        'py%d.%d%s' % (sys.version_info[:2] + (suffix,)))


def venv_python(path):
    if os.name == 'nt':
        return os.path.join(path, 'Scripts', 'python.exe')
    return os.path.join(path, 'bin', 'python')


def relative(path):
    # Short paths in messages, but never a climb like ../../tmp/...
    short = os.path.relpath(path, os.getcwd())
    return path if short.startswith(os.pardir) else short


def wanted_stamp(extras='test'):
    # Reinstall whenever what pip would be asked for changes.
    digest = hashlib.sha256(extras.encode())
    for path in (os.path.join(ROOT, 'setup.py'), CONSTRAINTS):
        with open(path, 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def python_works(python):
    if not os.path.exists(python):
        return False
    return subprocess.call([python, '-c', 'import sys'],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) == 0


def create_venv(path):
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        raise DevError(
            'this Python has no working venv/ensurepip module; install it '
            '(on Debian/Ubuntu: apt install python%d.%d-venv) and run again.'
            % sys.version_info[:2])
    if os.path.exists(path):
        shutil.rmtree(path)  # half-made or broken: start again
    say('creating virtual environment %s' % relative(path))
    result = subprocess.run([sys.executable, '-m', 'venv', path],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    if result.returncode != 0:
        raise DevError('"%s -m venv %s" failed: %s'
                       % (sys.executable, path, result.stdout.strip()))


def pip_env():
    env = dict(os.environ)
    # Chainer's sdist is built in an isolated environment that a -c flag
    # does not reach. Up to pip 25.2 PIP_CONSTRAINT does; newer pips read
    # PIP_BUILD_CONSTRAINT instead (seen: pip 26.3 with PIP_CONSTRAINT alone
    # fails on "No module named 'pkg_resources'"); older pips ignore it.
    env['PIP_CONSTRAINT'] = CONSTRAINTS
    env['PIP_BUILD_CONSTRAINT'] = CONSTRAINTS
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
    env['PIP_NO_INPUT'] = '1'
    return env


def install(path, python, extras='test'):
    log_path = os.path.join(path, 'install.log')
    say('installing dcgan and its dependencies into %s (first run only, '
        'a minute or two; log: %s)' % (relative(path), relative(log_path)))
    started = time.time()
    command = [python, '-m', 'pip', 'install', '-e', ROOT + '[%s]' % extras]
    with open(log_path, 'w') as log:
        log.write('$ %s\n' % ' '.join(command))
        log.flush()
        code = subprocess.call(command, cwd=ROOT, env=pip_env(),
                               stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        with open(log_path) as log:
            tail = log.readlines()[-15:]
        sys.stderr.write(''.join('    ' + line for line in tail))
        raise DevError('pip install failed (exit code %d); the full log is %s.'
                       % (code, log_path))
    say('installed in %.0f s' % (time.time() - started))


# What `demo` and `test` install: the tests, and mpi4py + MPICH for the
# multi-process tests (tests/test_distributed.py; about 2 s more), and the
# fast CPU kernels (oneDNN, numba), so the tests cover them.
DEV_EXTRAS = 'test,dist,fast'


def ensure_env(extras=DEV_EXTRAS, suffix=''):
    """Return the venv's python, creating and installing only when needed."""
    path = venv_dir(suffix)
    python = venv_python(path)
    stamp_path = os.path.join(path, STAMP_NAME)
    if not python_works(python):
        create_venv(path)
    stamp = wanted_stamp(extras)
    if read_file(stamp_path) != stamp:
        install(path, python, extras)
        with open(stamp_path + '.tmp', 'w') as f:
            f.write(stamp + '\n')
        os.replace(stamp_path + '.tmp', stamp_path)
    return python


def run(command, cwd):
    say('running ' + ' '.join(relative(c) if os.path.isabs(c) else c
                              for c in command))
    try:
        return subprocess.call(command, cwd=cwd)
    except KeyboardInterrupt:
        return 130


def main(argv):
    if not argv or argv[0] in ('-h', '--help', 'help'):
        print(USAGE)
        return 0 if argv else 2
    if sys.version_info < MIN_PYTHON:
        raise DevError('dcgan needs Python %d.%d or newer, but this is %s; '
                       'run dev.py with a newer python.'
                       % (MIN_PYTHON + (sys.version.split()[0],)))
    action, extra = argv[0], argv[1:]
    if action == 'demo':
        python = ensure_env()
        script = os.path.join(ROOT, 'examples', 'train_dcgan.py')
        # In the caller's folder, so relative paths the user passes work.
        return run([python, script] + DEMO_ARGS + extra, os.getcwd())
    if action == 'test':
        python = ensure_env()
        # In the repository, where pytest.ini is.
        return run([python, '-m', 'pytest', '-q'] + extra, ROOT)
    if action == 'gpu-check':
        from devtools import gpu_check  # standard library only, like this file
        return gpu_check.main(extra, sys.modules[__name__])
    raise DevError('unknown command "%s"; use "demo", "test" or "gpu-check" '
                   '(python dev.py --help).' % action)


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except DevError as error:
        sys.stderr.write('dev.py: error: %s\n' % error)
        sys.exit(2)
    except BrokenPipeError:
        # The reader went away (`python dev.py --help | head -1`): nothing
        # is wrong; point stdout at devnull so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
