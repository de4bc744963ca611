"""Differentiable augmentation (DiffAugment, Zhao et al. 2020).

The same random transformations are applied to every batch the
discriminator sees, real and generated, and they are made of Chainer
functions, so the generator's gradient passes through them. D then cannot
memorise the few real images, and G is not taught to produce augmented
ones (which plain data augmentation of the real images alone would do).

Images are float32 in [0, 1] (the generator's sigmoid range). Policies:

- ``color``: brightness shift in [-0.25, 0.25) (the original's [-0.5, 0.5)
  on [-1, 1] images), saturation x[0, 2), contrast x[0.5, 1.5);
- ``translation``: shift by up to 1/8 of the side, zeros (black) fill in;
- ``cutout``: one square of half the side, at a random place, set to 0.

All randomness comes from a ``dcgan.training.rng.TrainingRandom`` (the updater's),
drawn on the input's device, so runs are deterministic and resume exactly.
"""
import chainer
import chainer.functions as F
import numpy

POLICY_ALIASES = {'colour': 'color', 'translate': 'translation'}
POLICY_NAMES = ('color', 'translation', 'cutout')


class AugmentError(ValueError):
    """An augmentation policy that does not exist."""


def parse_policy(policy):
    """'color,translation,cutout' (or a list) -> tuple of policy names.

    '', 'none' and None give the empty (identity) policy.
    """
    if policy is None:
        return ()
    if isinstance(policy, str):
        parts = [p.strip().lower() for p in policy.split(',')]
        parts = [p for p in parts if p and p != 'none']
    else:
        parts = [str(p).lower() for p in policy]
    names = []
    for part in parts:
        name = POLICY_ALIASES.get(part, part)
        if name not in POLICY_NAMES:
            raise AugmentError(
                'unknown augmentation policy {!r}; use a comma-separated list '
                'of {} (e.g. color,translation,cutout) or none'.format(
                    part, ', '.join(POLICY_NAMES)))
        names.append(name)
    return tuple(names)


def _xp(x):
    return chainer.backend.get_array_module(x)


def _per_image(rng, x, xp):
    """One uniform [0, 1) number per image, shaped to broadcast over it."""
    return rng.random((len(x), 1, 1, 1), xp)


def _randint(rng, n, low, high, xp):
    """``n`` integers uniform in [low, high), from ``rng``'s floats."""
    r = rng.random((n,), xp)
    return xp.minimum(xp.floor(r * (high - low)).astype(numpy.int32) + low, high - 1)


def color(x, rng):
    """Random brightness, saturation and contrast per image."""
    xp = _xp(x)
    x = x + F.broadcast_to((_per_image(rng, x, xp) - 0.5) * 0.5, x.shape)
    mean_c = F.broadcast_to(F.mean(x, axis=1, keepdims=True), x.shape)
    x = (x - mean_c) * F.broadcast_to(_per_image(rng, x, xp) * 2, x.shape) + mean_c
    mean_all = F.broadcast_to(F.mean(x, axis=(1, 2, 3), keepdims=True), x.shape)
    x = (x - mean_all) * F.broadcast_to(_per_image(rng, x, xp) + 0.5, x.shape) + mean_all
    return x


def _shift_matrices(shifts, size, xp):
    """(B, size, size) matrices M with (M @ v)[i] = v[i - shift] (0 outside)."""
    i = xp.arange(size, dtype=numpy.int32)[None, :, None]
    j = xp.arange(size, dtype=numpy.int32)[None, None, :]
    return (j == i - shifts[:, None, None]).astype(numpy.float32)


def translation(x, rng, ratio=0.125):
    """Shift each image by up to ``ratio`` of its side in x and y.

    Written as two batched matrix products with 0/1 shift matrices, so it
    is one differentiable (and twice differentiable) Chainer graph.
    """
    xp = _xp(x)
    b, c, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    shift_y = _randint(rng, b, -sh, sh + 1, xp)
    shift_x = _randint(rng, b, -sw, sw + 1, xp)
    rows = _shift_matrices(shift_y, h, xp)  # (B, H, H)
    cols = _shift_matrices(shift_x, w, xp)  # (B, W, W)
    # Columns: (B, C*H, W) @ cols^T.
    y = F.matmul(F.reshape(x, (b, c * h, w)), cols, transb=True)
    # Rows: (B, H, C*W) from (B, C, H, W), then rows @ it.
    y = F.reshape(F.transpose(F.reshape(y, (b, c, h, w)), (0, 2, 1, 3)), (b, h, c * w))
    y = F.matmul(rows, y)
    return F.transpose(F.reshape(y, (b, h, c, w)), (0, 2, 1, 3))


def cutout(x, rng, ratio=0.5):
    """Zero one square of ``ratio`` of the side per image."""
    xp = _xp(x)
    b, c, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    # As in DiffAugment: the square's centre anywhere, clipped at the edges.
    top = _randint(rng, b, 0, h + (1 - ch % 2), xp) - ch // 2
    left = _randint(rng, b, 0, w + (1 - cw % 2), xp) - cw // 2
    ys = xp.arange(h, dtype=numpy.int32)[None, :, None]
    xs = xp.arange(w, dtype=numpy.int32)[None, None, :]
    inside = ((ys >= top[:, None, None]) & (ys < (top + ch)[:, None, None])
              & (xs >= left[:, None, None]) & (xs < (left + cw)[:, None, None]))
    mask = (~inside).astype(numpy.float32)[:, None]
    return x * F.broadcast_to(mask, x.shape)


FUNCTIONS = {'color': color, 'translation': translation, 'cutout': cutout}


class DiffAugment(object):
    """``augment(x, rng)``: the policy's transformations, in order.

    ``x`` is a (B, C, H, W) float32 array or Variable; the result is a
    Variable of the same shape and dtype. An empty policy returns ``x``
    unchanged (as a Variable) and draws nothing from ``rng``.
    """

    def __init__(self, policy='color,translation,cutout',
                 translation_ratio=0.125, cutout_ratio=0.5):
        self.policy = parse_policy(policy)
        self.translation_ratio = translation_ratio
        self.cutout_ratio = cutout_ratio

    def __call__(self, x, rng):
        if not isinstance(x, chainer.Variable):
            x = chainer.Variable(x, requires_grad=False)
        for name in self.policy:
            if name == 'translation':
                x = translation(x, rng, self.translation_ratio)
            elif name == 'cutout':
                x = cutout(x, rng, self.cutout_ratio)
            else:
                x = FUNCTIONS[name](x, rng)
        return x

    def __repr__(self):
        return 'DiffAugment({!r})'.format(','.join(self.policy))
