"""Batch normalization over channels-last rows.

Chainer's ``BatchNormalization`` node is reused as is (running statistics,
its double backward); only the array work is replaced: statistics are
column reductions of the (pixels, channels) matrix, the output is written
in place into the centred copy, and no dtype copies are made.
"""
import numpy

from chainer.functions.normalization import batch_normalization as _bn

from dcgan.ops import _common
from dcgan.ops import threads
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
        dtype = rows.dtype
        mean = _total(threads.parallel(
            lambda s: rows[s].sum(axis=0), n, rows.size)) / dtype.type(n)
        centred = numpy.empty_like(rows)

        def centre(s):
            numpy.subtract(rows[s], mean, out=centred[s])
            return _channel_dot(centred[s], centred[s])
        var = _total(threads.parallel(centre, n, rows.size)) / dtype.type(n)
        inv_std = numpy.reciprocal(numpy.sqrt(var + eps, dtype=var.dtype))
        scale = (gamma * inv_std).astype(dtype, copy=False)
        shift = beta.astype(dtype, copy=False)

        def affine(s):
            centred[s] *= scale
            centred[s] += shift
        threads.parallel(affine, n, rows.size)
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
        x_hat = numpy.empty_like(rows)

        def sums(s):
            numpy.subtract(rows[s], mean, out=x_hat[s])
            x_hat[s] *= inv_std
            return g[s].sum(axis=0), _channel_dot(g[s], x_hat[s])
        parts = threads.parallel(sums, n, rows.size)
        gbeta = _total([p[0] for p in parts])
        ggamma = _total([p[1] for p in parts])
        coeff = gamma * inv_std
        k_hat = coeff * ggamma / n
        k_const = coeff * gbeta / n
        gx = numpy.empty_like(g)

        # gx = coeff * (gy - (x_hat * ggamma + gbeta) / n)
        def grad(s):
            numpy.multiply(g[s], coeff, out=gx[s])
            x_hat[s] *= k_hat
            gx[s] -= x_hat[s]
            gx[s] -= k_const
        threads.parallel(grad, n, rows.size)
        return (from_rows(gx, x.shape), x_layout,
                ggamma.astype(gamma.dtype, copy=False),
                gbeta.astype(gamma.dtype, copy=False))


def _total(parts):
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _select_impl(node, inputs):
    return ChannelsLastBatchNormImpl()


def batch_normalization(x, gamma, beta, eps=2e-5, running_mean=None,
                        running_var=None, decay=0.9):
    """``F.batch_normalization`` with the default axes, for numpy arrays."""
    y, = _bn.BatchNormalization(
        eps, running_mean, running_var, decay,
        impl_selector=_select_impl).apply((x, gamma, beta))
    return y
