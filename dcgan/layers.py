"""The few layer calls the nets make, in one place.

The nets call these instead of the links directly so that the CPU path can
swap in faster implementations (dcgan.ops) while CuPy keeps Chainer's
cuDNN-backed functions. Parameters stay in the links, so saved files keep
Chainer's example's names.
"""
import chainer.functions as F


def conv(link, x):
    """Apply an ``L.Convolution2D`` link."""
    return link(x)


def deconv(link, x):
    """Apply an ``L.Deconvolution2D`` link."""
    return link(x)


def batch_norm(link, x):
    """Apply an ``L.BatchNormalization`` link."""
    return link(x)


def relu(x):
    return F.relu(x)


def leaky_relu(x, slope=0.2):
    return F.leaky_relu(x, slope)
