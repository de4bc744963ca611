"""2-D transposed convolution: one GEMM, then col2im."""
import numpy

from chainer import function_node
from chainer.utils import type_check

from dcgan.ops import _common
from dcgan.ops import fast_backend
from dcgan.ops import onednn
from dcgan.ops._common import add_bias
from dcgan.ops.im2col import col2im
from dcgan.ops.im2col import im2col
from dcgan.ops.im2col import out_size
from dcgan.ops.layout import channels_first_view
from dcgan.ops.layout import channels_last


class Deconvolution2D(function_node.FunctionNode):
    """y = deconv(x, W) + b, like ``F.deconvolution_2d``; W is (C, O, kh, kw)."""

    def __init__(self, stride=1, pad=0, outsize=None):
        self.sy, self.sx = _common.pair(stride)
        self.ph, self.pw = _common.pair(pad)
        self.outsize = (None, None) if outsize is None else tuple(outsize)

    def check_type_forward(self, in_types):
        n_in = in_types.size()
        type_check.expect(2 <= n_in, n_in <= 3)
        x_type, w_type = in_types[:2]
        type_check.expect(
            x_type.dtype.kind == 'f', w_type.dtype == x_type.dtype,
            x_type.ndim == 4, w_type.ndim == 4,
            x_type.shape[1] == w_type.shape[0])
        if type_check.eval(n_in) == 3:
            b_type = in_types[2]
            type_check.expect(b_type.dtype == x_type.dtype, b_type.ndim == 1,
                              b_type.shape[0] == w_type.shape[1])

    def _out_hw(self, h, w, kh, kw):
        oh, ow = self.outsize
        if oh is None:
            oh = self.sy * (h - 1) + kh - 2 * self.ph
        if ow is None:
            ow = self.sx * (w - 1) + kw - 2 * self.pw
        if (out_size(oh, kh, self.sy, self.ph) != h
                or out_size(ow, kw, self.sx, self.pw) != w):
            raise ValueError(
                'outsize {} does not give input size {} for kernel {}, '
                'stride {}, pad {}'.format(
                    (oh, ow), (h, w), (kh, kw), (self.sy, self.sx),
                    (self.ph, self.pw)))
        return oh, ow

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        _common.check_numpy(x, W, b)
        h, w = x.shape[2:]
        oh, ow = self._out_hw(h, w, *W.shape[2:])
        y = None
        if fast_backend.enabled() and onednn.usable(x, W, b):
            # A transposed convolution is the input gradient of the
            # convolution y -> x.
            y = onednn.backward_data(x, W, (self.sy, self.sx),
                                     (self.ph, self.pw), (oh, ow))
        if y is None:
            y = self._forward_gemm(x, W, oh, ow)
        if b is not None:
            add_bias(y, b)
        return channels_first_view(y),

    def _forward_gemm(self, x, W, oh, ow):
        in_c, out_c, kh, kw = W.shape
        batch, _, h, w = x.shape
        if self._as_convolution(W.shape, (oh, ow), (h, w)):
            return self._forward_as_convolution(x, W)
        x_rows = channels_last(x).reshape(-1, in_c)
        w_mat = W.transpose(0, 2, 3, 1).reshape(in_c, kh * kw * out_c)
        col = numpy.matmul(x_rows, w_mat).reshape(
            batch, h, w, kh, kw, out_c)
        return col2im(col, oh, ow, self.sy, self.sx, self.ph, self.pw)

    def _as_convolution(self, w_shape, out_hw, in_hw):
        # With stride 1 a transposed convolution is a convolution with the
        # flipped kernel and pad k - 1 - p: im2col + GEMM writes the output
        # directly instead of a GEMM into k*k-fold columns and k*k strided
        # adds (col2im). Worth it when the input's columns are no wider
        # than the output's (out channels >= in channels), e.g. the
        # gradient of the discriminator's 3x3 convolutions.
        in_c, out_c, kh, kw = w_shape
        return (self.sy == 1 and self.sx == 1
                and self.ph <= kh - 1 and self.pw <= kw - 1
                and out_hw == (in_hw[0] + kh - 1 - 2 * self.ph,
                               in_hw[1] + kw - 1 - 2 * self.pw)
                and out_c >= in_c)

    def _forward_as_convolution(self, x, W):
        in_c, out_c, kh, kw = W.shape
        col = im2col(channels_last(x), kh, kw, 1, 1,
                     kh - 1 - self.ph, kw - 1 - self.pw)
        batch, oh, ow = col.shape[:3]
        # (i, j, c) x o with the kernel flipped in both directions.
        w_mat = W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(
            kh * kw * in_c, out_c)
        y = numpy.matmul(col.reshape(batch * oh * ow, -1), w_mat)
        return y.reshape(batch, oh, ow, out_c)

    def backward(self, indexes, grad_outputs):
        from dcgan.ops.conv2d import Convolution2D
        from dcgan.ops.conv2d_grad_w import Convolution2DGradW
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        kh, kw = W.shape[2:]
        stride, pad = (self.sy, self.sx), (self.ph, self.pw)
        # Both gradients need im2col of gy on the GEMM path: build it once.
        col = None
        if (0 in indexes or 1 in indexes) and not (
                fast_backend.enabled() and onednn.usable(gy.array, W.array)):
            col = im2col(channels_last(gy.array), kh, kw, self.sy, self.sx,
                         self.ph, self.pw)
        ret = []
        if 0 in indexes:
            gx, = Convolution2D(stride, pad, col=col).apply((gy, W))
            ret.append(gx)
        if 1 in indexes:
            gW, = Convolution2DGradW((kh, kw), stride, pad, col=col).apply(
                (gy, x))
            ret.append(gW)
        if 2 in indexes:
            ret.append(_common.channel_sum(gy))
        return ret


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None):
    """Drop-in for ``F.deconvolution_2d`` (numpy arrays, no dilation/groups)."""
    inputs = (x, W) if b is None else (x, W, b)
    y, = Deconvolution2D(stride, pad, outsize).apply(inputs)
    return y
