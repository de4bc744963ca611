"""Batch normalization over channels-last rows.

Chainer's ``BatchNormalization`` node is reused as is (running statistics,
its double backward); only the array work is replaced: statistics are
column reductions of the (pixels, channels) matrix, the output is written
in place into the centred copy, and no dtype copies are made.
"""
import numpy

from chainer.functions.normalization import batch_normalization as _bn

from dcgan.ops import _common
from dcgan.ops.layout import as_rows
from dcgan.ops.layout import from_rows


def _channel_dot(a, b):
    # sum over rows of a * b, per column, without a temporary
    return numpy.einsum('nc,nc->c', a, b)


class ChannelsLastBatchNormImpl(_bn.GeneralBatchNormalizationImpl):
    """Array work of ``F.batch_normalization`` for numpy, default axes."""

    def forward(self, axis, gamma, x, x_layout, xp, expander,
                beta, eps, decay, running_mean, running_var):
        _common.check_numpy(x)
        rows = as_rows(x)
        n = rows.shape[0]
        mean = rows.mean(axis=0)
        centred = rows - mean
        var = _channel_dot(centred, centred) / rows.dtype.type(n)
        inv_std = numpy.reciprocal(numpy.sqrt(var + eps, dtype=var.dtype))
        centred *= (gamma * inv_std).astype(rows.dtype, copy=False)
        centred += beta.astype(rows.dtype, copy=False)
        y = from_rows(centred, x.shape)
        if running_mean is not None:
            adjust = n / max(n - 1., 1.)  # unbiased, as Chainer does
            running_mean *= decay
            running_mean += (1 - decay) * mean
            running_var *= decay
            running_var += (1 - decay) * adjust * var
        return y, x_layout, running_mean, running_var, mean, var, inv_std, None

    def backward(self, axis, gamma, gy, x, x_layout, xp,
                 expander, mean, inv_std, eps, var, forward_data):
        rows = as_rows(x)
        g = as_rows(gy)
        n = rows.shape[0]
        x_hat = rows - mean
        x_hat *= inv_std
        gbeta = g.sum(axis=0)
        ggamma = _channel_dot(g, x_hat)
        coeff = gamma * inv_std
        # gx = coeff * (gy - (x_hat * ggamma + gbeta) / n)
        gx = g * coeff
        x_hat *= coeff * ggamma / n
        gx -= x_hat
        gx -= coeff * gbeta / n
        return (from_rows(gx, x.shape), x_layout,
                ggamma.astype(gamma.dtype, copy=False),
                gbeta.astype(gamma.dtype, copy=False))


def _select_impl(node, inputs):
    return ChannelsLastBatchNormImpl()


def batch_normalization(x, gamma, beta, eps=2e-5, running_mean=None,
                        running_var=None, decay=0.9):
    """``F.batch_normalization`` with the default axes, for numpy arrays."""
    y, = _bn.BatchNormalization(
        eps, running_mean, running_var, decay,
        impl_selector=_select_impl).apply((x, gamma, beta))
    return y
