"""The few layer calls the nets make, in one place.

The nets call these instead of the links directly so that the CPU path can
swap in faster implementations (``dcgan.ops``) while CuPy keeps Chainer's
cuDNN-backed functions. Parameters stay in the links, so saved files keep
Chainer's example's names.

Dispatch: a numpy input with fast ops enabled goes to ``dcgan.ops``;
anything else (CuPy, ChainerX, iDeep arrays, fast ops disabled, link
options the ops do not cover such as dilation or groups) goes to Chainer's
own functions through the link. Both paths compute the same function and
keep the same parameters and running statistics.

The switch, on by default::

    dcgan.models.layers.use_fast_cpu(False)          # from now on
    with dcgan.models.layers.use_fast_cpu(False):    # within the block only
        ...
    with chainer.using_config('dcgan_fast_cpu', False):  # also honoured
        ...

The fast ops are twice differentiable, so gradient penalties (R1) work on
both paths.
"""
import chainer
import chainer.functions as F
import numpy

from dcgan import ops
from dcgan.ops import fast_backend

_ENABLED = [True]


class use_fast_cpu(fast_backend.Toggle):
    """Turn the fast numpy ops on or off.

    Calling it sets the switch; used in a ``with`` statement it also puts the
    previous setting back at the end of the block.
    """

    cell = _ENABLED


def fast_cpu_enabled():
    """The switch as it stands (``chainer.config.dcgan_fast_cpu`` wins when set)."""
    configured = getattr(chainer.config, 'dcgan_fast_cpu', None)
    if configured is not None:
        return bool(configured)
    return _ENABLED[0]


def _fast(x):
    array = x.array if isinstance(x, chainer.Variable) else x
    return (type(array) is numpy.ndarray
            and array.dtype.kind == 'f'
            and fast_cpu_enabled())


def _plain_conv_link(link):
    # A link with hooks (e.g. spectral normalisation) must be called itself:
    # the fast path reads link.W directly and would skip the hook.
    return (not link.local_link_hooks
            and link.W.array is not None
            and tuple(link.dilate) == (1, 1)
            and getattr(link, 'groups', 1) == 1)


def conv(link, x):
    """Apply an ``L.Convolution2D`` link."""
    if _fast(x) and _plain_conv_link(link):
        return ops.convolution_2d(x, link.W, link.b, link.stride, link.pad)
    return link(x)


def deconv(link, x):
    """Apply an ``L.Deconvolution2D`` link."""
    if _fast(x) and _plain_conv_link(link):
        outsize = None if link.outsize == (None, None) else link.outsize
        return ops.deconvolution_2d(x, link.W, link.b, link.stride,
                                    link.pad, outsize)
    return link(x)


def batch_norm(link, x):
    """Apply an ``L.BatchNormalization`` link.

    The fast path covers training with batch statistics and the default
    axes (what the nets use); evaluation mode and fine-tuning use the link.
    While training across processes with synced statistics, the function in
    ``chainer.config.dcgan_batch_norm`` (dcgan.training.distributed) runs.
    """
    synced = _synced_batch_norm()
    if synced is not None:
        return synced(link, x, link.gamma, link.beta)
    if not _fast_batch_norm(link, x):
        return link(x)
    return ops.batch_normalization(x, *_batch_norm_args(link))


def batch_norm_act(link, x, slope=0.0, rng=None, sigma=0.0):
    """``leaky_relu(add_noise(batch_norm(link, x), rng, sigma), slope)``:
    ReLU for slope 0, no noise for sigma 0 (``rng`` is a TrainingRandom).

    One fused node when the numba kernels can take it (the batch norm's
    fast path, float32), the same calls one by one otherwise.
    """
    if (_synced_batch_norm() is None and _fast_batch_norm(link, x)
            and ops.batch_norm_fused_available(x)):
        gamma, beta, eps, avg_mean, avg_var, decay = _batch_norm_args(link)
        return ops.batch_norm_act(x, gamma, beta, eps, avg_mean, avg_var, decay,
                                  slope, rng, sigma)
    h = batch_norm(link, x)
    if sigma:
        h = add_noise(h, rng, sigma)
    return relu(h) if slope == 0 else leaky_relu(h, slope)


def _fast_batch_norm(link, x):
    return (_fast(x) and chainer.config.train and link.axis is None
            and link.avg_mean is not None)


def _batch_norm_args(link):
    xp = numpy
    gamma = link.gamma
    if gamma is None:
        gamma = xp.ones(link.avg_mean.shape, dtype=link._highprec_dtype)
    beta = link.beta
    if beta is None:
        beta = xp.zeros(link.avg_mean.shape, dtype=link._highprec_dtype)
    avg_mean, avg_var = link.avg_mean, link.avg_var
    if chainer.config.in_recomputing:
        avg_mean = avg_var = None  # as the link: no update when recomputing
    return gamma, beta, link.eps, avg_mean, avg_var, link.decay


def _synced_batch_norm():
    # Set only around a multi-process update (never in test mode there).
    synced = getattr(chainer.config, 'dcgan_batch_norm', None)
    return synced if synced is not None and chainer.config.train else None


def relu(x):
    if _fast(x):
        return ops.relu(x)
    return F.relu(x)


def leaky_relu(x, slope=0.2):
    if _fast(x):
        return ops.leaky_relu(x, slope)
    return F.leaky_relu(x, slope)


def add_noise(x, rng, sigma):
    """``x`` plus N(0, sigma^2) noise drawn from ``rng`` (a TrainingRandom)."""
    if _fast(x):
        return ops.add_noise(x, rng, sigma)
    return x + rng.normal_like(getattr(x, 'array', x), scale=sigma)


def normalize(link, x):
    """Batch-normalise ``x`` with ``link``'s statistics, eps and decay but
    unit scale and zero shift (a conditional batch norm applies its own).

    Training updates the link's running statistics as ``link(x)`` would;
    test mode uses them.
    """
    xp = chainer.backend.get_array_module(x)
    if link.avg_mean is None:
        raise ValueError('normalize needs a batch norm link of known size')
    one = xp.ones(link.avg_mean.shape, dtype=link.avg_mean.dtype)
    zero = xp.zeros(link.avg_mean.shape, dtype=link.avg_mean.dtype)
    if not chainer.config.train:
        return F.fixed_batch_normalization(x, one, zero, link.avg_mean,
                                           link.avg_var, link.eps)
    synced = _synced_batch_norm()
    if synced is not None:
        return synced(link, x, one, zero)
    avg_mean, avg_var = link.avg_mean, link.avg_var
    if chainer.config.in_recomputing:
        avg_mean = avg_var = None
    if _fast(x) and link.axis is None:
        return ops.batch_normalization(
            x, one, zero, eps=link.eps, running_mean=avg_mean,
            running_var=avg_var, decay=link.decay)
    return F.batch_normalization(x, one, zero, eps=link.eps,
                                 running_mean=avg_mean, running_var=avg_var,
                                 decay=link.decay)


def upsample(x):
    """Nearest-neighbour 2x up-sampling (each pixel becomes a 2x2 block)."""
    if _fast(x):
        return ops.upsample_nearest(x)
    return F.unpooling_2d(x, 2, stride=2, cover_all=False)
