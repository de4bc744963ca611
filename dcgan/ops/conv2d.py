"""2-D convolution as one GEMM over channels-last im2col columns."""
import numpy

from chainer import function_node
from chainer.utils import type_check

from dcgan.ops import _common
from dcgan.ops import fast_backend
from dcgan.ops import onednn
from dcgan.ops._common import add_bias
from dcgan.ops.im2col import im2col
from dcgan.ops.im2col import out_size
from dcgan.ops.layout import channels_first_view
from dcgan.ops.layout import channels_last


class Convolution2D(function_node.FunctionNode):
    """y = conv(x, W) + b, like ``F.convolution_2d`` (no dilation/groups).

    ``col`` may be given when the caller already holds im2col of ``x``
    (the deconvolution's backward does); the columns are kept for the
    weight gradient instead of being rebuilt in backward.
    """

    def __init__(self, stride=1, pad=0, col=None):
        self.sy, self.sx = _common.pair(stride)
        self.ph, self.pw = _common.pair(pad)
        self._col = col

    def check_type_forward(self, in_types):
        n_in = in_types.size()
        type_check.expect(2 <= n_in, n_in <= 3)
        x_type, w_type = in_types[:2]
        type_check.expect(
            x_type.dtype.kind == 'f', w_type.dtype == x_type.dtype,
            x_type.ndim == 4, w_type.ndim == 4,
            x_type.shape[1] == w_type.shape[1])
        if type_check.eval(n_in) == 3:
            b_type = in_types[2]
            type_check.expect(b_type.dtype == x_type.dtype, b_type.ndim == 1,
                              b_type.shape[0] == w_type.shape[0])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        _common.check_numpy(x, W, b)
        y = self._forward_onednn(x, W, b)
        if y is not None:
            return channels_first_view(y),
        out_c, in_c, kh, kw = W.shape
        col = self._col
        if col is None:
            col = im2col(channels_last(x), kh, kw, self.sy, self.sx,
                         self.ph, self.pw)
        self._col = col
        batch, oh, ow = col.shape[:3]
        # Weights as (O, kh*kw*C), used transposed so the GEMM result is
        # channels-last. Copying W into (kh*kw*C, O) directly instead would
        # gather with a stride of C*kh*kw floats: ~8x slower than this copy.
        w_mat = W.transpose(0, 2, 3, 1).reshape(out_c, kh * kw * in_c)
        y = numpy.matmul(col.reshape(batch * oh * ow, -1), w_mat.T)
        if b is not None:
            add_bias(y, b)
        return channels_first_view(y.reshape(batch, oh, ow, out_c)),

    def _forward_onednn(self, x, W, b):
        # oneDNN's direct convolution when installed, switched on and
        # covered; None sends the call to im2col + GEMM.
        if not (fast_backend.enabled() and onednn.usable(x, W, b)):
            return None
        kh, kw = W.shape[2:]
        out_hw = (out_size(x.shape[2], kh, self.sy, self.ph),
                  out_size(x.shape[3], kw, self.sx, self.pw))
        return onednn.forward(x, W, b, (self.sy, self.sx), (self.ph, self.pw),
                              out_hw)

    def backward(self, indexes, grad_outputs):
        from dcgan.ops.conv2d_grad_w import Convolution2DGradW
        from dcgan.ops.deconv2d import Deconvolution2D
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        stride, pad = (self.sy, self.sx), (self.ph, self.pw)
        ret = []
        if 0 in indexes:
            gx, = Deconvolution2D(stride, pad, outsize=x.shape[2:]).apply(
                (gy, W))
            ret.append(gx)
        if 1 in indexes:
            gW, = Convolution2DGradW(W.shape[2:], stride, pad,
                                     col=self._col).apply((x, gy))
            ret.append(gW)
        if 2 in indexes:
            ret.append(_common.channel_sum(gy))
        return ret


def convolution_2d(x, W, b=None, stride=1, pad=0):
    """Drop-in for ``F.convolution_2d`` (numpy arrays, no dilation/groups)."""
    inputs = (x, W) if b is None else (x, W, b)
    y, = Convolution2D(stride, pad).apply(inputs)
    return y
