"""Adam whose CPU update runs in cache-sized pieces on all cores.

Chainer's Adam updates a parameter with about a dozen whole-array NumPy
passes (several allocating temporaries) on one core, plus one more pass
for the WeightDecay hook. Here the same arithmetic, in the same order, runs
on slices of the flattened parameter that fit in the L2 cache, spread over
the cores, with the weight decay folded into the same loop. The results
are bit for bit Chainer's Adam + WeightDecay (tests/test_optimizers.py); on
CuPy, and for AMSGrad, AdaBound, float16 or strided arrays, Chainer's own
code runs.
"""
import chainer
import numpy
from chainer.optimizers import adam

from dcgan.ops import numba_kernels
from dcgan.ops import threads

PIECE = 1 << 15  # float32 elements per slice (128 KiB per array)


class AdamRule(adam.AdamRule):
    """Chainer's AdamRule plus an optional L2 weight decay on the gradient
    (``grad += weight_decay * param`` first, as WeightDecay does)."""

    def __init__(self, parent_hyperparam=None, weight_decay=0.0, **kwargs):
        super(AdamRule, self).__init__(parent_hyperparam, **kwargs)
        self.weight_decay = weight_decay

    def update_core_cpu(self, param):
        grad, data = param.grad, param.array
        if grad is None:
            return
        hp = self.hyperparam
        if (hp.amsgrad or hp.adabound or data.dtype == numpy.float16
                or not _dense(data, grad, self.state['m'], self.state['v'])):
            self._decay(param)
            return super(AdamRule, self).update_core_cpu(param)
        self._check_eps(data.dtype.type)
        rate = self._rate(param)
        alpha_t = self.alpha_t
        if _compiled(data, grad, rate, alpha_t, hp):
            from dcgan.ops import numba_kernels_adam
            numba_kernels_adam.update(
                data.reshape(-1), grad.reshape(-1), self.state['m'].reshape(-1),
                self.state['v'].reshape(-1), rate, hp.beta1, hp.beta2, alpha_t,
                hp.eps, hp.eta, 1.0 - hp.eta * hp.weight_decay_rate)
            return
        flat = [a.reshape(-1) for a in (data, grad, self.state['m'], self.state['v'])]

        def update(pieces):
            for i in range(pieces.start, pieces.stop):
                s = slice(i * PIECE, (i + 1) * PIECE)
                p, g, m, v = (a[s] for a in flat)
                if rate:
                    g += rate * p
                # The formulas and their order are chainer's AdamRule's.
                m += (1.0 - hp.beta1) * (g - m)
                v += (1.0 - hp.beta2) * (g * g - v)
                step = alpha_t / (numpy.sqrt(v) + hp.eps)
                a = 1.0 - hp.eta * hp.weight_decay_rate
                if a == 1:
                    p += -hp.eta * (step * m)
                else:
                    p[...] = a * p + -hp.eta * (step * m)
        threads.parallel(update, -(-data.size // PIECE), 4 * data.size)

    def update_core_gpu(self, param):
        self._decay(param)
        return super(AdamRule, self).update_core_gpu(param)

    def _rate(self, param):
        rate = self.weight_decay
        if rate and param._loss_scale is not None:
            rate *= param._loss_scale
        return rate

    def _decay(self, param):
        rate = self._rate(param)
        if rate and param.grad is not None:
            chainer.optimizer_hooks.WeightDecay(rate)(self, param)


def _dense(*arrays):
    return all(a.flags.c_contiguous for a in arrays)


def _compiled(data, grad, rate, alpha_t, hp):
    # The kernel rounds every hyperparameter to float32 first, which is what
    # NumPy does with Python floats; a NumPy 2 float64 scalar would instead
    # promote the NumPy loop's arithmetic, so those keep the loop.
    scalars = (rate, alpha_t, hp.beta1, hp.beta2, hp.eps, hp.eta, hp.weight_decay_rate)
    return (data.dtype == grad.dtype == numpy.float32 and numba_kernels.usable()
            and (_VALUE_BASED_CASTING or all(type(s) in (int, float) for s in scalars)))


# NumPy < 2 casts any scalar by value (a float64 scalar meets float32 as float32).
_VALUE_BASED_CASTING = int(numpy.__version__.split('.')[0]) < 2


class Adam(chainer.optimizers.Adam):
    """``chainer.optimizers.Adam`` with ``weight_decay`` (the L2 rate the
    Chainer example adds with a WeightDecay hook) and the threaded CPU
    update. Its snapshot state is Chainer's (``m``, ``v``, ``t``)."""

    def __init__(self, alpha=0.001, beta1=0.9, weight_decay=0.0, **kwargs):
        super(Adam, self).__init__(alpha=alpha, beta1=beta1, **kwargs)
        self.weight_decay = weight_decay

    def create_update_rule(self):
        return AdamRule(self.hyperparam, weight_decay=self.weight_decay)
