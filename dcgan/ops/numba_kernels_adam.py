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

from dcgan.ops.numba_kernels import inline
from dcgan.ops.numba_kernels import kernel

PIECE = 1 << 15  # elements per parallel task


@inline
def _piece(p, g, m, v, rate, c1, c2, alpha_t, eps, neg_eta, decay):
    # Loops from 0 over slices: LLVM vectorises them (an offset index,
    # which could be negative, kept this one scalar and 2-3x slower).
    if rate != 0:
        for i in range(p.size):
            g[i] = g[i] + rate * p[i]  # WeightDecay changes the gradient too
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + c1 * (gi - m[i])
        vi = v[i] + c2 * (gi * gi - v[i])
        m[i] = mi
        v[i] = vi
        # decay * p is p exactly when decay is 1 (no AdamW decay)
        p[i] = decay * p[i] + neg_eta * (alpha_t / (math.sqrt(vi) + eps) * mi)


@kernel
def _adam(p, g, m, v, rate, c1, c2, alpha_t, eps, neg_eta, decay):
    n = p.size
    for k in prange(-(-n // PIECE)):
        lo, hi = k * PIECE, min(n, (k + 1) * PIECE)
        _piece(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], rate, c1, c2, alpha_t, eps,
               neg_eta, decay)


def update(p, g, m, v, rate, beta1, beta2, alpha_t, eps, eta, decay):
    """Adam on the flat float32 arrays (in place); ``decay`` is
    ``1 - eta * weight_decay_rate`` (AdamW's), ``rate`` the L2 rate."""
    f = numpy.float32
    _adam(4 * p.size, p, g, m, v, f(rate), f(1.0 - beta1), f(1.0 - beta2),
          f(alpha_t), f(eps), f(-eta), f(decay))
