"""A shuffling iterator whose shuffle order survives a snapshot.

Chainer's ``SerialIterator`` saves the current epoch's order but not the
random state its ``ShuffleOrderSampler`` uses for the next epoch, so a run
resumed from a snapshot shuffles differently from one that never stopped.
"""
import chainer
import numpy

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
    """``SerialIterator`` with a seeded shuffle whose state is snapshotted
    (or another order sampler with a ``serialize`` method)."""

    def __init__(self, dataset, batch_size, repeat=True, seed=0, order_sampler=None):
        super(ShuffledIterator, self).__init__(
            dataset, batch_size, repeat=repeat,
            order_sampler=order_sampler or SeededShuffleSampler(seed))

    def serialize(self, serializer):
        super(ShuffledIterator, self).serialize(serializer)
        self.order_sampler.serialize(serializer['order_sampler'])


def make_iterator(dataset, batch_size, seed=0, repeat=True, balance_labels=None):
    """The training iterator: a seeded shuffle, batches of ``batch_size``;
    class-balanced epochs when ``balance_labels`` (one id per image) is given."""
    if len(dataset) == 0:
        raise ValueError('the dataset is empty')
    if balance_labels is not None:
        return ShuffledIterator(dataset, batch_size, repeat=repeat,
                                order_sampler=ClassBalancedSampler(balance_labels, seed))
    return ShuffledIterator(dataset, batch_size, repeat=repeat, seed=seed)




class ClassBalancedSampler(chainer.iterators.OrderSampler):
    """Each epoch, every position's class is drawn uniformly and then an image
    of that class (with replacement): real batches hold the classes equally
    often, to pair with uniformly drawn fake labels."""

    def __init__(self, labels, seed=0):
        labels = numpy.asarray(labels)
        self.members = [numpy.flatnonzero(labels == k) for k in range(int(labels.max()) + 1)]
        if any(len(m) == 0 for m in self.members):
            raise ValueError('every class needs at least one image to balance classes')
        self.random = TrainingRandom(seed)

    def __call__(self, current_order, current_position):
        n = len(current_order)
        host = self.random.host
        classes = host.integers(len(self.members), size=n)
        picks = host.random(n)
        order = numpy.empty(n, dtype=numpy.int64)
        for k, members in enumerate(self.members):
            where = classes == k
            order[where] = members[(picks[where] * len(members)).astype(numpy.int64)]
        return order

    def serialize(self, serializer):
        self.random.serialize(serializer)

