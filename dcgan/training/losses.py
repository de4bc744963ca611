"""GAN losses as pure functions of the discriminator's logits.

Each loss is a pair ``(dis_loss(y_real, y_fake), gen_loss(y_fake))`` and
returns a scalar Variable averaged over the batch. Chosen by name through
``get_losses``, so a new one is a function here and a line in ``LOSSES``.
"""
import chainer.functions as F


def _mean(x):
    return F.sum(x) / x.size


def dis_nonsaturating(y_real, y_fake):
    """The example's loss: softplus(-D(x)) + softplus(D(G(z)))."""
    return _mean(F.softplus(-y_real)) + _mean(F.softplus(y_fake))


def gen_nonsaturating(y_fake):
    """The example's generator loss: softplus(-D(G(z)))."""
    return _mean(F.softplus(-y_fake))


def dis_hinge(y_real, y_fake):
    return _mean(F.relu(1.0 - y_real)) + _mean(F.relu(1.0 + y_fake))


def gen_hinge(y_fake):
    return -_mean(y_fake)


def dis_least_squares(y_real, y_fake):
    """LSGAN (a=0, b=c=1), halved as in Mao et al."""
    return 0.5 * (_mean((y_real - 1.0) ** 2) + _mean(y_fake ** 2))


def gen_least_squares(y_fake):
    return 0.5 * _mean((y_fake - 1.0) ** 2)


LOSSES = {
    'nonsaturating': (dis_nonsaturating, gen_nonsaturating),
    'hinge': (dis_hinge, gen_hinge),
    'lsgan': (dis_least_squares, gen_least_squares),
}


def dis_nonsaturating_smoothed(y_real, y_fake, smoothing):
    """The example's D loss with real targets ``1 - smoothing`` (one-sided
    label smoothing, Salimans et al. 2016): sigmoid cross-entropy."""
    real = (1.0 - smoothing) * F.softplus(-y_real) + smoothing * F.softplus(y_real)
    return _mean(real) + _mean(F.softplus(y_fake))


def dis_least_squares_smoothed(y_real, y_fake, smoothing):
    """LSGAN's D loss with real targets ``1 - smoothing``."""
    return 0.5 * (_mean((y_real - (1.0 - smoothing)) ** 2) + _mean(y_fake ** 2))


# Losses whose real-image target can be smoothed (hinge has no target).
SMOOTHED = {
    'nonsaturating': dis_nonsaturating_smoothed,
    'lsgan': dis_least_squares_smoothed,
}


def get_losses(name, label_smoothing=0.0):
    """``(dis_loss, gen_loss)`` for a loss name; ValueError lists the names.

    ``label_smoothing`` > 0 makes the real images' target ``1 - s`` in the
    D loss (one-sided: generated images keep target 0).
    """
    try:
        dis_loss, gen_loss = LOSSES[name]
    except KeyError:
        raise ValueError('unknown loss {!r}; choose one of: {}'.format(
            name, ', '.join(sorted(LOSSES))))
    if not label_smoothing:
        return dis_loss, gen_loss
    if not 0.0 < label_smoothing < 1.0:
        raise ValueError('label smoothing must be in [0, 1), got {}'.format(
            label_smoothing))
    if name not in SMOOTHED:
        raise ValueError('label smoothing works with the {} losses, not {!r}'
                         .format(' and '.join(sorted(SMOOTHED)), name))
    smoothed = SMOOTHED[name]

    def dis_smoothed(y_real, y_fake):
        return smoothed(y_real, y_fake, label_smoothing)
    return dis_smoothed, gen_loss
