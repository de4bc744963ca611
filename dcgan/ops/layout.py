"""Channels-last memory behind channels-first (B, C, H, W) shapes."""
import numpy

from dcgan.ops import threads


def channels_last(x):
    """(B, C, H, W) array -> C-contiguous (B, H, W, C) array.

    No copy when ``x`` already is a view of channels-last memory, which is
    what the ops in this package return.
    """
    t = x.transpose(0, 2, 3, 1)
    if t.flags.c_contiguous:
        return t
    return threads.copy(t)


def channels_first_view(y):
    """(B, H, W, C) array -> (B, C, H, W) view of the same memory."""
    return y.transpose(0, 3, 1, 2)


def as_rows(x):
    """(B, C, ...) array -> C-contiguous (B * ..., C) matrix, one row per pixel."""
    if x.ndim == 2:
        return numpy.ascontiguousarray(x)
    axes = (0,) + tuple(range(2, x.ndim)) + (1,)
    rows = x.transpose(axes)
    if not rows.flags.c_contiguous:
        rows = threads.copy(rows)
    return rows.reshape(-1, x.shape[1])


def from_rows(rows, shape):
    """Inverse of ``as_rows``: (N, C) matrix -> view with logical ``shape``."""
    if len(shape) == 2:
        return rows.reshape(shape)
    last = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    n = len(shape)
    return rows.reshape(last).transpose((0, n - 1) + tuple(range(1, n - 1)))


def empty_channels_last(shape, dtype):
    """Uninitialised array of logical ``shape`` (B, C, H, W) whose memory is
    channels-last, so an elementwise op writing into it also converts the
    layout on the way (saving the next convolution a copy)."""
    b, c, h, w = shape
    return numpy.empty((b, h, w, c), dtype=dtype).transpose(0, 3, 1, 2)
