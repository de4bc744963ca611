"""Translating held-out inputs, and scoring outputs against their targets.

``translate`` runs a U-Net generator without backprop and without touching
training: in ``'paper'`` mode (the paper's and pytorch-CycleGAN-and-pix2pix's
default, with their batch of 1) in training mode, so batch norm uses the
statistics of each batch of ``batchsize`` images and dropout is on, with
masks from a private seeded stream; the running statistics are put back
afterwards. ``'eval'`` mode uses the running statistics and no dropout: the
one that matches a model trained on batches of more than one.

Scores, per image then averaged, on host arrays:

- ``l1``: mean absolute error on the paper's [-1, 1] scale (the training
  term ``gen/l1``; twice the error on [0, 1]);
- ``psnr``: 10 log10(1 / MSE) on [0, 1] images, in dB;
- ``ssim``: Wang et al.'s SSIM (Gaussian window sigma 1.5, 11 taps, K1 0.01,
  K2 0.03, data range 1), per channel, over the window positions that fit.

The paper warns that per-pixel scores reward blur (an L1-only model does
well on them); judge with the pictures too.
"""
import chainer
import numpy

from dcgan.models.unet import statistics_kept
from dcgan.training.rng import TrainingRandom

TEST_MODES = ('paper', 'eval')


def as_float(images):
    """uint8 or float images -> float64 in [0, 1] on the host."""
    images = getattr(images, 'array', images)
    if not isinstance(images, numpy.ndarray):
        images = chainer.backend.CpuDevice().send(images)
    if images.dtype == numpy.uint8:
        return images.astype(numpy.float64) / 255.0
    return numpy.asarray(images, dtype=numpy.float64)


def translate(gen, inputs, test_mode='paper', seed=0, batchsize=1):
    """float32 outputs in [0, 1] (host, N C H W) of ``gen`` for uint8 or float ``inputs``."""
    if test_mode not in TEST_MODES:
        raise ValueError('test_mode must be paper or eval, got {!r}'.format(test_mode))
    x = numpy.asarray(as_float(inputs), dtype=numpy.float32)
    outputs = []
    with chainer.no_backprop_mode():
        if test_mode == 'eval':
            with chainer.using_config('train', False):
                for i in range(0, len(x), batchsize):
                    outputs.append(_host(gen(gen.device.send(x[i:i + batchsize]))))
        else:
            rng = TrainingRandom(seed)
            with chainer.using_config('train', True), statistics_kept(gen):
                for i in range(0, len(x), batchsize):
                    outputs.append(_host(gen(gen.device.send(x[i:i + batchsize]), rng=rng)))
    return numpy.concatenate(outputs) if outputs else numpy.zeros((0,) + x.shape[1:], 'f')


def _host(v):
    return chainer.backend.CpuDevice().send(v.array)


def l1(outputs, targets):
    """Per-image mean absolute error on the [-1, 1] scale."""
    o, t = as_float(outputs), as_float(targets)
    return 2.0 * numpy.abs(o - t).reshape(len(o), -1).mean(axis=1)


def psnr(outputs, targets):
    """Per-image PSNR in dB on [0, 1] images (100 for an exact copy)."""
    o, t = as_float(outputs), as_float(targets)
    mse = ((o - t) ** 2).reshape(len(o), -1).mean(axis=1)
    return numpy.where(mse > 0, 10.0 * numpy.log10(1.0 / numpy.maximum(mse, 1e-10)), 100.0)


def _gaussian(size, sigma):
    x = numpy.arange(size) - (size - 1) / 2.0
    g = numpy.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _filter(x, taps):
    """Separable 'valid' filtering of (..., H, W) arrays."""
    k = len(taps)
    h, w = x.shape[-2] - k + 1, x.shape[-1] - k + 1
    rows = sum(taps[i] * x[..., i:i + h, :] for i in range(k))
    return sum(taps[i] * rows[..., :, i:i + w] for i in range(k))


def ssim(outputs, targets, window=11, sigma=1.5, k1=0.01, k2=0.03):
    """Per-image SSIM (mean over channels and window positions)."""
    o, t = as_float(outputs), as_float(targets)
    size = min(window, o.shape[-2], o.shape[-1])
    taps = _gaussian(size, sigma)
    c1, c2 = k1 ** 2, k2 ** 2
    mu_o, mu_t = _filter(o, taps), _filter(t, taps)
    var_o = _filter(o * o, taps) - mu_o ** 2
    var_t = _filter(t * t, taps) - mu_t ** 2
    cov = _filter(o * t, taps) - mu_o * mu_t
    s = ((2 * mu_o * mu_t + c1) * (2 * cov + c2)) / ((mu_o ** 2 + mu_t ** 2 + c1) * (var_o + var_t + c2))
    return s.reshape(len(o), -1).mean(axis=1)


def scores(outputs, targets):
    """{'l1', 'psnr', 'ssim'}: the means over the images."""
    return {'l1': float(l1(outputs, targets).mean()),
            'psnr': float(psnr(outputs, targets).mean()),
            'ssim': float(ssim(outputs, targets).mean())}
