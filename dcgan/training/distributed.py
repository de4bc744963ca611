"""Data-parallel training over MPI processes (ChainerMN): the glue.

Every process (rank) holds the same networks and the whole uint8 training
set (decoded once, on rank 0, and broadcast). What is shared and what is
each rank's own:

- Data: every rank runs the same seeded iterator over the whole set with
  the *global* batch (``--batchsize`` x processes) and keeps its own rows
  of each batch (:class:`RankRows`). The ranks see disjoint images in
  every batch, an epoch is one sweep of the set, and no rank can run out
  of batches before another (there are no shards of unequal length). The
  data order is that of one process training at the global batch.
- Gradients: each optimizer averages its net's gradients over the ranks
  before every update (:class:`AllreduceGradients`), so weights and Adam
  state stay identical everywhere. Unlike ChainerMN's multi-node
  optimizer, the first update is a real update (the nets start equal: the
  same seeded initialisers, and a broadcast from rank 0 to be sure).
- Random numbers (z, fake labels, flips, augmentation, D's noise): each
  rank's own stream, rank 0's being the single-process stream of ``seed``
  and rank r's ``[seed, r]`` (``'per-rank'``); or ``'global'``: one stream
  shared by all, each rank drawing the numbers of the whole global batch
  and keeping its rows (:class:`GlobalBatchRandom`), so a run repeats one
  process at the global batch (with ``sync_bn``) at the cost of every rank
  drawing every rank's numbers.
- Batch norm: each rank normalises by its own batch unless ``sync_bn``,
  which takes mean and variance over the global batch (ChainerMN's
  ``MultiNodeBatchNormalization`` function, through ``dcgan.models.layers``).
  The running statistics (used only in test mode: previews, saved
  generators) are averaged over the ranks at every snapshot, before rank 0
  writes anything, so all ranks hold the same ones from then on.
- Reported values are averaged over the ranks every iteration, before any
  other extension sees them: the log shows global means, and a NaN on one
  rank is a NaN on all, so the NaN guard stops every rank together.

Snapshots: rank 0 writes the one ``snapshot_iter_N.npz`` of a single run;
it holds everything every rank needs, because all state is identical
across ranks but the random streams, which :class:`RankState` gathers into
it (``extensions/distributed/rng_<r>``), with the number of processes.

Nothing here imports ChainerMN or mpi4py at module level; ``comm`` is a
ChainerMN communicator made by the command line.
"""
import chainer
import numpy
from chainer.training import extension

from dcgan.training.rng import TrainingRandom

RANDOM_STREAMS = ('per-rank', 'global')
# Where a trainer snapshot records the number of processes that wrote it
# (absent: one process without a communicator).
PROCESSES_KEY = 'extensions/distributed/processes'


def rank_random(seed, rank, size, streams='per-rank'):
    """The updater's random stream on ``rank`` of ``size`` processes."""
    if streams == 'global':
        return GlobalBatchRandom(seed, rank, size)
    if streams != 'per-rank':
        raise ValueError('random streams must be one of {}, got {!r}'.format(
            ', '.join(RANDOM_STREAMS), streams))
    return TrainingRandom(seed if rank == 0 else [seed, rank])


class GlobalBatchRandom(TrainingRandom):
    """A ``TrainingRandom`` shared by all ranks: each draw is made for the
    global batch (the first axis times ``size``) and this rank keeps its rows.

    Every draw of a training step is batch-first (z, labels, flips,
    augmentation, noise), so a rank gets exactly the numbers one process at
    the global batch would use for the same images.
    """

    def __init__(self, seed, rank, size):
        super(GlobalBatchRandom, self).__init__(seed)
        self.rank, self.size = int(rank), int(size)
        self._sliced_host = _SlicedGenerator(self)

    def _global(self, shape):
        shape = (shape,) if numpy.isscalar(shape) else tuple(shape)
        return (shape[0] * self.size,) + shape[1:], self.rows(shape[0])

    def rows(self, n):
        return slice(self.rank * n, (self.rank + 1) * n)

    @property
    def host(self):
        return self._sliced_host

    def uniform(self, shape, xp=numpy, *args, **kwargs):
        shape, rows = self._global(shape)
        return super(GlobalBatchRandom, self).uniform(shape, xp, *args, **kwargs)[rows]

    def normal(self, shape, xp=numpy, *args, **kwargs):
        shape, rows = self._global(shape)
        return super(GlobalBatchRandom, self).normal(shape, xp, *args, **kwargs)[rows]

    def random(self, shape, xp=numpy):
        shape, rows = self._global(shape)
        return super(GlobalBatchRandom, self).random(shape, xp)[rows]

    def normal_like(self, a, scale=1.0):
        if chainer.backend.get_array_module(a) is not numpy:
            return super(GlobalBatchRandom, self).normal_like(a, scale)  # via normal()
        # As TrainingRandom.normal_like, for the global batch: dense in
        # ``a``'s memory order, so the batch axis is (normally) the slowest.
        order = sorted(range(a.ndim), key=lambda k: -a.strides[k])
        shape = [a.shape[k] for k in order]
        batch_axis = order.index(0)
        shape[batch_axis] *= self.size
        dense = numpy.empty(shape, dtype=numpy.float32)
        self._fill_normal(dense.reshape(-1), scale)
        mine = [slice(None)] * a.ndim
        mine[batch_axis] = self.rows(a.shape[0])
        noise = dense[tuple(mine)].transpose(numpy.argsort(order))
        return noise.astype(a.dtype, copy=False)

    def add_normal(self, a, scale=1.0):
        # The same numbers as TrainingRandom.add_normal (a + its noise).
        return a + self.normal_like(a, scale)


