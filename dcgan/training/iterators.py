"""A shuffling iterator whose shuffle order survives a snapshot.

Chainer's ``SerialIterator`` saves the current epoch's order but not the
random state its ``ShuffleOrderSampler`` uses for the next epoch, so a run
resumed from a snapshot shuffles differently from one that never stopped.
"""
import chainer

from dcgan.training.rng import TrainingRandom


class SeededShuffleSampler(chainer.iterators.OrderSampler):
    """Shuffles each epoch from a ``TrainingRandom`` that is serialized."""

    def __init__(self, seed=0):
        self.random = TrainingRandom(seed)

    def __call__(self, current_order, current_position):
        n = len(current_order)
        return self.random.host.permutation(n)

    def serialize(self, serializer):
        self.random.serialize(serializer)


class ShuffledIterator(chainer.iterators.SerialIterator):
    """``SerialIterator`` with a seeded shuffle whose state is snapshotted."""

    def __init__(self, dataset, batch_size, repeat=True, seed=0):
        super(ShuffledIterator, self).__init__(
            dataset, batch_size, repeat=repeat,
            order_sampler=SeededShuffleSampler(seed))

    def serialize(self, serializer):
        super(ShuffledIterator, self).serialize(serializer)
        self.order_sampler.serialize(serializer['order_sampler'])


def make_iterator(dataset, batch_size, seed=0, repeat=True):
    """The training iterator: a seeded shuffle, batches of ``batch_size``."""
    if len(dataset) == 0:
        raise ValueError('the dataset is empty')
    return ShuffledIterator(dataset, batch_size, repeat=repeat, seed=seed)


