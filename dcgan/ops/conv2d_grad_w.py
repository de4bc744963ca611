"""Weight gradient of a 2-D convolution: one GEMM, columns^T @ gy."""
import numpy

from chainer import function_node

from dcgan.ops import _common
from dcgan.ops import fast_backend
from dcgan.ops import onednn
from dcgan.ops.im2col import im2col
from dcgan.ops.layout import channels_last


class Convolution2DGradW(function_node.FunctionNode):
    """gW (O, C, kh, kw) of conv(x, W) given x and gy; twice differentiable."""

    def __init__(self, ksize, stride, pad, col=None):
        self.kh, self.kw = _common.pair(ksize)
        self.sy, self.sx = _common.pair(stride)
        self.ph, self.pw = _common.pair(pad)
        self._col = col

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        _common.check_numpy(x, gy)
        if fast_backend.enabled() and onednn.usable(x, gy):
            gw = onednn.backward_weights(x, gy, (self.kh, self.kw),
                                         (self.sy, self.sx), (self.ph, self.pw))
            if gw is not None:
                self._col = None
                return gw,
        col = self._col
        if col is None:
            col = im2col(channels_last(x), self.kh, self.kw, self.sy,
                         self.sx, self.ph, self.pw)
        self._col = None  # not needed again: backward uses Variables
        in_c, out_c = x.shape[1], gy.shape[1]
        gy_rows = channels_last(gy).reshape(-1, out_c)
        if gy_rows.shape[0] != col.shape[0] * col.shape[1] * col.shape[2]:
            raise ValueError('gy does not match the convolution of x')
        gw = numpy.matmul(gy_rows.T, col.reshape(gy_rows.shape[0], -1))
        gw = gw.reshape(out_c, self.kh, self.kw, in_c).transpose(0, 3, 1, 2)
        return numpy.ascontiguousarray(gw),

    def backward(self, indexes, grad_outputs):
        from dcgan.ops.conv2d import Convolution2D
        from dcgan.ops.deconv2d import Deconvolution2D
        x, gy = self.get_retained_inputs()
        ggw, = grad_outputs
        stride, pad = (self.sy, self.sx), (self.ph, self.pw)
        ret = []
        if 0 in indexes:
            gx, = Deconvolution2D(stride, pad, outsize=x.shape[2:]).apply(
                (gy, ggw))
            ret.append(gx)
        if 1 in indexes:
            ggy, = Convolution2D(stride, pad).apply((x, ggw))
            ret.append(ggy)
        return ret