class _SlicedGenerator(object):
    """``GlobalBatchRandom.host``: NumPy Generator methods called with
    ``size=`` draw for the global batch and return this rank's rows."""

    def __init__(self, owner):
        self._owner = owner

    def __getattr__(self, name):
        method = getattr(self._owner._host, name)
        owner = self._owner

        def sliced(*args, **kwargs):
            if kwargs.get('size') is None:
                raise ValueError('a shared random stream can only be split between '
                                 'processes for draws with size= (a batch)')
            kwargs['size'], rows = owner._global(kwargs['size'])
            return method(*args, **kwargs)[rows]
        return sliced


class RankRows(chainer.dataset.Iterator):
    """This rank's rows of each global batch of ``iterator``.

    ``iterator`` yields the global batch (``batch_size`` x ``size``); every
    rank runs an identical one and keeps rows ``[rank * b, (rank + 1) * b)``.
    Epochs, resume state and snapshot entries are the inner iterator's.
    """

    def __init__(self, iterator, rank, size):
        if iterator.batch_size % size:
            raise ValueError('the global batch {} does not split into {} processes'.format(
                iterator.batch_size, size))
        self.iterator = iterator
        self.rank = int(rank)
        self.batch_size = iterator.batch_size // size

    def __next__(self):
        batch = self.iterator.next()
        return batch[self.rank * self.batch_size:(self.rank + 1) * self.batch_size]

    next = __next__

    epoch = property(lambda self: self.iterator.epoch)
    epoch_detail = property(lambda self: self.iterator.epoch_detail)
    previous_epoch_detail = property(lambda self: self.iterator.previous_epoch_detail)
    is_new_epoch = property(lambda self: self.iterator.is_new_epoch)
    repeat = property(lambda self: self.iterator.repeat)

    def reset(self):
        self.iterator.reset()

    def serialize(self, serializer):
        self.iterator.serialize(serializer)

    def finalize(self):
        self.iterator.finalize()


class AllreduceGradients(object):
    """``optimizer`` whose ``update`` first averages the gradients of its
    target over all ranks; every other attribute is the optimizer's own
    (``alpha`` for the learning-rate decay, ``serialize`` for snapshots)."""

    def __init__(self, optimizer, comm):
        object.__setattr__(self, 'actual_optimizer', optimizer)
        object.__setattr__(self, 'comm', comm)

    def update(self, lossfun=None, *args, **kwds):
        target = self.actual_optimizer.target
        if lossfun is not None:
            loss = lossfun(*args, **kwds)
            target.cleargrads()
            loss.backward(loss_scale=self.actual_optimizer._loss_scale)
            del loss
        self.comm.multi_node_mean_grad(target)
        self.actual_optimizer.update()

    def __getattr__(self, name):
        return getattr(self.actual_optimizer, name)

    def __setattr__(self, name, value):
        setattr(self.actual_optimizer, name, value)


def synced_batch_norm(comm):
    """``f(link, x, gamma, beta)``: batch norm with the global batch's mean
    and variance (ChainerMN's implementation: MPI, or NCCL for pure_nccl),
    updating ``link``'s running statistics; ``dcgan.models.layers`` calls
    it while ``chainer.config.dcgan_batch_norm`` is set."""
    from chainer.functions.normalization import batch_normalization
    from chainermn.functions.batch_normalization import (MultiNodeBNImplSelector,
                                                         get_communication_backend)
    selector = MultiNodeBNImplSelector(comm, get_communication_backend(comm))

    def batch_norm(link, x, gamma, beta):
        xp = chainer.backend.get_array_module(link.avg_mean)
        if gamma is None:
            gamma = xp.ones(link.avg_mean.shape, dtype=link.avg_mean.dtype)
        if beta is None:
            beta = xp.zeros(link.avg_mean.shape, dtype=link.avg_mean.dtype)
        function = batch_normalization.BatchNormalization(
            link.eps, None, None, link.decay, impl_selector=selector)
        y, = function.apply((x, gamma, beta))
        if not chainer.config.in_recomputing:
            # Chainer's update, but the variance made unbiased for the
            # global batch (ChainerMN's link uses this process's batch size).
            m = x.size // link.avg_mean.size * comm.size
            link.avg_mean *= link.decay
            link.avg_mean += (1 - link.decay) * function.mean
            link.avg_var *= link.decay
            link.avg_var += (1 - link.decay) * (m / max(m - 1.0, 1.0)) * function.var
        return y
    return batch_norm


