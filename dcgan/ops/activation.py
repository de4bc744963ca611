"""ReLU and leaky ReLU that keep the input's memory layout.

Chainer's CPU leaky ReLU copies the input and then rewrites the negative
entries through a boolean index, which is slow; here the output is one
``maximum`` and the backward pass is one masked copy from the saved output.
Both are twice differentiable (the gradient is linear in gy with a fixed
mask).
"""
import numpy

from chainer import function_node

from dcgan.ops import _common


def _masked_grad(gy, y, slope):
    # gx = gy where y > 0, slope * gy elsewhere, laid out like y.
    gx = numpy.empty_like(y)
    if slope == 0:
        numpy.multiply(gy, y > 0, out=gx)
    else:
        numpy.multiply(gy, slope, out=gx)
        numpy.copyto(gx, gy, where=y > 0)
    return gx


class LeakyReLU(function_node.FunctionNode):

    def __init__(self, slope=0.2):
        self.slope = float(slope)

    def forward(self, inputs):
        x, = inputs
        _common.check_numpy(x)
        if self.slope == 0:
            y = numpy.maximum(x, 0)
        elif 0 < self.slope <= 1:
            y = numpy.multiply(x, x.dtype.type(self.slope))
            numpy.maximum(x, y, out=y)
        else:
            y = numpy.where(x > 0, x, x * x.dtype.type(self.slope))
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
