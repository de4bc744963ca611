"""Small helpers shared by the convolution nodes."""
import chainer
import numpy

from dcgan.ops import numba_kernels
from dcgan.ops import threads
from dcgan.ops.layout import as_rows


def pair(v):
    if hasattr(v, '__getitem__'):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def channel_sum(gy):
    """Sum of a (B, C, H, W) gradient Variable over all axes but C.

    Differentiable when a double backward is being built; otherwise a plain
    row sum of the channels-last matrix (no graph, no layout copy when the
    gradient came from one of our ops).
    """
    if chainer.config.enable_backprop:
        return chainer.functions.sum(gy, axis=(0, 2, 3))
    rows = as_rows(gy.array)
    return chainer.Variable(rows.sum(axis=0, dtype=rows.dtype))


def check_numpy(*arrays):
    for a in arrays:
        if a is not None and not isinstance(a, numpy.ndarray):
            raise TypeError(
                'dcgan.ops work on numpy arrays only, got {}; use '
                'chainer.functions for other devices'.format(type(a)))


def add_bias(y, b):
    """y += b over the last axis of a channels-last array, on all cores."""
    if (y.dtype == numpy.float32 and b.dtype == numpy.float32 and y.flags.c_contiguous
            and numba_kernels.usable()):
        from dcgan.ops import numba_kernels_bias
        numba_kernels_bias.add_bias(y.reshape(-1, y.shape[-1]), b)
        return

    def part(s):
        y[s] += b
    threads.parallel(part, len(y), y.size)
