"""Memorisation check: each generated image beside its nearest training images.

With 50-300 training images a GAN can learn to reproduce some of them. If
the rows of :func:`nearest_grid` show samples that are copies of their
neighbours, the generator memorised; if the neighbours only share colour and
layout, it did not.

Distance: L2 between images shrunk by averaging to at most ``compare_size``
pixels a side (16 by default) in [0, 1] floats, so a one-pixel shift or
fine noise does not hide a copy.
"""
import numpy

from dcgan.io import imaging


def shrink(images, size):
    """uint8/float (N, C, H, W) -> float32 in [0, 1], area-averaged so the
    side is at most ``size`` (by the largest integer factor that divides it).

    The block sums are taken in float64 and rounded to float32 once, so an
    image shrinks to the same float32 values whatever batch (or memory
    layout) it comes in; for uint8 the sums are of integers, hence exact."""
    x = numpy.asarray(images)
    scale = 255.0 if x.dtype == numpy.uint8 else 1.0
    x = x.astype(numpy.float64)
    n, c, h, w = x.shape
    factor = 1
    for f in range(1, h + 1):
        if h % f == 0 and w % f == 0 and h // f <= size:
            factor = f
            break
    sums = x.reshape(n, c, h // factor, factor, w // factor, factor).sum(axis=(3, 5))
    return (sums / (scale * factor * factor)).astype(numpy.float32)


# Unit roundoff and smallest normal number of float32.
_U32 = float(numpy.finfo(numpy.float32).eps) / 2
_TINY32 = float(numpy.finfo(numpy.float32).tiny)


def _expansion_error_bound(sq_a, sq_b, length):
    """(S, T) bound on |expanded - true| squared distance between rows
    a - m and b - m rounded to float32 (``length`` values, squared norms
    ``sq_a`` (S,) and ``sq_b`` (T,)), true meaning between the unrounded rows.

    The expansion |a|^2 + |b|^2 - 2 a.b is three float32 dot products of n =
    ``length`` terms and two additions. Whatever order or blocking a BLAS
    kernel sums in, with or without FMA, a float32 dot product of n terms is
    off by at most gamma_n * sum|a_l b_l| <= gamma_n |a| |b| (Cauchy-Schwarz;
    gamma_n = n u / (1 - n u), u = 2^-24: Higham, Accuracy and Stability of
    Numerical Algorithms, 3.1). So the norms are off by gamma_n |a|^2 and
    gamma_n |b|^2, the cross term by 2 gamma_n |a||b|, and the two additions
    add u (|a| + |b|)^2: gamma_(n+1) (|a| + |b|)^2 to first order. Rounding
    the centred rows to float32 moves each by at most u times its norm, so
    the distance by at most u (|a| + |b|) and its square by 2 u (|a| + |b|)^2
    (sqrt of either squared distance is <= |a| + |b|). Together that is
    gamma_(n+3) (|a| + |b|)^2 to first order; we use twice gamma_(n+4), which
    covers the second-order terms and the float32 rounding of the norms the
    bound is computed from, plus n tiny for underflow. Clipping negative
    values to 0 only moves them toward the true (non-negative) distance."""
    n = length + 4
    gamma = n * _U32 / (1 - n * _U32)
    norm_a = numpy.sqrt(sq_a.astype(numpy.float64))
    norm_b = numpy.sqrt(sq_b.astype(numpy.float64))
    return 2 * gamma * (norm_a[:, None] + norm_b[None, :]) ** 2 + n * _TINY32


def nearest_neighbours(samples, training, k=3, compare_size=16):
    """Indices (S, k) of the ``k`` nearest training images to each sample
    and their distances (S, k), nearest first (RMS difference per pixel of
    the shrunk images); ties go to the lower training index.

    Candidates come from the fast float32 expansion |a|^2 + |b|^2 - 2ab (one
    GEMM), but the distances reported, and the order, are recomputed
    directly as sum((a - b)^2) in float64 from the shrunk float32 values: a
    sample equal to a training image gets exactly 0.0, on any CPU and BLAS.
    """
    if numpy.asarray(samples).shape[1:] != numpy.asarray(training).shape[1:]:
        raise ValueError('samples {} and training images {} differ in shape'.format(
            numpy.asarray(samples).shape[1:], numpy.asarray(training).shape[1:]))
    a = shrink(samples, compare_size).reshape(len(samples), -1).astype(numpy.float64)
    b = shrink(training, compare_size).reshape(len(training), -1).astype(numpy.float64)
    k = min(k, len(training))
    order = numpy.zeros((len(a), k), numpy.int64)
    d2 = numpy.zeros((len(a), k), numpy.float64)
    if k == 0 or len(a) == 0:
        return order, d2
    # Expansion on rows centred on the training mean: distances do not
    # change, but the norms (and the cancellation, and so the error bound)
    # shrink when the images share a background or overall brightness.
    mean = b.mean(axis=0)
    ca, cb = (a - mean).astype(numpy.float32), (b - mean).astype(numpy.float32)
    sq_a, sq_b = (ca * ca).sum(1), (cb * cb).sum(1)
    expanded = numpy.maximum(sq_a[:, None] + sq_b[None, :] - 2 * ca @ cb.T, 0)
    # Which candidates to recompute. With err the bound above, the true
    # squared distance lies in [expanded - err, expanded + err]. Let t be the
    # k-th smallest upper bound (expanded + err) of a row: k training images
    # are truly within t, so the true k-th smallest distance is <= t, and
    # every image among the true k nearest (ties at the k-th included) has
    # expanded - err <= t. Recomputing all of those exactly therefore cannot
    # drop a true neighbour, however small the gaps between distances are
    # next to the float32 error; usually that is k images plus a few.
    err = _expansion_error_bound(sq_a, sq_b, a.shape[1])
    t = numpy.partition(expanded + err, k - 1, axis=1)[:, k - 1]
    candidates = (expanded - err) <= t[:, None]
    for i in range(len(a)):
        idx = numpy.flatnonzero(candidates[i])
        if len(idx) < k:  # only with NaN/inf in the images: compare with all
            idx = numpy.arange(len(b))
        diff = b[idx] - a[i]
        exact = (diff * diff).sum(1)
        # lexsort: by exact distance, then by index (ties -> lower index).
        best = numpy.lexsort((idx, exact))[:k]
        order[i], d2[i] = idx[best], exact[best]
    return order, numpy.sqrt(d2 / a.shape[1])


def nearest_grid(samples, training, k=3, compare_size=16, gap=2, order=None):
    """(H', W', C) uint8 grid: one row per sample, the sample then its ``k``
    nearest training images, a wider gap after the sample. ``order`` is
    :func:`nearest_neighbours`'s first result, when the caller has it."""
    samples = imaging.to_uint8(samples) if samples.dtype != numpy.uint8 else samples
    if order is None:
        order, _ = nearest_neighbours(samples, training, k, compare_size)
    n, c, h, w = samples.shape
    k = order.shape[1]
    cells = []
    blank = numpy.full((c, h, gap), 255, numpy.uint8)
    for i in range(n):
        row = [samples[i], blank] + [training[j] for j in order[i]]
        cells.append(numpy.concatenate(row, axis=2))
    return imaging.tile(numpy.stack(cells), n, 1, gap=gap, gap_value=255)
