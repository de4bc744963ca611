"""Class consistency: a small CNN trained on the real images judges whether a
generated image shows the class it was asked for.

This is "GAN-test" / classification accuracy of samples (research note
conditional.md, section 5): train a classifier on real labelled images, then
classify generated images. Its accuracy on samples of class k says how often
the generator draws something recognisable as k; it means something only next
to the classifier's accuracy on *real* images it never trained on, which is
why training holds out a seeded, stratified part of the real images and
reports the accuracy on it. The classifier is independent of the GAN's
discriminator on purpose: an ACGAN discriminator's own head rates its fakes
far better than real test images (Keras-GAN#242).

Preprocessing is the same for real and generated images and is only uint8
0..255 -> float32 0..1 (a mismatch in scaling made a ResNet call every cGAN
sample "eight", PyTorch-GAN#41), so only uint8 images are accepted.

The net: four convolutions (three of stride 2) with batch norm and ReLU, the
mean over all positions, one linear layer. The mean makes it work at any
resolution (images over 32 px are area-averaged first); the size keeps
training to seconds on a CPU for a few hundred 32 px images. Training sees
random horizontal flips and shifts of a few pixels, with Adam's step
decaying linearly to 0 (without the decay, held-out accuracy swung by 0.3
between seeds). Everything is drawn from one generator seeded by ``seed`` (weights,
split, batches, augmentation): NumPy's global RNG is neither read nor
reseeded.
"""
import dataclasses

import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from dcgan.evaluation.nearest import shrink
from dcgan.models import layers

# Smallest side the net takes: its three stride-2 convolutions leave 1 px of 8.
MIN_SIDE = 8
_WIDTH = (16, 32, 32, 64)
_PREDICT_BATCH = 256
_LR = 2e-3
_SIDE = 32


@dataclasses.dataclass
class ClassAccuracy:
    """Accuracy on a labelled image set, per class and averaged over classes.

    Attributes:
        per_class: accuracy of each class's images (None for a class with no
            images in the set).
        counts: images of each class in the set.
        mean: mean of the per-class values that exist (so a large class does
            not hide a bad small one); None when the set is empty.
    """
    per_class: list
    counts: list
    mean: object


class Classifier:
    """A trained class-consistency classifier (build it with :func:`train_classifier`).

    Attributes:
        n_classes: number of classes.
        held_out_accuracy: :class:`ClassAccuracy` on the held-out real
            images (never trained on); a class with one image has none held
            out and None there.
        held_out_indices, train_indices: which of the given images were held
            out and which trained on.
        notes: sentences about the split (a class too small to hold out).
    """

    def __init__(self, net, n_classes, shape, held_out_indices, train_indices, notes):
        self.net = net
        self.n_classes = n_classes
        self.channels = shape[0]
        self.held_out_accuracy = None
        self.held_out_indices = held_out_indices
        self.train_indices = train_indices
        self.notes = notes

    def logits(self, images):
        """(N, n_classes) float32 class scores of uint8 (N, C, H, W) ``images``."""
        x = _check_images(images, 'images', channels=self.channels)
        out = numpy.zeros((len(x), self.n_classes), numpy.float32)
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            for start in range(0, len(x), _PREDICT_BATCH):
                batch = _to_float(x[start:start + _PREDICT_BATCH])
                out[start:start + len(batch)] = self.net(batch).array
        return out

    def predict(self, images):
        """int32 (N,) predicted class of each uint8 (N, C, H, W) image."""
        return self.logits(images).argmax(axis=1).astype(numpy.int32)

    def confusion(self, images, labels):
        """(n_classes, n_classes) int64 counts: row = given label, column = prediction."""
        labels = _check_labels(labels, len(images), self.n_classes)
        return confusion_matrix(labels, self.predict(images), self.n_classes)

    def accuracy(self, images, labels):
        """:class:`ClassAccuracy` of the predictions for ``images`` against ``labels``."""
        return accuracy_from_confusion(self.confusion(images, labels))


def confusion_matrix(labels, predicted, n_classes):
    """(n_classes, n_classes) counts of (label, prediction) pairs."""
    out = numpy.zeros((n_classes, n_classes), numpy.int64)
    numpy.add.at(out, (labels, predicted), 1)
    return out


