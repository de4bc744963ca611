"""An exponential moving average (EMA) of the generator's weights.

Averaging the generator over the last few hundred steps removes much of the
step-to-step wobble of GAN training; its samples are usually cleaner than
the raw generator's (Karras et al. 2018, Yazici et al. 2019). The EMA copy
is used for previews, GIFs and the saved generator; the raw generator keeps
training and is still what the trainer snapshot resumes.

Batch-norm running statistics (``avg_mean``, ``avg_var``) are averaged
with the same decay as the weights: they are themselves slow averages of
the raw generator's activations, and averaging them keeps them roughly in
step with the averaged weights. Integer state (the batch-norm counter
``N``) is copied.

Decay with warm-up: update ``n`` (from 0) uses
``min(decay, (1 + n) / (10 + n))``, so the average is not dominated by the
random initial weights early in training.
"""
import chainer
from chainer.training import extension


def ema_decay(decay, n_updates):
    """The decay used by update number ``n_updates`` (0-based)."""
    return min(float(decay), (1.0 + n_updates) / (10.0 + n_updates))


class GeneratorEMA(extension.Extension):
    """Keeps ``self.ema``, a copy of ``gen`` whose weights are the EMA.

    Runs every iteration, before readers such as snapshots and previews.
    Its state (the EMA generator and the update count) is saved in the
    trainer snapshot, so a resumed run continues the same average.
    """

    name = 'gen_ema'
    trigger = (1, 'iteration')
    priority = extension.PRIORITY_WRITER

    def __init__(self, gen, decay=0.999):
        if not 0.0 <= decay < 1.0:
            raise ValueError('EMA decay must be in [0, 1), got {}'.format(decay))
        self.gen = gen
        self.decay = float(decay)
        self.ema = gen.copy(mode='copy')
        self.n_updates = 0

    def __call__(self, trainer=None):
        self.update()

    def update(self):
        """Move the average one step towards the generator's current state."""
        beta = ema_decay(self.decay, self.n_updates)
        params = dict(self.gen.namedparams())
        for name, p_ema in self.ema.namedparams():
            p = params[name]
            # ema = beta * ema + (1 - beta) * p, in place.
            p_ema.array += (1.0 - beta) * (p.array - p_ema.array)
        links = dict(self.gen.namedlinks())
        for name, link_ema in self.ema.namedlinks():
            link = links[name]
            for key in link_ema._persistent:
                value = getattr(link, key)
                current = getattr(link_ema, key)
                if getattr(current, 'dtype', None) is not None and current.dtype.kind == 'f':
                    current += (1.0 - beta) * (value - current)
                else:
                    setattr(link_ema, key, value)
        self.n_updates += 1

    def serialize(self, serializer):
        self.ema.serialize(serializer['gen'])
        self.n_updates = int(serializer('n_updates', self.n_updates))


def snapshot_ema(ema_extension, filename='gen_ema_iter_{.updater.iteration}.npz'):
    """A snapshot extension writing the EMA generator (add it with the
    same trigger as the other generator snapshots)."""
    return chainer.training.extensions.snapshot_object(ema_extension.ema, filename)
