"""Quality, memorisation and class consistency of a conditional generator, class by class.

The unconditional checks over all images hide what goes wrong in one class:
a 10-image class is where a generator copies first, and a generator that
draws the wrong class can still match the overall image distribution. So,
for each class k, with samples asked for k:

- SWD (:mod:`dcgan.evaluation.swd`) against class k's real images only;
- the nearest class-k real image of each sample (:mod:`dcgan.evaluation.nearest`),
  beside how near class k's real images are to one another (their
  leave-one-out nearest distance): samples much nearer to a training image
  than the training images are to each other are copies;
- class consistency: how many samples the real-image classifier
  (:mod:`dcgan.evaluation.classifier`) puts in class k, beside its accuracy
  on held-out real images of k.

Nothing here touches a model: :func:`evaluate_per_class` takes a callable
``generate(labels) -> uint8 images``, and the functions below it take
samples with the class each stands for (asked for, or, for an unconditional
generator, assigned by the classifier).
"""
import dataclasses

import numpy

from dcgan.evaluation import classifier as classifier_module
from dcgan.evaluation.nearest import nearest_neighbours
from dcgan.evaluation.swd import SWDReference


@dataclasses.dataclass
class ClassSWD:
    """SWD (x1e3, lower is better) of one class's samples against its real images."""
    n_real: int
    n_samples: int
    swd: object            # float, or None without samples or real images
    levels: list           # per pyramid level, fine to coarse


@dataclasses.dataclass
class ClassNearest:
    """Each sample's distance to its nearest real image of its class (RMS per
    pixel on 16 px thumbnails; 0 is a copy), and the real images' own."""
    n_real: int
    distances: numpy.ndarray   # (n_samples,)
    indices: numpy.ndarray     # (n_samples,) index into all real images
    real_median: object        # median leave-one-out nearest distance among
                               # the class's real images (None below 2 images)

    @property
    def min(self):
        return float(self.distances.min()) if len(self.distances) else None

    @property
    def median(self):
        return float(numpy.median(self.distances)) if len(self.distances) else None


@dataclasses.dataclass
class PerClassReport:
    """Everything :func:`evaluate_per_class` measured, one entry per class."""
    class_names: list
    swd: list                  # ClassSWD per class
    nearest: list              # ClassNearest per class
    generated_accuracy: object  # ClassAccuracy of the samples (asked class = label)
    held_out_accuracy: object   # the classifier's ClassAccuracy on held-out real images
    confusion: numpy.ndarray    # (K, K): row = asked class, column = classifier's call
    classifier_notes: list


def ask_every_class(n_per_class, n_classes):
    """int32 labels asking each class ``n_per_class`` times: 0, 0, ..., 1, 1, ..."""
    return numpy.repeat(numpy.arange(n_classes, dtype=numpy.int32), int(n_per_class))


def draw(generate, labels, shape):
    """``generate(labels)``, checked to be uint8 images of ``shape`` (C, H, W), one per label."""
    samples = numpy.asarray(generate(labels))
    if samples.dtype != numpy.uint8 or samples.shape != (len(labels),) + tuple(shape):
        raise ValueError('generate must return uint8 images of shape {}, one per label; it '
                         'returned {} {}'.format((len(labels),) + tuple(shape), samples.dtype,
                                                 samples.shape))
    return samples


def swd_per_class(samples, sample_labels, images, labels, n_classes, n_images=256, seed=0):
    """:class:`ClassSWD` for each class: class k's samples against class k's real images.

    ``n_images`` fixes the patch count of every class alike (see
    :class:`dcgan.evaluation.swd.SWDReference`), so the classes' numbers are
    comparable with one another, and with other generators at equal counts.
    """
    out = []
    for k in range(n_classes):
        real = images[labels == k]
        fake = samples[sample_labels == k]
        if len(real) == 0 or len(fake) == 0:
            out.append(ClassSWD(len(real), len(fake), None, []))
            continue
        levels = SWDReference(real, n_images=n_images, seed=seed).distance_per_level(fake)
        out.append(ClassSWD(len(real), len(fake), float(numpy.mean(levels)), levels))
    return out


