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


def minibatch_discrimination(h, link, kernels, dims, groups=1):
    """Salimans et al. (2016)'s minibatch discrimination features, (B, kernels).

    ``link`` (a bias-free ``L.Linear`` to ``kernels * dims``) maps each
    image's features to ``kernels`` rows M_i of ``dims`` numbers; feature b of
    image i is ``sum_j exp(-||M_i,b - M_j,b||_1)`` over the other images j of
    its group, large when the batch holds many look-alikes (a collapse).
    ``groups`` equal slices of the batch are compared within themselves.
    """
    b = h.shape[0]
    if b % groups:
        raise ValueError('a batch of {} does not split into {} groups'.format(b, groups))
    n = b // groups
    m = F.reshape(link(h), (groups, n, kernels, dims))
    diff = F.broadcast_to(F.expand_dims(m, 2), (groups, n, n, kernels, dims)) - \
        F.broadcast_to(F.expand_dims(m, 1), (groups, n, n, kernels, dims))
    closeness = F.exp(-F.sum(F.absolute(diff), axis=4))  # (groups, n, n, kernels)
    # Each image is exp(0) = 1 from itself: taken away, so a batch of one gives 0.
    return F.reshape(F.sum(closeness, axis=2) - 1.0, (b, kernels))