def accuracy_from_confusion(confusion):
    """:class:`ClassAccuracy` from a confusion matrix (rows = true labels)."""
    counts = confusion.sum(axis=1)
    per_class = [float(confusion[k, k] / counts[k]) if counts[k] else None
                 for k in range(len(confusion))]
    present = [a for a in per_class if a is not None]
    mean = float(numpy.mean(present)) if present else None
    return ClassAccuracy(per_class=per_class, counts=[int(c) for c in counts], mean=mean)


def train_classifier(images, labels, n_classes, seed=0, held_out=0.2, iterations=300,
                     batchsize=32, class_names=None):
    """Train a :class:`Classifier` on real uint8 (N, C, H, W) ``images`` and int ``labels``.

    ``held_out`` (0 <= held_out < 1) of each class's images, at least one of
    a class with two or more, are kept out of training and scored after it;
    a class with a single image trains on it and has no held-out accuracy (a
    note says so). ``class_names`` only names classes in the notes.
    Deterministic for a given ``seed`` on one machine.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, numpy.integer)) \
            or n_classes < 2:
        raise ValueError('a classifier needs at least 2 classes, not n_classes={!r}'.format(
            n_classes))
    images = _check_images(images, 'training images')
    labels = _check_labels(labels, len(images), n_classes)
    if not 0 <= held_out < 1:
        raise ValueError('held_out is the fraction of each class kept out of training, '
                         'from 0 to below 1, not {!r}'.format(held_out))
    for name, value in (('iterations', iterations), ('batchsize', batchsize)):
        if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
            raise ValueError('{} must be a positive whole number, not {!r}'.format(name, value))
    names = list(class_names) if class_names is not None else [
        'class {}'.format(k) for k in range(n_classes)]
    counts = numpy.bincount(labels, minlength=n_classes)
    empty = [names[k] for k in range(n_classes) if counts[k] == 0]
    if empty:
        raise ValueError('the classifier cannot learn {} with no images; every class '
                         'needs at least one'.format(', '.join(empty)))

    rng = numpy.random.default_rng(seed)
    train_idx, test_idx, notes = _split(labels, n_classes, held_out, rng, names)
    net = _Net(images.shape[1], n_classes, rng)
    optimizer = chainer.optimizers.Adam(alpha=_LR)
    optimizer.setup(net)
    x_train, y_train = images[train_idx], labels[train_idx]
    for i in range(int(iterations)):
        # Linear decay to 0: the last steps are small, so the weights the
        # run ends with do not depend on the luck of its last few batches.
        optimizer.alpha = _LR * (1 - i / int(iterations))
        pick = rng.integers(0, len(x_train), int(batchsize))
        x = _to_float(_augment(x_train[pick], rng))
        loss = F.softmax_cross_entropy(net(x), y_train[pick])
        net.cleargrads()
        loss.backward()
        optimizer.update()

    classifier = Classifier(net, n_classes, images.shape[1:], test_idx, train_idx, notes)
    # A class with nothing held out shows up as count 0 and accuracy None.
    classifier.held_out_accuracy = accuracy_from_confusion(confusion_matrix(
        labels[test_idx], classifier.predict(images[test_idx]) if len(test_idx)
        else numpy.zeros(0, numpy.int32), n_classes))
    return classifier


def _split(labels, n_classes, held_out, rng, names):
    """Stratified (train, held-out) index arrays and notes on small classes."""
    train, test, notes = [], [], []
    for k in range(n_classes):
        idx = numpy.flatnonzero(labels == k)
        idx = idx[rng.permutation(len(idx))]
        n_test = 0
        if held_out > 0:
            if len(idx) >= 2:
                n_test = min(len(idx) - 1, max(1, int(round(held_out * len(idx)))))
            else:
                notes.append('{} has 1 image: it is trained on and none is held out, so '
                             'its held-out accuracy is unknown'.format(names[k]))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
        if 2 <= len(idx) < 5 and held_out > 0:
            notes.append('{} has only {} images: {} held out, so its held-out accuracy '
                         'is a rough guide'.format(names[k], len(idx), n_test))
    return (numpy.sort(numpy.concatenate(train)), numpy.sort(numpy.concatenate(test)),
            notes)


class _Net(chainer.Chain):
    def __init__(self, channels, n_classes, rng):
        super().__init__()
        w = _WIDTH
        shapes = [(w[0], channels, 4), (w[1], w[0], 4), (w[2], w[1], 3), (w[3], w[2], 4)]
        with self.init_scope():
            self.c0 = L.Convolution2D(channels, w[0], 4, 2, 1, initialW=_he(rng, shapes[0]))
            self.c1 = L.Convolution2D(w[0], w[1], 4, 2, 1, initialW=_he(rng, shapes[1]))
            self.c2 = L.Convolution2D(w[1], w[2], 3, 1, 1, initialW=_he(rng, shapes[2]))
            self.c3 = L.Convolution2D(w[2], w[3], 4, 2, 1, initialW=_he(rng, shapes[3]))
            self.b0 = L.BatchNormalization(w[0])
            self.b1 = L.BatchNormalization(w[1])
            self.b2 = L.BatchNormalization(w[2])
            self.b3 = L.BatchNormalization(w[3])
            self.fc = L.Linear(w[3], n_classes, initialW=(
                rng.standard_normal((n_classes, w[3])) / numpy.sqrt(w[3])).astype(
                    numpy.float32))

    def forward(self, x):
        h = x
        for link, bn in ((self.c0, self.b0), (self.c1, self.b1), (self.c2, self.b2),
                         (self.c3, self.b3)):
            h = layers.relu(layers.batch_norm(bn, layers.conv(link, h)))
        # The mean over positions: any resolution gives the same feature size.
        return self.fc(F.mean(h, axis=(2, 3)))


def _he(rng, shape):
    out_c, in_c, k = shape
    scale = numpy.sqrt(2.0 / (in_c * k * k))
    return (rng.standard_normal((out_c, in_c, k, k)) * scale).astype(numpy.float32)


def _augment(x, rng):
    """Random horizontal flips and shifts of up to 1/8 of the side (edges repeated)."""
    n, _, h, w = x.shape
    flip = rng.random(n) < 0.5
    x = numpy.where(flip[:, None, None, None], x[:, :, :, ::-1], x)
    shift = max(1, h // 8)
    dy = rng.integers(-shift, shift + 1, n)
    dx = rng.integers(-shift, shift + 1, n)
    rows = numpy.clip(numpy.arange(h)[None, :] - dy[:, None], 0, h - 1)  # (n, h)
    cols = numpy.clip(numpy.arange(w)[None, :] - dx[:, None], 0, w - 1)
    return x[numpy.arange(n)[:, None, None, None], numpy.arange(x.shape[1])[None, :, None, None],
             rows[:, None, :, None], cols[:, None, None, :]]


def _to_float(x):
    """uint8 -> float32 in [0, 1], area-averaged by the largest whole factor
    that leaves at least _SIDE px on the long side.

    The averaging (the nearest-neighbour check's shrink) keeps the cost from
    growing with the resolution; it is exact and batch-independent, so real
    and generated images get identical preprocessing."""
    h, w = x.shape[2:]
    factor = max(f for f in range(1, min(h, w) + 1)
                 if h % f == 0 and w % f == 0 and max(h, w) // f >= _SIDE
                 or f == 1)
    return shrink(x, h // factor)


def _check_images(images, what, channels=None):
    x = numpy.asarray(images)
    if x.dtype != numpy.uint8:
        raise ValueError('{} must be uint8 (0..255), as the real images are, not {}; convert '
                         'float images with dcgan.io.imaging.to_uint8 first'.format(what, x.dtype))
    if x.ndim != 4:
        raise ValueError('{} must have shape (N, C, H, W), not {}'.format(what, x.shape))
    if len(x) == 0:
        raise ValueError('{}: there are no images'.format(what))
    if min(x.shape[2:]) < MIN_SIDE:
        raise ValueError('{} of {}x{} px are too small for the classifier; it needs at '
                         'least {} px a side'.format(what, x.shape[2], x.shape[3], MIN_SIDE))
    if channels is not None and x.shape[1] != channels:
        raise ValueError('{} have {} channels but the classifier was trained on {}'.format(
            what, x.shape[1], channels))
    return x


def _check_labels(labels, n, n_classes):
    y = numpy.asarray(labels)
    if y.ndim != 1 or len(y) != n:
        raise ValueError('there are {} images but {} labels; give one label per image'.format(
            n, y.shape[0] if y.ndim else 'scalar'))
    if y.dtype.kind not in 'iu':
        raise ValueError('labels must be whole-number class ids, not {}'.format(y.dtype))
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError('labels must be class ids from 0 to {}, but {} is among '
                         'them'.format(n_classes - 1, y.min() if y.min() < 0 else y.max()))
    return y.astype(numpy.int32)
