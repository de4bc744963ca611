"""Small-data stabilisers as plain functions the nets and updater call.

Each is off unless asked for; see ``DCGANUpdater`` and ``Discriminator``
for the switches. All are written with Chainer functions, so they run on
NumPy and CuPy alike and (where they sit in the discriminator) can be
differentiated twice, as the R1 penalty needs.
"""
import chainer
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


def r1_penalty(y_real, x_real):
    """Mean over the batch of ||d sum(D(x)) / dx||^2 at the real images.

    ``x_real`` is the Variable D was applied to; the gradient is kept in the
    graph (double backprop) so the penalty trains D.
    """
    grad, = chainer.grad([F.sum(y_real)], [x_real], enable_double_backprop=True)
    return F.sum(F.square(grad)) / len(grad)


def instance_noise_sigma(sigma, iteration, decay_iterations):
    """Linearly decaying noise level: ``sigma`` at iteration 0, 0 from
    ``decay_iterations`` on (constant ``sigma`` if that is 0 or None)."""
    if not sigma:
        return 0.0
    if not decay_iterations:
        return float(sigma)
    return float(sigma) * max(0.0, 1.0 - float(iteration) / decay_iterations)


def feature_matching_loss(h_real, h_fake):
    """Squared distance between the batch means of D's last hidden layer on
    real and generated images (Salimans et al. 2016); the real side is a
    constant target."""
    real = getattr(h_real, 'array', h_real)
    xp = chainer.backend.get_array_module(real)
    target = xp.mean(real.reshape(len(real), -1), axis=0)
    fake = F.mean(F.reshape(h_fake, (len(h_fake), -1)), axis=0)
    return F.mean(F.square(fake - target))