def nearest_in_class(samples, sample_labels, images, labels, k=1):
    """Each sample's ``k`` nearest real images among those of its own class:
    indices into ``images`` (S, k) and RMS distances (S, k), nearest first
    (:func:`dcgan.evaluation.nearest.nearest_neighbours` within each class).
    A class with fewer than ``k`` real images repeats its farthest one."""
    order = numpy.zeros((len(samples), k), numpy.int64)
    dist = numpy.full((len(samples), k), numpy.inf)
    for c in numpy.unique(sample_labels):
        members = numpy.flatnonzero(labels == c)
        rows = numpy.flatnonzero(sample_labels == c)
        if len(members) == 0:
            raise ValueError('samples of class {} have no real images of that class to '
                             'compare with'.format(c))
        o, d = nearest_neighbours(samples[rows], images[members], k=k)
        pad = k - o.shape[1]  # only when the class has fewer than k images
        order[rows] = members[numpy.pad(o, ((0, 0), (0, pad)), mode='edge')]
        dist[rows] = numpy.pad(d, ((0, 0), (0, pad)), mode='edge')
    return order, dist


def nearest_per_class(samples, sample_labels, images, labels, n_classes):
    """:class:`ClassNearest` for each class: every sample's nearest real image of its class."""
    out = []
    for k in range(n_classes):
        members = numpy.flatnonzero(labels == k)
        mine = sample_labels == k
        if len(members) == 0:
            out.append(ClassNearest(0, numpy.zeros(0), numpy.zeros(0, numpy.int64), None))
            continue
        order, dist = nearest_in_class(samples[mine], sample_labels[mine], images, labels)
        real_median = None
        if len(members) >= 2:
            # The first neighbour of a real image is itself (distance 0, or a
            # duplicate's); the second is its nearest other image.
            _, own = nearest_neighbours(images[members], images[members], k=2)
            real_median = float(numpy.median(own[:, 1]))
        out.append(ClassNearest(len(members), dist[:, 0], order[:, 0], real_median))
    return out


def evaluate_per_class(generate, images, labels, n_classes, class_names=None, n_per_class=64,
                       swd_images=256, seed=0, classifier=None, classifier_options=None):
    """Per-class SWD, nearest-neighbour check and class consistency of ``generate``.

    ``generate(labels)`` takes int32 class ids (N,) and returns uint8
    (N, C, H, W) samples of those classes. ``images`` (uint8 NCHW) and
    ``labels`` (int, -1 = unlabelled, ignored) are the real images.
    ``n_per_class`` samples are asked of every class and used by all three
    checks. ``classifier`` is a trained
    :class:`dcgan.evaluation.classifier.Classifier`; without one it is
    trained here on the labelled images (``classifier_options`` go to
    :func:`~dcgan.evaluation.classifier.train_classifier`, with ``seed``).
    """
    images, labels = _labelled(images, labels, n_classes)
    names = list(class_names) if class_names is not None else [
        'class {}'.format(k) for k in range(n_classes)]
    if len(names) != n_classes:
        raise ValueError('{} class names for {} classes'.format(len(names), n_classes))
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, numpy.integer)) \
            or n_per_class < 1:
        raise ValueError('n_per_class must be a positive whole number, not {!r}'.format(
            n_per_class))
    if classifier is None:
        options = dict(seed=seed, class_names=names)
        options.update(classifier_options or {})
        classifier = classifier_module.train_classifier(images, labels, n_classes, **options)
    asked = ask_every_class(n_per_class, n_classes)
    samples = draw(generate, asked, images.shape[1:])
    confusion = classifier.confusion(samples, asked)
    return PerClassReport(
        class_names=names,
        swd=swd_per_class(samples, asked, images, labels, n_classes, swd_images, seed),
        nearest=nearest_per_class(samples, asked, images, labels, n_classes),
        generated_accuracy=classifier_module.accuracy_from_confusion(confusion),
        held_out_accuracy=classifier.held_out_accuracy,
        confusion=confusion,
        classifier_notes=list(classifier.notes))


def _labelled(images, labels, n_classes):
    """The labelled images and their labels (unlabelled ones, -1, dropped), checked."""
    images, labels = numpy.asarray(images), numpy.asarray(labels)
    if images.ndim != 4 or images.dtype != numpy.uint8:
        raise ValueError('real images must be uint8 of shape (N, C, H, W), not {} {}'.format(
            images.dtype, images.shape))
    if labels.shape != (len(images),):
        raise ValueError('there are {} real images but {} labels; give one label per '
                         'image'.format(len(images), labels.size))
    keep = labels >= 0
    return images[keep], labels[keep].astype(numpy.int32)
