"""dcgan: a Chainer-compatible DCGAN trainer for small image folders.

Importing this package first applies the small compatibility layer in
``dcgan.compat`` so that Chainer 7.8.1 imports on today's Python and NumPy,
and, when NumPy is not loaded yet, sets OPENBLAS_THREAD_TIMEOUT (unless
set) so OpenBLAS's idle threads do not spin (``dcgan.blas_threads``).
"""
from dcgan import blas_threads

# Before NumPy loads OpenBLAS: idle BLAS threads sleep rather than spin
# (see dcgan/blas_threads.py; about 10 % faster CPU training).
blas_threads.prefer_sleeping_threads()

from dcgan import compat  # noqa: F401,E402  (must run before chainer is imported)

__version__ = '0.1.0'
