"""Adaptive augmentation (StyleGAN2-ADA, Karras et al. 2020), in Chainer.

Every image D sees, real and generated, goes through a chain of
transformations, each applied to each image with probability ``p``. With
``adapt=True``, ``p`` follows D's overfitting: every ``interval`` calls of
``step`` (the updater calls it on each iteration where D trained, with the
number of real images D judged), ``r_t = E[sign(D(real))]`` is taken over
D's raw outputs on the real images since the last time, and ``p`` moves up
when ``r_t`` is above ``target`` (D is sure of the real images: it is
memorising them) and down when below, by ``interval * images / (kimg *
1000)`` each time, so ``p`` could go from 0 to 1 in ``kimg`` thousand real
images judged by D (ADA's defaults: 4 minibatches, 500 kimg, target 0.6).

The transformations are ones that do not leak into the generated images
while ``p`` stays below about 0.8 (the ADA paper's finding): horizontal
flips, 90-degree rotations, integer translation, colour, and DiffAugment's
cutout. All are Chainer functions (the generator's gradient goes through)
and draw from the updater's ``TrainingRandom``; ``p`` and the running sums
are saved in snapshots, so a resumed run continues exactly. With ``p == 0``
nothing is drawn and the images pass unchanged.
"""
import chainer
import chainer.functions as F
import numpy

from dcgan.training import augment

OPS = ('xflip', 'rotate90', 'translation', 'color', 'cutout')
DEFAULT_OPS = ('xflip', 'rotate90', 'translation', 'color')
DEFAULT_TARGET = 0.6
DEFAULT_INTERVAL = 4
DEFAULT_KIMG = 500


def parse_ops(text):
    """'xflip,rotate90' (or a list) -> tuple of op names, checked."""
    if text is None:
        return DEFAULT_OPS
    parts = text.split(',') if isinstance(text, str) else list(text)
    names = tuple(p.strip().lower() for p in parts if p.strip())
    unknown = [n for n in names if n not in OPS]
    if unknown or not names:
        raise augment.AugmentError(
            'unknown adaptive augmentation {}; use a comma-separated list of {}'.format(
                ', '.join(repr(n) for n in unknown) or "''", ', '.join(OPS)))
    return names


def xflip(x, rng):
    return x[..., ::-1]


def rotate90(x, rng):
    """Each image by 90, 180 or 270 degrees (one drawn per image)."""
    xp = chainer.backend.get_array_module(x)
    k = augment._randint(rng, len(x), 1, 4, xp)[:, None, None, None]
    r90 = F.transpose(x, (0, 1, 3, 2))[..., ::-1]  # 90 degrees anticlockwise
    r180 = x[..., ::-1, ::-1]
    r270 = F.transpose(x, (0, 1, 3, 2))[..., ::-1, :]
    shape = x.shape
    if shape[2] != shape[3]:
        return F.where(F.broadcast_to(k == 2, shape), r180, x)
    pick = F.where(F.broadcast_to(k == 1, shape), r90, r270)
    return F.where(F.broadcast_to(k == 2, shape), r180, pick)


def translation(x, rng):
    return augment.translation(x, rng, 0.125)


def color(x, rng):
    return augment.color(x, rng)


def cutout(x, rng):
    return augment.cutout(x, rng, 0.5)


FUNCTIONS = {'xflip': xflip, 'rotate90': rotate90, 'translation': translation,
             'color': color, 'cutout': cutout}


class AdaptiveAugment(object):
    """``augment(x, rng)``: each op applied per image with probability ``p``.

    ``observe(d_real)`` feeds D's raw outputs on real images; ``step(batch)``
    (once an iteration) moves ``p`` every ``interval`` calls when ``adapt``.
    """

    def __init__(self, p=0.0, adapt=True, target=DEFAULT_TARGET, interval=DEFAULT_INTERVAL,
                 kimg=DEFAULT_KIMG, ops=DEFAULT_OPS):
        if not 0.0 <= p <= 1.0:
            raise ValueError('p must be in [0, 1], got {}'.format(p))
        if not 0.0 < target < 1.0:
            raise ValueError('target must be in (0, 1), got {}'.format(target))
        if int(interval) < 1 or kimg <= 0:
            raise ValueError('interval must be >= 1 and kimg > 0, got {} and {}'.format(
                interval, kimg))
        self.p = float(p)
        self.adapt = bool(adapt)
        self.target = float(target)
        self.interval = int(interval)
        self.kimg = float(kimg)
        self.ops = parse_ops(ops)
        self.sign_sum = 0.0
        self.count = 0
        self.steps = 0
        self.rt = float('nan')  # the last r_t measured

    def __call__(self, x, rng):
        if not isinstance(x, chainer.Variable):
            x = chainer.Variable(x, requires_grad=False)
        if self.p <= 0:
            return x
        xp = chainer.backend.get_array_module(x)
        for name in self.ops:
            chosen = rng.random((len(x), 1, 1, 1), xp) < self.p
            x = F.where(F.broadcast_to(chosen, x.shape), FUNCTIONS[name](x, rng), x)
        return x

    def observe(self, d_real):
        """Add D's raw outputs on a real batch to the running sign sum."""
        d_real = getattr(d_real, 'array', d_real)
        xp = chainer.backend.get_array_module(d_real)
        self.sign_sum += float(xp.sign(d_real).sum())
        self.count += int(d_real.size)

    def step(self, batch_size):
        """Called on each iteration where D trained, with the real images it
        judged (``batch_size``): every ``interval`` calls, measure r_t and
        (when adapting) move p towards the target."""
        self.steps += 1
        if self.steps % self.interval or not self.count:
            return
        self.rt = self.sign_sum / self.count
        if self.adapt:
            move = numpy.sign(self.rt - self.target) * batch_size * self.interval / (
                self.kimg * 1000.0)
            self.p = float(min(1.0, max(0.0, self.p + move)))
        self.sign_sum, self.count = 0.0, 0

    def serialize(self, serializer):
        for name in ('p', 'sign_sum', 'rt'):
            setattr(self, name, float(serializer(name, getattr(self, name))))
        for name in ('count', 'steps'):
            setattr(self, name, int(serializer(name, getattr(self, name))))

    def __repr__(self):
        return 'AdaptiveAugment(p={:.3f}, ops={})'.format(self.p, ','.join(self.ops))
