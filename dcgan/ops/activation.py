"""ReLU and leaky ReLU that keep the input's memory layout.

Chainer's CPU leaky ReLU copies the input and then rewrites the negative
entries through a boolean index, which is slow; here the output is one
``maximum`` and the backward pass multiplies by a factor computed from the
saved output. Both are twice differentiable (the gradient is linear in gy
with a fixed mask).
"""
import numpy

from chainer import function_node

from dcgan.ops import _common
from dcgan.ops import threads
from dcgan.ops.layout import empty_channels_last


def _masked_grad(gy, y, slope):
    # gx = gy where y > 0, slope * gy elsewhere, laid out like y.
    # Written as gy * (slope + (1 - slope) * [y > 0]) rather than a masked
    # copy: activations' signs are random, so copyto(where=) and where()
    # mispredict a branch per element and run about 3x slower than these
    # straight SIMD passes. (1 - slope) + slope rounds to exactly 1 in
    # float32 for 0 < slope <= 1, so the result is the same bit for bit.
    gx = numpy.empty_like(y)

    def part(s):
        positive = y[s] > 0
        if slope == 0:
            numpy.multiply(gy[s], positive, out=gx[s])
            return
        factor = numpy.multiply(positive, 1 - slope, dtype=y.dtype)
        factor += slope
        numpy.multiply(gy[s], factor, out=gx[s])
    threads.parallel(part, len(y), y.size)
    return gx


class LeakyReLU(function_node.FunctionNode):

    def __init__(self, slope=0.2):
        self.slope = float(slope)

    def forward(self, inputs):
        x, = inputs
        _common.check_numpy(x)
        # 4-D outputs are written channels-last whatever the input's layout
        # (an add of two arrays in different layouts hands back NCHW), so the
        # layout conversion rides on this pass instead of costing the next
        # convolution a copy.
        if x.ndim == 4:
            y = empty_channels_last(x.shape, x.dtype)
        else:
            y = numpy.empty_like(x)
        slope = x.dtype.type(self.slope)

        def part(s):
            if self.slope == 0:
                numpy.maximum(x[s], 0, out=y[s])
            elif 0 < self.slope <= 1:
                numpy.multiply(x[s], slope, out=y[s])
                numpy.maximum(x[s], y[s], out=y[s])
            else:
                numpy.copyto(y[s], numpy.where(x[s] > 0, x[s], x[s] * slope))
        threads.parallel(part, len(x), x.size)
        self.retain_outputs((0,))
        return y,

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return _MaskedGrad(y.array, self.slope).apply(grad_outputs)


class _MaskedGrad(function_node.FunctionNode):
    """gx = gy * (1 if y > 0 else slope); linear in gy, so its own backward
    is itself."""

    def __init__(self, y, slope):
        self.y = y
        self.slope = slope

    def forward(self, inputs):
        gy, = inputs
        return _masked_grad(gy, self.y, self.y.dtype.type(self.slope)),

    def backward(self, indexes, grad_outputs):
        return _MaskedGrad(self.y, self.slope).apply(grad_outputs)


def leaky_relu(x, slope=0.2):
    y, = LeakyReLU(slope).apply((x,))
    return y


def relu(x):
    y, = LeakyReLU(0.0).apply((x,))
    return y
