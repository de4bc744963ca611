"""An exponential moving average (EMA) of the generator's weights.

Averaging the generator over the last few hundred steps removes much of the
step-to-step wobble of GAN training; its samples are usually cleaner than
the raw generator's (Karras et al. 2018, Yazici et al. 2019). The EMA copy
is used for previews, GIFs and the saved generator; the raw generator keeps
training and is still what the trainer snapshot resumes.

Batch-norm statistics are not averaged: the running means and variances of
the raw generator describe the raw generator's activations, not those of
the averaged weights, and a test-mode EMA generator normalised with them
is badly off (benchmarks/small_data.py, seed 0 at 250 iterations: SWD 463
with averaged statistics, 358 with its own). Instead the EMA copy's
statistics are recomputed from its own activations, on ``stat_batches``
batches of fixed latent vectors in training mode, whenever the copy is
about to be used after an update: before any test-mode call (a link hook)
and before it is saved (``snapshot_ema``). Other float state is averaged
like the weights; integer state (the batch-norm counter ``N``) is copied.

Decay with warm-up: update ``n`` (from 0) uses
``min(decay, (1 + n) / (warmup + n))``, so the average is not dominated by
the random initial weights early in training. Until the cap ``decay`` is
reached the average spans roughly the last ``n / (warmup - 1)`` updates:
``warmup`` 10 (the default) keeps about the last ninth of training, 2 is
the plain mean of every step so far.
"""
import chainer
import numpy
from chainer.training import extension
from chainer.training import extensions

from dcgan.models import conditional

_BN_STATISTICS = ('avg_mean', 'avg_var')


DEFAULT_WARMUP = 10.0


def ema_decay(decay, n_updates, warmup=DEFAULT_WARMUP):
    """The decay used by update number ``n_updates`` (0-based)."""
    return min(float(decay), (1.0 + n_updates) / (float(warmup) + n_updates))


def _batch_norms(chain):
    return [link for link in chain.links()
            if isinstance(link, chainer.links.BatchNormalization)]


class _RefreshBeforeUse(chainer.LinkHook):
    """Recomputes stale batch-norm statistics before a test-mode forward."""

    name = 'refresh_ema_statistics'

    def __init__(self, owner):
        self.owner = owner

    def forward_preprocess(self, args):
        if not chainer.config.train:
            self.owner.refresh_statistics(only_if_stale=True)


class GeneratorEMA(extension.Extension):
    """Keeps ``self.ema``, a copy of ``gen`` whose weights are the EMA.

    Runs every iteration, before readers such as snapshots and previews.
    Its state (the EMA generator and the update count) is saved in the
    trainer snapshot, so a resumed run continues the same average.
    """

    name = 'gen_ema'
    trigger = (1, 'iteration')
    priority = extension.PRIORITY_WRITER

    def __init__(self, gen, decay=0.999, stat_batches=4, stat_batchsize=64, stat_seed=0,
                 warmup=DEFAULT_WARMUP, stat_inputs=None):
        if not 0.0 <= decay < 1.0:
            raise ValueError('EMA decay must be in [0, 1), got {}'.format(decay))
        if not warmup >= 1.0:
            raise ValueError('EMA warm-up must be at least 1, got {}'.format(warmup))
        self.gen = gen
        self.decay = float(decay)
        self.warmup = float(warmup)
        self.stat_batches = int(stat_batches)
        self.stat_batchsize = int(stat_batchsize)
        self.stat_seed = int(stat_seed)
        # A generator without z (pix2pix's U-Net) is given its statistics
        # batches: stat_inputs(k) is the k-th, a host array.
        self.stat_inputs = stat_inputs
        self.ema = gen.copy(mode='copy')
        self.ema.add_hook(_RefreshBeforeUse(self))
        self.n_updates = 0
        self.stale = True

    def __call__(self, trainer=None):
        self.update()

    def update(self):
        """Move the average one step towards the generator's current state."""
        beta = ema_decay(self.decay, self.n_updates, self.warmup)
        params = dict(self.gen.namedparams())
        for name, p_ema in self.ema.namedparams():
            p = params[name]
            # ema = beta * ema + (1 - beta) * p, in place.
            p_ema.array += (1.0 - beta) * (p.array - p_ema.array)
        links = dict(self.gen.namedlinks())
        for name, link_ema in self.ema.namedlinks():
            link = links[name]
            for key in link_ema._persistent:
                if key in _BN_STATISTICS:
                    continue  # recomputed, see refresh_statistics
                value = getattr(link, key)
                current = getattr(link_ema, key)
                if getattr(current, 'dtype', None) is not None and current.dtype.kind == 'f':
                    current += (1.0 - beta) * (value - current)
                else:
                    setattr(link_ema, key, value)
        self.n_updates += 1
        self.stale = True

    def refresh_statistics(self, only_if_stale=False):
        """Set the EMA generator's batch-norm running statistics to the mean
        and (unbiased) variance of its own activations over
        ``stat_batches`` x ``stat_batchsize`` fixed latent vectors."""
        if only_if_stale and not self.stale:
            return
        self.stale = False  # first: the forwards below must not recurse
        norms = _batch_norms(self.ema)
        if not norms:
            return
        rng = numpy.random.default_rng(self.stat_seed)
        decays = [link.decay for link in norms]
        try:
            with chainer.using_config('train', True), chainer.no_backprop_mode():
                for k in range(self.stat_batches):
                    # Running average with decay k / (k + 1): the plain mean.
                    for link in norms:
                        link.decay = k / (k + 1.0)
                    if self.stat_inputs is not None:
                        self.ema(self.ema.device.send(self.stat_inputs(k)))
                        continue
                    z = rng.uniform(-1, 1, (self.stat_batchsize, self.ema.n_hidden, 1, 1))
                    z = self.ema.device.send(z.astype(numpy.float32))
                    if getattr(self.ema, 'n_classes', 0):  # statistics shared by all classes
                        self.ema(z, self.ema.device.send(conditional.cycled_labels(
                            self.stat_batchsize, self.ema.n_classes)))
                    else:
                        self.ema(z)
        finally:
            for link, decay in zip(norms, decays):
                link.decay = decay

    def serialize(self, serializer):
        self.ema.serialize(serializer['gen'])
        self.n_updates = int(serializer('n_updates', self.n_updates))
        if isinstance(serializer, chainer.serializer.Deserializer):
            self.stale = True


class _SnapshotEMA(extension.Extension):
    """``snapshot_object`` of the EMA generator, statistics refreshed first."""

    def __init__(self, ema_extension, filename):
        self.ema_extension = ema_extension
        self.save = extensions.snapshot_object(ema_extension.ema, filename)
        self.priority = self.save.priority

    def __call__(self, trainer):
        self.ema_extension.refresh_statistics(only_if_stale=True)
        self.save(trainer)


def snapshot_ema(ema_extension, filename='gen_ema_iter_{.updater.iteration}.npz'):
    """A snapshot extension writing the EMA generator (add it with the
    same trigger as the other generator snapshots)."""
    return _SnapshotEMA(ema_extension, filename)
