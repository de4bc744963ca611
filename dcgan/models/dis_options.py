"""Optional pieces of the discriminator: spectral norm and minibatch std.

Off unless ``Discriminator(spectral_norm=True)`` or ``minibatch_std=True``
asks for them. Written with Chainer functions, so they run on NumPy and CuPy
alike and can be differentiated twice, as the R1 penalty needs.
"""
import chainer.functions as F
import chainer.links as L
from chainer.link_hooks import SpectralNormalization


def apply_spectral_norm(chain, n_power_iteration=1):
    """Add Chainer's ``SpectralNormalization`` hook to every convolution and
    linear link of ``chain`` (batch norms are left alone). Returns the
    hooked link names.

    Each hooked link gains a persistent ``W_u`` (the power-iteration
    vector): saved files have those extra keys, and the saved ``W`` is the
    raw weight (the net uses ``W / sigma(W)``).
    """
    hooked = []
    for name, link in sorted(chain.namedlinks(skipself=True)):
        if isinstance(link, (L.Convolution2D, L.Linear, L.Deconvolution2D)):
            link.add_hook(SpectralNormalization(
                n_power_iteration=n_power_iteration))
            hooked.append(name)
    return hooked


def append_minibatch_std(h, eps=1e-8, groups=1):
    """Append one feature map holding the batch's mean standard deviation.

    (B, C, H, W) -> (B, C + 1, H, W). A discriminator that sees how varied
    the batch is can tell a collapsed generator from real data (Karras et
    al. 2018). ``groups`` consecutive equal slices of the batch get a
    statistic each (a batch of real then generated images: 2).
    """
    b, c, height, width = h.shape
    if b % groups:
        raise ValueError('a batch of {} does not split into {} groups'.format(b, groups))
    g = F.reshape(h, (groups, b // groups, c, height, width))
    mean = F.mean(g, axis=1, keepdims=True)
    var = F.mean(F.square(g - F.broadcast_to(mean, g.shape)), axis=1)
    std = F.mean(F.reshape(F.sqrt(var + eps), (groups, -1)), axis=1)
    stat = F.broadcast_to(F.reshape(std, (groups, 1, 1, 1, 1)),
                          (groups, b // groups, 1, height, width))
    return F.concat((h, F.reshape(stat, (b, 1, height, width))), axis=1)
