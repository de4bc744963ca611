"""numba kernel: one Adam step (+ L2 weight decay) in a single pass.

The arithmetic is dcgan.training.optimizers' NumPy loop's, element by
element and in float32: every hyperparameter is rounded to float32 first,
as NumPy does when a Python float meets a float32 array, and no fastmath
(no fused multiply-add), so the result is Chainer's Adam + WeightDecay bit
for bit. Elements are independent: the thread count cannot matter.

Imported only when numba is installed (see ``numba_kernels``).
"""
import math

import numpy
from numba import prange

from dcgan.ops.numba_kernels import kernel

PIECE = 1 << 15  # elements per parallel task


@kernel
def _adam(p, g, m, v, rate, c1, c2, alpha_t, eps, neg_eta, decay):
    n = p.size
    for k in prange(-(-n // PIECE)):
        for i in range(k * PIECE, min(n, (k + 1) * PIECE)):
            gi = g[i]
            if rate != 0:
                gi = gi + rate * p[i]
                g[i] = gi  # WeightDecay changes the gradient too
            mi = m[i] + c1 * (gi - m[i])
            vi = v[i] + c2 * (gi * gi - v[i])
            m[i] = mi
            v[i] = vi
            step = alpha_t / (math.sqrt(vi) + eps)
            if decay == 1:
                p[i] = p[i] + neg_eta * (step * mi)
            else:
                p[i] = decay * p[i] + neg_eta * (step * mi)


def update(p, g, m, v, rate, beta1, beta2, alpha_t, eps, eta, decay):
    """Adam on the flat float32 arrays (in place); ``decay`` is
    ``1 - eta * weight_decay_rate`` (AdamW's), ``rate`` the L2 rate."""
    f = numpy.float32
    _adam(4 * p.size, p, g, m, v, f(rate), f(1.0 - beta1), f(1.0 - beta2),
          f(alpha_t), f(eps), f(-eta), f(decay))
