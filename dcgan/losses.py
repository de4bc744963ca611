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


def get_losses(name):
    """``(dis_loss, gen_loss)`` for a loss name; ValueError lists the names."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError('unknown loss {!r}; choose one of: {}'.format(
            name, ', '.join(sorted(LOSSES))))
