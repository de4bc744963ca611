"""Install the dcgan package.

Chainer 7.8.1 ships only as a source package whose setup.py imports
pkg_resources, so install with constraints/install.txt in the environment,
where it also reaches the isolated build of Chainer (dev.py does this for you):

    export PIP_CONSTRAINT=constraints/install.txt        # install; build up to pip 25.2
    export PIP_BUILD_CONSTRAINT=constraints/install.txt  # build, pip >= 25.3
    pip install -e .[test]
"""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    # Parsed, not imported: importing dcgan would need Chainer installed.
    path = os.path.join(HERE, 'dcgan', '__init__.py')
    with open(path, encoding='utf-8') as f:
        match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]",
                          f.read(), re.MULTILINE)
    if match is None:
        raise RuntimeError('no __version__ = "..." line in ' + path)
    return match.group(1)


OLD_NUMPY = 'python_version < "3.13"'   # NumPy 1.x has no 3.13 wheels
NEW_NUMPY = 'python_version >= "3.13"'  # NumPy 2 + dcgan.compat patches


def cupy_for(cuda):
    return ['cupy-{}==13.6.0; {}'.format(cuda, OLD_NUMPY),
            'cupy-{}>=14; {}'.format(cuda, NEW_NUMPY)]


setup(
    name='dcgan',
    version=read_version(),
    description='A Chainer-compatible DCGAN trainer for small image folders',
    packages=find_packages(exclude=['tests', 'tests.*',
                                    'benchmarks', 'benchmarks.*']),
    python_requires='>=3.11',
    install_requires=[
        'chainer>=7.8.1,<8',
        'numpy>=1.26,<2; ' + OLD_NUMPY,
        'numpy>=2; ' + NEW_NUMPY,
        # chainer/_environment_check.py imports pkg_resources at run time;
        # Python >= 3.12 venvs have no setuptools, setuptools 82 removed
        # pkg_resources, and from 80.9 on it warns (a UserWarning, shown to
        # every user) whenever Chainer is imported.
        'setuptools<80.9',
        'pillow',
        'imageio',
        'matplotlib',  # draws loss.png (dcgan/extensions/metric_plot.py)
    ],
    extras_require={
        # CuPy for the driver's CUDA major version (nvidia-smi's "CUDA
        # Version"; `python dev.py gpu-check` picks). CuPy 13.6.0 is the
        # newest release that accepts NumPy 1.x; CuPy 14 (NumPy 2, Python
        # 3.13 here) has no cuDNN, so Chainer runs without it (docs/gpu.md).
        'gpu': cupy_for('cuda12x'),
        'gpu-cuda12': cupy_for('cuda12x'),
        'gpu-cuda13': cupy_for('cuda13x'),
        # Training on several processes (mpiexec, docs/distributed.md):
        # mpi4py and an MPI, both as wheels (MPICH's mpiexec lands beside
        # python). With a system MPI instead: pip install mpi4py alone.
        'dist': ['mpi4py>=3.1', 'mpich; sys_platform == "linux" or sys_platform == "darwin"'],
        # Faster CPU kernels, used automatically when installed
        # (dcgan/ops/fast_backend.py; README "Faster CPU training"):
        # oneDNN's convolutions (a Linux x86-64 wheel with no dependency
        # but the system's libgomp) and numba-compiled passes.
        'fast': ['onednn-cpu-gomp==2023.2.0; sys_platform == "linux" and platform_machine == "x86_64"',
                 'numba>=0.60'],
        'test': ['pytest'],
    },
    entry_points={
        'console_scripts': [
            'dcgan-train=dcgan.cli.train:main',
            'dcgan-walk=dcgan.cli.walk:main',
            'dcgan-evaluate=dcgan.cli.evaluate:main',
            'dcgan-report=dcgan.cli.report:main',
            'dcgan-pix2pix=dcgan.cli.pix2pix:main',
            'dcgan-translate=dcgan.cli.translate:main',
        ],
    },
)
