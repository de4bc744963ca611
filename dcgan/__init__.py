"""dcgan: a Chainer-compatible DCGAN trainer for small image folders.

Importing this package first applies the small compatibility layer in
``dcgan.compat`` so that Chainer 7.8.1 imports on today's Python and NumPy.
"""
from dcgan import compat  # noqa: F401  (must run before chainer is imported)

__version__ = '0.1.0'
