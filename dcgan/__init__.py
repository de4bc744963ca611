"""dcgan: a Chainer-compatible DCGAN trainer for small image folders.

Importing this package first applies the small compatibility layer in
``dcgan.compat`` so that Chainer 7.8.1 imports on today's Python and NumPy,
and sets OPENBLAS_THREAD_TIMEOUT and OMP_WAIT_POLICY=PASSIVE (each unless
the user set it) so the idle threads of OpenBLAS and of GNU OpenMP (the
optional oneDNN kernels) sleep instead of spinning (``dcgan.blas_threads``);
they take effect when dcgan is imported before NumPy and torch.
"""
from dcgan import blas_threads

# Before NumPy loads OpenBLAS (and anything loads libgomp): idle threads
# sleep rather than spin (see dcgan/blas_threads.py; about 10 % faster).
blas_threads.prefer_sleeping_threads()

from dcgan import compat  # noqa: F401,E402  (must run before chainer is imported)

__version__ = '0.1.0'
