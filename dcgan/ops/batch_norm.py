"""Batch normalization over channels-last rows.

Chainer's ``BatchNormalization`` node is reused as is (running statistics,
its double backward); only the array work is replaced: statistics are
column reductions of the (pixels, channels) matrix, the output is written
in place into the centred copy, and no dtype copies are made. With the
numba kernels (``numba_kernels``), float32 arrays go through them instead,
and ``batch_norm_act`` fuses batch norm, noise and activation into one
first-order node (``BatchNormAct``).
"""
import chainer
from chainer import function_node
import numpy

from chainer.functions.normalization import batch_normalization as _bn

from dcgan.ops import _common
from dcgan.ops import activation
from dcgan.ops import numba_kernels
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
        if _compiled(x):
            y, mean, var, inv_std = _compiled_forward(x, gamma, beta, eps, 1.0)
            _update_running(running_mean, running_var, decay, mean, var, x.size // x.shape[1])
            return y, x_layout, running_mean, running_var, mean, var, inv_std, None
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
        _update_running(running_mean, running_var, decay, mean, var, n)
        return y, x_layout, running_mean, running_var, mean, var, inv_std, None

    def backward(self, axis, gamma, gy, x, x_layout, xp,
                 expander, mean, inv_std, eps, var, forward_data):
        if _compiled(x, gy):
            gx, ggamma, gbeta = numba_kernels_bn().backward(
                as_rows(x), as_rows(gy), as_rows(gy), mean.astype(numpy.float64),
                inv_std.astype(numpy.float64), gamma, 1.0)
            return (from_rows(gx, x.shape), x_layout,
                    ggamma.astype(gamma.dtype), gbeta.astype(gamma.dtype))
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


def _update_running(running_mean, running_var, decay, mean, var, n):
    if running_mean is not None:
        adjust = n / max(n - 1., 1.)  # unbiased, as Chainer does
        running_mean *= decay
        running_mean += (1 - decay) * mean
        running_var *= decay
        running_var += (1 - decay) * adjust * var


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


def numba_kernels_bn():
    from dcgan.ops import numba_kernels_bn as module  # needs numba
    return module


def _compiled(*arrays):
    return (numba_kernels.usable()
            and all(a.dtype == numpy.float32 for a in arrays))


def _compiled_forward(x, gamma, beta, eps, slope, rng=None, sigma=0.0, exact=False):
    """act(batch_norm(x) [+ noise]) by the numba kernels: y (channels-last
    memory), then mean, var, inv_std in float32 (or float64 if ``exact``)."""
    kernels = numba_kernels_bn()
    rows = as_rows(x)
    mean, var = kernels.stats(rows)
    inv_std = 1.0 / numpy.sqrt(var + eps)
    f32 = numpy.float32
    scale = (numpy.asarray(gamma, numpy.float64) * inv_std).astype(f32)
    out = numpy.empty_like(rows)
    y = from_rows(out, x.shape)
    noise = None
    if sigma:
        # The same numbers, drawn at the same point of the stream, as
        # add_noise after batch_normalization: only the add is fused.
        noise = as_rows(rng.normal_like(y, sigma))
    kernels.forward(rows, mean.astype(f32), scale, beta.astype(f32, copy=False),
                    noise, slope, out)
    if exact:
        return y, mean, var, inv_std
    return y, mean.astype(f32), var.astype(f32), inv_std.astype(f32)


class BatchNormAct(function_node.FunctionNode):
    """``act(batch_normalization(x) + sigma * noise)`` as one node: one
    pass forward, two back, by the numba kernels (float32 numpy arrays).

    First-order: while a double backward is being recorded (R1), its
    backward builds the composed nodes' gradient (activation's masked
    gradient, then Chainer's BatchNormalizationGrad), which are twice
    differentiable.
    """

    def __init__(self, eps, running_mean, running_var, decay, slope, rng, sigma):
        self.eps = eps
        self.running_mean = running_mean
        self.running_var = running_var
        self.decay = decay
        self.slope = float(slope)
        self.rng = rng
        self.sigma = sigma

    def forward(self, inputs):
        x, gamma, beta = inputs
        _common.check_numpy(x)
        self.retain_inputs((0, 1))
        y, self.mean, var, self.inv_std = _compiled_forward(
            x, gamma, beta, self.eps, self.slope, self.rng, self.sigma, exact=True)
        f32 = numpy.float32
        _update_running(self.running_mean, self.running_var, self.decay,
                        self.mean.astype(f32), var.astype(f32), x.size // x.shape[1])
        self.retain_outputs((0,))
        return y,

    def backward(self, indexes, grad_outputs):
        x, gamma = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        gy, = grad_outputs
        if chainer.config.enable_backprop:
            return self._composed_backward(x, gamma, y, gy)
        gx, ggamma, gbeta = numba_kernels_bn().backward(
            as_rows(x.array), as_rows(gy.array), as_rows(y.array), self.mean,
            self.inv_std, gamma.array, self.slope)
        dtype = gamma.dtype
        return (chainer.Variable(from_rows(gx, x.shape)),
                chainer.Variable(ggamma.astype(dtype)), chainer.Variable(gbeta.astype(dtype)))

    def _composed_backward(self, x, gamma, y, gy):
        gz, = activation._MaskedGrad(y.array, self.slope).apply((gy,))
        axis = _bn._compute_axis(x.ndim, gamma.ndim, None)
        key_axis = _bn._compute_key_axis(x.ndim, gamma.ndim, axis)
        expander = tuple(slice(None) if i in key_axis else None for i in range(x.ndim))
        f32 = numpy.float32
        grad = _bn.BatchNormalizationGrad(
            self.eps, expander, axis, self.mean.astype(f32), None,
            self.inv_std.astype(f32), key_axis, ChannelsLastBatchNormImpl(), None)
        return grad.apply((x, gamma, gz))


def batch_norm_act(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None,
                   decay=0.9, slope=0.0, rng=None, sigma=0.0):
    """``leaky_relu(batch_normalization(x) + sigma * N(0, 1), slope)``
    (ReLU for slope 0; the noise from ``rng``, a TrainingRandom, as
    ``add_noise`` draws it) for float32 numpy arrays when the numba kernels
    are usable (``fused_available``)."""
    y, = BatchNormAct(eps, running_mean, running_var, decay, slope,
                      rng, sigma).apply((x, gamma, beta))
    return y


def fused_available(x):
    """Whether ``batch_norm_act`` can take ``x`` (an array or Variable)."""
    array = getattr(x, 'array', x)
    return type(array) is numpy.ndarray and _compiled(array)