def share(comm, load):
    """``load()`` on rank 0, its result sent to every rank (one decode);
    just ``load()`` without a communicator."""
    if comm is None:
        return load()
    return comm.bcast_obj(load() if comm.rank == 0 else None)


def parallelize(updater, comm, random_streams='per-rank', sync_bn=False):
    """Make a ``DCGANUpdater`` one of ``comm.size`` data-parallel ranks.

    Its iterator must yield the global batch (``make_iterator`` with
    ``--batchsize`` x ``comm.size``); this rank then takes its rows, the
    optimizers average gradients, the random stream becomes this rank's,
    and with ``sync_bn`` batch norm uses the global batch while updating.
    The nets are broadcast from rank 0. Returns ``updater``.
    """
    # StandardUpdater keeps these in private dicts and offers no setter;
    # Chainer 7.8.1 is its last release, so they stay where they are.
    updater._iterators['main'] = RankRows(updater.get_iterator('main'), comm.rank, comm.size)
    for name, optimizer in list(updater.get_all_optimizers().items()):
        comm.bcast_data(optimizer.target)
        updater._optimizers[name] = AllreduceGradients(optimizer, comm)
    updater.rng = rank_random(updater.rng.seed, comm.rank, comm.size, random_streams)
    if sync_bn:
        batch_norm = synced_batch_norm(comm)
        update_core = updater.update_core

        def synced_update_core():
            # Only inside the update: test-mode readers on rank 0 alone
            # (previews, the EMA's statistics) must not wait for the others.
            with chainer.using_config('dcgan_batch_norm', batch_norm):
                update_core()
        updater.update_core = synced_update_core
    return updater


def _to_host(value):
    value = getattr(value, 'array', value)
    return float(chainer.backend.CpuDevice().send(value)) if hasattr(value, 'dtype') \
        else float(value)


def mean_over_ranks(comm, values):
    """{key: float} averaged over all ranks (every rank must pass the same keys)."""
    keys = sorted(values)
    local = numpy.array([_to_host(values[k]) for k in keys] + [len(keys)], dtype=numpy.float64)
    total = comm.allreduce(local)
    if total[-1] != len(keys) * comm.size:
        raise RuntimeError('the processes reported different values ({}); they no longer '
                           'run the same steps'.format(', '.join(keys)))
    return {k: float(v) / comm.size for k, v in zip(keys, total[:-1])}


def average_batch_norm_statistics(comm, models):
    """Set every batch norm's running mean and variance in ``models`` to
    their mean over the ranks (the same numbers on every rank after)."""
    for model in models:
        for _, link in sorted(model.namedlinks()):
            for name in ('avg_mean', 'avg_var'):
                array = getattr(link, name, None) if name in getattr(link, '_persistent', ()) \
                    else None
                if array is None:
                    continue
                host = numpy.asarray(chainer.backend.CpuDevice().send(array))
                mean = comm.allreduce(host.astype(numpy.float64)) / comm.size
                array[...] = chainer.backend.get_device_from_array(array).send(
                    mean.astype(array.dtype))


def _rng_state(rng):
    target = {}
    rng.serialize(chainer.serializers.DictionarySerializer(target))
    return target['state']


class RankState(extension.Extension):
    """What keeps the ranks in step and resumable, on every rank.

    Every iteration, first among the extensions: the reported values become
    their mean over the ranks. At ``snapshot_trigger`` (the trainer
    snapshot's): the batch-norm running statistics are averaged (unless
    synced, when they are equal already) and rank 0 gathers every rank's
    random-stream state, which it writes in the snapshot beside the number
    of processes. Loading gives each rank its own stream back.
    """

    name = 'distributed'
    trigger = (1, 'iteration')
    priority = extension.PRIORITY_WRITER + 200  # before the NaN guard and every writer

    def __init__(self, comm, updater, models, snapshot_trigger, sync_bn=False):
        self.comm = comm
        self.updater = updater
        self.models = list(models)
        self.snapshot_trigger = snapshot_trigger
        self.sync_bn = bool(sync_bn)
        self._states = None

    def __call__(self, trainer):
        observation = trainer.observation
        observation.update(mean_over_ranks(self.comm, observation))
        if self.snapshot_trigger(trainer):
            if not self.sync_bn:
                average_batch_norm_statistics(self.comm, self.models)
            self._states = self.comm.gather_obj(_rng_state(self.updater.rng))

    def serialize(self, serializer):
        if isinstance(serializer, chainer.serializer.Serializer):
            serializer('processes', numpy.int64(self.comm.size))
            states = self._states or [_rng_state(self.updater.rng)]
            for rank, state in enumerate(states):
                serializer('rng_{}'.format(rank), state)
            return
        processes = int(serializer('processes', None))
        if processes != self.comm.size:
            raise ValueError('it was written by {} processes and this run has {}'.format(
                processes, self.comm.size))
        state = serializer('rng_{}'.format(self.comm.rank), None)
        self.updater.rng.serialize(chainer.serializers.NpzDeserializer({'state': state}))
