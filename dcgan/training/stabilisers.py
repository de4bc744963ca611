"""Small-data stabilisers of the update, as plain functions the updater calls.

Each is off unless ``DCGANUpdater`` is asked for it (``r1_gamma``,
``instance_noise``, ``feature_matching``). Written with Chainer functions,
so they run on NumPy and CuPy alike.
"""
import chainer
import chainer.functions as F


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


def ramp(iteration, start, end):
    """0 before ``start``, rising linearly to 1 at ``end`` (transitional
    conditioning: a small set starts unconditional, which it learns well,
    and takes the classes in gradually; Shahbazi et al. 2022)."""
    if iteration <= start:
        return 0.0
    return min(1.0, (iteration - start) / float(end - start))
