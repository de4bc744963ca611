"""numba kernels: batch norm (+ noise) + activation, forward and backward.

All work on C-contiguous float32 (pixels, channels) rows. Statistics and
the backward pass's sums are accumulated in float64, per chunk of
``CHUNK`` elements (whole rows), and the chunks are added in order, so a
result does not depend on the number of threads. The forward's affine
step is the NumPy op's own float32 arithmetic, ``(x - mean) * scale +
shift``; the input gradient is computed in float64 (it is a difference
of nearly equal terms) and rounded once.

Imported only when numba is installed (see ``numba_kernels``).
"""
import numpy
from numba import prange

from dcgan.ops.numba_kernels import kernel

CHUNK = 1 << 15  # elements per chunk (128 KiB of float32)


def rows_per_chunk(c):
    return max(1, CHUNK // c)


def _n_chunks(n, c):
    r = rows_per_chunk(c)
    return -(-n // r), r


@kernel
def _stats(x, origin, rows, partial):
    # partial[k] = (sum d, sum d^2) over chunk k, d = x - origin (a sample
    # of each channel: the shift keeps the one-pass variance accurate).
    n, c = x.shape
    for k in prange(partial.shape[0]):
        s1 = partial[k, 0]
        s2 = partial[k, 1]
        for j in range(c):
            s1[j] = 0.0
            s2[j] = 0.0
        for r in range(k * rows, min(n, (k + 1) * rows)):
            for j in range(c):
                d = numpy.float64(x[r, j]) - origin[j]
                s1[j] += d
                s2[j] += d * d


@kernel
def _apply(x, mean, scale, shift, noise, with_noise, slope, rows, y):
    # y = act((x - mean) * scale + shift [+ noise]); act is NumPy's
    # maximum(z, t) (NaN kept), t = 0 for ReLU (slope 0), slope * z for a
    # leaky ReLU (0 < slope <= 1).
    n, c = x.shape
    relu = slope == 0
    n_chunks = -(-n // rows)
    for k in prange(n_chunks):
        for r in range(k * rows, min(n, (k + 1) * rows)):
            for j in range(c):
                z = (x[r, j] - mean[j]) * scale[j] + shift[j]
                if with_noise:
                    z = z + noise[r, j]
                t = numpy.float32(0.0) if relu else z * slope
                y[r, j] = t if z < t else z


@kernel
def _grad_sums(x, gy, y, mean, inv_std, slope, rows, partial):
    # partial[k] = (sum gz, sum gz * x_hat) over chunk k, where gz is the
    # gradient behind the activation (gy, or slope * gy where y <= 0).
    n, c = x.shape
    for k in prange(partial.shape[0]):
        s1 = partial[k, 0]
        s2 = partial[k, 1]
        for j in range(c):
            s1[j] = 0.0
            s2[j] = 0.0
        for r in range(k * rows, min(n, (k + 1) * rows)):
            for j in range(c):
                g = gy[r, j] if y[r, j] > 0 else gy[r, j] * slope
                gz = numpy.float64(g)
                x_hat = (numpy.float64(x[r, j]) - mean[j]) * inv_std[j]
                s1[j] += gz
                s2[j] += gz * x_hat


@kernel
def _grad_x(x, gy, y, mean, inv_std, slope, a, b, d, rows, gx):
    # gx = a * gz - b * x_hat - d, in float64 (a = gamma * inv_std,
    # b = a * ggamma / n, d = a * gbeta / n).
    n, c = x.shape
    n_chunks = -(-n // rows)
    for k in prange(n_chunks):
        for r in range(k * rows, min(n, (k + 1) * rows)):
            for j in range(c):
                g = gy[r, j] if y[r, j] > 0 else gy[r, j] * slope
                x_hat = (numpy.float64(x[r, j]) - mean[j]) * inv_std[j]
                gx[r, j] = numpy.float32(a[j] * numpy.float64(g) - b[j] * x_hat - d[j])


def _reduce(partial):
    # Chunks added in order (fixed by the data's size, not the threads).
    total = numpy.zeros(partial.shape[1:], numpy.float64)
    for k in range(partial.shape[0]):
        total += partial[k]
    return total[0], total[1]


def stats(x):
    """(mean, var) of each column of the (N, C) float32 ``x``, in float64."""
    n, c = x.shape
    n_chunks, rows = _n_chunks(n, c)
    origin = x[0].astype(numpy.float64)
    partial = numpy.empty((n_chunks, 2, c), numpy.float64)
    _stats(x.size, x, origin, rows, partial)
    s1, s2 = _reduce(partial)
    mean = origin + s1 / n
    var = numpy.maximum(s2 / n - (s1 / n) ** 2, 0.0)
    return mean, var


def forward(x, mean, scale, shift, noise, slope, out):
    """out = act((x - mean) * scale + shift + noise) (float32 rows; noise
    may be None); ``slope`` 0 is ReLU."""
    n, c = x.shape
    with_noise = noise is not None
    if not with_noise:
        noise = x[:1]  # not read
    _apply(x.size * (3 if with_noise else 2), x, mean, scale, shift, noise,
           with_noise, numpy.float32(slope), rows_per_chunk(c), out)
    return out


def backward(x, gy, y, mean, inv_std, gamma, slope):
    """(gx, ggamma, gbeta) of act(batch_norm(x) [+ noise]) with batch
    statistics, given its output ``y``; mean and inv_std in float64."""
    n, c = x.shape
    n_chunks, rows = _n_chunks(n, c)
    slope = numpy.float32(slope)
    partial = numpy.empty((n_chunks, 2, c), numpy.float64)
    _grad_sums(3 * x.size, x, gy, y, mean, inv_std, slope, rows, partial)
    gbeta, ggamma = _reduce(partial)
    a = numpy.asarray(gamma, numpy.float64) * inv_std
    b = a * ggamma / n
    d = a * gbeta / n
    gx = numpy.empty_like(gy)
    _grad_x(4 * x.size, x, gy, y, mean, inv_std, slope, a, b, d, rows, gx)
    return gx, ggamma, gbeta
