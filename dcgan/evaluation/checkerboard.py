"""A number for the checkerboard texture of stride-2 up-sampling.

A generator that doubles its feature maps with 4x4 stride-2 deconvolutions
paints a faint grid: every output pixel of a stage gets contributions from a
different number of input pixels depending on its position modulo 2 (Odena
et al. 2016). In the Fourier spectrum that grid sits at the frequencies that
are multiples of R/4 (the last stage's period-2 pattern at R/2, the one
before's period-4 pattern at R/4 and 3R/4) on both axes. SWD hardly sees it.

``grid_energy`` is the share of an image's (luminance, mean removed) power
at those frequencies; :func:`checkerboard_db` compares generated images
with real ones: ``10 log10(mean share of the samples / mean share of the real
images)``, 0 dB for samples as smooth as the data, +3 dB for twice the grid
energy. Images need a side divisible by 4.
"""
import numpy


def grid_mask(height, width):
    """Boolean (H, W) DFT mask of the up-sampling grid's frequencies (no DC)."""
    if height % 4 or width % 4:
        raise ValueError('the checkerboard measure needs sides divisible by 4, got '
                         '{}x{}'.format(height, width))
    u = numpy.arange(height) % (height // 4) == 0
    v = numpy.arange(width) % (width // 4) == 0
    mask = u[:, None] & v[None, :]
    mask[0, 0] = False
    return mask


def grid_energy(images):
    """Per image, the share of its power at the grid's frequencies.

    ``images``: uint8 or float (N, C, H, W). Returns float64 (N,).
    """
    x = numpy.asarray(images, dtype=numpy.float64)
    if x.ndim != 4:
        raise ValueError('images must be (N, C, H, W), got shape {}'.format(x.shape))
    luminance = x.mean(axis=1)
    luminance = luminance - luminance.mean(axis=(1, 2), keepdims=True)
    power = numpy.abs(numpy.fft.fft2(luminance)) ** 2
    total = power.reshape(len(x), -1).sum(axis=1)
    grid = power[:, grid_mask(*x.shape[2:])].sum(axis=1)
    # A flat image has no power at all: count it as no grid.
    return numpy.where(total > 0, grid / numpy.maximum(total, 1e-30), 0.0)


class CheckerboardReference(object):
    """The real images' mean grid share, computed once, to compare samples with."""

    def __init__(self, real_images):
        self.real = float(grid_energy(real_images).mean())

    def db(self, fake_images):
        """Generated images' grid energy over the real images', in dB."""
        return checkerboard_db(self.real, float(grid_energy(fake_images).mean()))


def checkerboard_db(real_share, fake_share, floor=1e-12):
    """``10 log10(fake_share / real_share)``."""
    return float(10.0 * numpy.log10(max(fake_share, floor) / max(real_share, floor)))
