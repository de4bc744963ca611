"""Nearest-neighbour 2x up-sampling and its adjoint, 2x2 sum pooling.

The generator's ``upsample='nearest'`` stages double a feature map this way
and then convolve it (3x3), instead of the example's 4x4 stride-2
deconvolution, whose uneven overlap draws a checkerboard (Odena et al. 2016).
Memory stays channels-last, as the convolutions around it want. Each op's
backward is the other, so both are differentiable twice.
"""
import numpy
from chainer import function_node

from dcgan.ops import _common, layout


def _upsample(x):
    """(B, C, H, W) -> (B, C, 2H, 2W) numpy, each pixel a 2x2 block."""
    t = layout.channels_last(x)  # (B, H, W, C)
    b, h, w, c = t.shape
    out = numpy.empty((b, h, 2, w, 2, c), dtype=t.dtype)
    out[...] = t[:, :, None, :, None, :]
    return layout.channels_first_view(out.reshape(b, 2 * h, 2 * w, c))


def _sum_pool(gy):
    """(B, C, 2H, 2W) -> (B, C, H, W) numpy, each 2x2 block summed."""
    t = layout.channels_last(gy)
    b, h2, w2, c = t.shape
    out = t.reshape(b, h2 // 2, 2, w2 // 2, 2, c).sum(axis=(2, 4))
    return layout.channels_first_view(out)


class UpsampleNearest(function_node.FunctionNode):

    def forward(self, inputs):
        x, = inputs
        _common.check_numpy(x)
        return _upsample(x),

    def backward(self, indexes, grad_outputs):
        gy, = grad_outputs
        return SumPool2x2().apply((gy,))


class SumPool2x2(function_node.FunctionNode):

    def forward(self, inputs):
        gy, = inputs
        _common.check_numpy(gy)
        return _sum_pool(gy),

    def backward(self, indexes, grad_outputs):
        gx, = grad_outputs
        return UpsampleNearest().apply((gx,))


def upsample_nearest(x):
    """Nearest-neighbour 2x up-sampling of (B, C, H, W) numpy ``x``."""
    y, = UpsampleNearest().apply((x,))
    return y
