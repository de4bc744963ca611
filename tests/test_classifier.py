"""The class-consistency classifier (dcgan.evaluation.classifier).

Accuracy thresholds leave a wide margin (measured: 0.89-1.0 held out at 150 iterations, chance
1/3), since BLAS rounding changes the training trajectory between CPUs.
"""
import numpy
import pytest

from dcgan.data.demo import make_demo_labelled
from dcgan.evaluation.classifier import (ClassAccuracy, accuracy_from_confusion,
                                         train_classifier)
from tests.labelled_demo import demo_classifier, demo_set


@pytest.fixture
def demo():
    return demo_set()


@pytest.fixture
def trained():
    return demo_classifier()


def test_tells_the_demo_shapes_apart_on_images_it_never_saw(demo, trained):
    images, labels, _ = demo
    acc = trained.held_out_accuracy
    assert acc.mean > 0.75
    assert min(acc.per_class) > 0.5
    # The stratified split: about 20 % of each class, disjoint from training.
    counts = numpy.bincount(labels, minlength=3)
    assert acc.counts == [int(round(0.2 * c)) for c in counts]
    assert not set(trained.held_out_indices) & set(trained.train_indices)
    assert len(trained.held_out_indices) + len(trained.train_indices) == len(images)
    # A fresh draw of the demo data: new pictures, same shapes.
    fresh, fresh_labels, _ = make_demo_labelled(n=90, resolution=32, seed=1)
    assert trained.accuracy(fresh, fresh_labels).mean > 0.75


def test_predict_and_confusion_agree(demo, trained):
    images, labels, _ = demo
    predicted = trained.predict(images[:50])
    assert predicted.dtype == numpy.int32 and predicted.shape == (50,)
    confusion = trained.confusion(images[:50], labels[:50])
    assert confusion.shape == (3, 3) and confusion.sum() == 50
    assert numpy.trace(confusion) == (predicted == labels[:50]).sum()
    assert confusion.sum(axis=1).tolist() == numpy.bincount(labels[:50], minlength=3).tolist()


def test_any_resolution_and_grayscale():
    images, labels, names = make_demo_labelled(n=30, resolution=64, channels=1, seed=2)
    classifier = train_classifier(images, labels, 3, iterations=3)
    assert classifier.predict(images).shape == (30,)
    small, _, _ = make_demo_labelled(n=4, resolution=16, channels=1, seed=2)
    assert classifier.predict(small).shape == (4,)


def test_same_seed_same_classifier_and_global_rng_untouched(demo):
    images, labels, _ = demo
    numpy.random.seed(123)
    before = numpy.random.get_state()[1].copy()
    a = train_classifier(images[:60], labels[:60], 3, seed=4, iterations=10, batchsize=8)
    b = train_classifier(images[:60], labels[:60], 3, seed=4, iterations=10, batchsize=8)
    c = train_classifier(images[:60], labels[:60], 3, seed=5, iterations=10, batchsize=8)
    numpy.testing.assert_array_equal(numpy.random.get_state()[1], before)
    numpy.testing.assert_array_equal(a.logits(images), b.logits(images))
    numpy.testing.assert_array_equal(a.held_out_indices, b.held_out_indices)
    assert not numpy.array_equal(a.held_out_indices, c.held_out_indices)
    assert not numpy.array_equal(a.logits(images), c.logits(images))


def test_tiny_classes_hold_out_what_they_can_and_say_so(demo):
    images, labels, _ = demo
    # class 0: 3 images, class 1: 1 image, class 2: the rest of the rings.
    pick = numpy.concatenate([numpy.flatnonzero(labels == 0)[:3],
                              numpy.flatnonzero(labels == 1)[:1],
                              numpy.flatnonzero(labels == 2)[:20]])
    classifier = train_classifier(images[pick], labels[pick], 3, iterations=2,
                                  class_names=['disc', 'maki', 'ring'])
    acc = classifier.held_out_accuracy
    assert acc.counts == [1, 0, 4]
    assert acc.per_class[1] is None and acc.per_class[0] is not None
    notes = ' '.join(classifier.notes)
    assert 'maki has 1 image' in notes and 'none is held out' in notes
    assert 'disc has only 3 images: 1 held out' in notes
    assert 3 in classifier.train_indices.tolist()  # the one maki trains


def test_no_hold_out():
    images, labels, _ = make_demo_labelled(n=20, resolution=16, seed=0)
    classifier = train_classifier(images, labels, 3, held_out=0, iterations=2)
    assert classifier.held_out_accuracy.mean is None
    assert len(classifier.train_indices) == 20 and len(classifier.held_out_indices) == 0


def test_accuracy_from_confusion_averages_over_classes():
    acc = accuracy_from_confusion(numpy.array([[9, 1, 0], [0, 0, 0], [1, 0, 1]]))
    assert acc == ClassAccuracy(per_class=[0.9, None, 0.5], counts=[10, 0, 2], mean=0.7)


@pytest.mark.parametrize('change, message', [
    (dict(labels=numpy.zeros(5, numpy.int32)), 'there are 20 images but 5 labels'),
    (dict(n_classes=1), 'at least 2 classes'),
    (dict(n_classes=4), 'class 3 with no images'),
    (dict(labels=numpy.full(20, 3, numpy.int32)), 'class ids from 0 to 2, but 3'),
    (dict(labels=numpy.zeros(20, numpy.float32)), 'whole-number class ids'),
    (dict(images=numpy.zeros((20, 3, 16, 16), numpy.float32)), 'must be uint8'),
    (dict(images=numpy.zeros((20, 3, 4, 4), numpy.uint8)), 'at least 8 px'),
    (dict(images=numpy.zeros((20, 16, 16), numpy.uint8)), 'shape (N, C, H, W)'),
    (dict(held_out=1.0), 'from 0 to below 1'),
    (dict(iterations=0), 'iterations must be a positive'),
])
def test_bad_input_gets_a_sentence(change, message):
    images, labels, _ = make_demo_labelled(n=20, resolution=16, seed=0)
    kwargs = dict(images=images, labels=labels, n_classes=3, iterations=1)
    kwargs.update(change)
    with pytest.raises(ValueError) as info:
        train_classifier(**kwargs)
    assert message in str(info.value)


def test_generated_images_must_match_the_real_ones():
    images, labels, _ = make_demo_labelled(n=20, resolution=16, seed=0)
    classifier = train_classifier(images, labels, 3, iterations=1)
    with pytest.raises(ValueError, match='1 channels but the classifier was trained on 3'):
        classifier.predict(images[:, :1])
    with pytest.raises(ValueError, match='must be uint8'):
        classifier.predict(images / 255.0)
    with pytest.raises(ValueError, match='8 images but 3 labels'):
        classifier.confusion(images[:8], labels[:3])
