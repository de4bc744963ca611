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
    side is at most ``size`` (by the largest integer factor that divides it)."""
    x = numpy.asarray(images)
    x = x.astype(numpy.float32) / (255.0 if x.dtype == numpy.uint8 else 1.0)
    n, c, h, w = x.shape
    factor = 1
    for f in range(1, h + 1):
        if h % f == 0 and w % f == 0 and h // f <= size:
            factor = f
            break
    return x.reshape(n, c, h // factor, factor, w // factor, factor).mean(axis=(3, 5))


def nearest_neighbours(samples, training, k=3, compare_size=16):
    """Indices (S, k) of the ``k`` nearest training images to each sample
    and their distances (S, k), nearest first (RMS difference per pixel of
    the shrunk images)."""
    if numpy.asarray(samples).shape[1:] != numpy.asarray(training).shape[1:]:
        raise ValueError('samples {} and training images {} differ in shape'.format(
            numpy.asarray(samples).shape[1:], numpy.asarray(training).shape[1:]))
    a = shrink(samples, compare_size).reshape(len(samples), -1)
    b = shrink(training, compare_size).reshape(len(training), -1)
    d2 = ((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T)
    d2 = numpy.maximum(d2, 0) / a.shape[1]
    k = min(k, len(training))
    order = numpy.argsort(d2, axis=1, kind='stable')[:, :k]
    return order, numpy.sqrt(numpy.take_along_axis(d2, order, axis=1))


def nearest_grid(samples, training, k=3, compare_size=16, gap=2):
    """(H', W', C) uint8 grid: one row per sample, the sample then its ``k``
    nearest training images, a wider gap after the sample."""
    samples = imaging.to_uint8(samples) if samples.dtype != numpy.uint8 else samples
    order, _ = nearest_neighbours(samples, training, k, compare_size)
    n, c, h, w = samples.shape
    k = order.shape[1]
    cells = []
    blank = numpy.full((c, h, gap), 255, numpy.uint8)
    for i in range(n):
        row = [samples[i], blank] + [training[j] for j in order[i]]
        cells.append(numpy.concatenate(row, axis=2))
    return imaging.tile(numpy.stack(cells), n, 1, gap=gap, gap_value=255)
