"""numba kernel: a bias added to every row of a channels-last (pixels,
channels) float32 matrix, in place.

The same float32 adds as NumPy's ``y += b``, so the same result; rows are
split in fixed chunks. (A numba bias gradient, a column sum, measured
faster than NumPy's on some of the nets' shapes and slower on others, and
would change the sums' rounding: not used.)

Imported only when numba is installed (see ``numba_kernels``).
"""
from numba import prange

from dcgan.ops.numba_kernels import kernel

CHUNK = 1 << 15  # elements per chunk (128 KiB of float32)


@kernel
def _add(y, b, rows):
    n, c = y.shape
    for k in prange(-(-n // rows)):
        for r in range(k * rows, min(n, (k + 1) * rows)):
            for j in range(c):
                y[r, j] += b[j]


def add_bias(y, b):
    """y += b for each row of the C-contiguous float32 (N, C) ``y``."""
    _add(2 * y.size, y, b, max(1, CHUNK // y.shape[1]))
