"""Per-class metrics (dcgan.evaluation.per_class) with stand-in generators.

A "generator" that returns fresh real images of the asked class must score
well; one that returns another class's images, or copies of the training
images, must be told apart from it. Measured (32 samples per class, 16
images' worth of SWD patches): SWD 67-103 right vs 167-450 wrong; accuracy
0.84-1.0 right vs 0-0.13 wrong.
"""
import numpy
import pytest

from dcgan.data.demo import make_demo_labelled
from dcgan.evaluation.per_class import (ask_every_class, draw, evaluate_per_class,
                                        nearest_in_class, nearest_per_class, swd_per_class)
from tests.labelled_demo import demo_classifier, demo_set

POOL, POOL_LABELS, _ = make_demo_labelled(n=400, resolution=32, seed=1)


def drawing(shift):
    """generate(labels): unseen real images of class (asked + shift) % 3."""
    def generate(labels):
        out = numpy.zeros((len(labels), 3, 32, 32), numpy.uint8)
        for k in range(3):
            asked = numpy.flatnonzero(labels == k)
            out[asked] = POOL[POOL_LABELS == (k + shift) % 3][:len(asked)]
        return out
    return generate


def evaluate(generate, **kwargs):
    images, labels, names = demo_set()
    return evaluate_per_class(generate, images, labels, 3, names, n_per_class=32,
                              swd_images=16, classifier=demo_classifier(), **kwargs)


@pytest.fixture(scope='module')
def right():
    return evaluate(drawing(0))


@pytest.mark.parametrize('shift', [1, 2])
def test_the_wrong_class_is_told_apart_by_accuracy_and_swd(right, shift):
    wrong = evaluate(drawing(shift))
    assert right.generated_accuracy.mean > 0.75
    assert wrong.generated_accuracy.mean < 0.4
    for k in range(3):
        assert right.swd[k].swd < wrong.swd[k].swd, k
    # The confusion rows are the asked classes; the wrong drawer's calls
    # land mostly in the column of the class it really drew.
    assert wrong.confusion.sum(axis=1).tolist() == [32, 32, 32]
    for k in range(3):
        assert wrong.confusion[k].argmax() == (k + shift) % 3


def test_report_holds_every_class(right):
    assert right.class_names == ['disc', 'maki', 'ring']
    _, labels, _ = demo_set()
    counts = numpy.bincount(labels, minlength=3).tolist()
    assert [s.n_real for s in right.swd] == counts
    assert [s.n_samples for s in right.swd] == [32, 32, 32]
    assert all(len(s.levels) == 2 for s in right.swd)  # 32 and 16 px levels
    assert right.held_out_accuracy is demo_classifier().held_out_accuracy
    assert [len(n.distances) for n in right.nearest] == [32, 32, 32]


def test_copies_are_caught_per_class(right):
    images, labels, _ = demo_set()

    def copying(asked):  # the first training images of each asked class
        return numpy.concatenate([images[labels == k][:(asked == k).sum()] for k in range(3)])

    copies = evaluate(copying)
    for k in range(3):
        near = copies.nearest[k]
        assert near.min == 0.0 and near.median == 0.0
        # The neighbour is a training image of that class, the one copied.
        assert (labels[near.indices] == k).all()
        assert near.indices[0] == numpy.flatnonzero(labels == k)[0]
        # Fresh images of the class are about as far from the training
        # images as those are from one another; copies are not.
        assert right.nearest[k].median > 0.5 * right.nearest[k].real_median > 0


def test_unlabelled_images_are_ignored_and_sample_labels_may_be_assigned():
    images, labels, _ = demo_set()
    partly = labels.copy()
    partly[::2] = -1
    report = evaluate_per_class(drawing(0), images, partly, 3, n_per_class=8, swd_images=16,
                                classifier=demo_classifier())
    assert [s.n_real for s in report.swd] == numpy.bincount(labels[1::2], minlength=3).tolist()
    assert report.class_names == ['class 0', 'class 1', 'class 2']
    # Samples with labels assigned afterwards (an unconditional generator's,
    # sorted by the classifier): a class with no samples gets None.
    samples = POOL[:10]
    assigned = numpy.zeros(10, numpy.int32)
    swd = swd_per_class(samples, assigned, images, labels, 3, n_images=16)
    assert swd[0].swd is not None and swd[1].swd is None and swd[1].n_samples == 0
    nearest = nearest_per_class(samples, assigned, images, labels, 3)
    assert len(nearest[0].distances) == 10 and nearest[2].median is None


def test_generate_must_return_one_uint8_image_per_label():
    asked = ask_every_class(2, 3)
    assert asked.tolist() == [0, 0, 1, 1, 2, 2] and asked.dtype == numpy.int32
    with pytest.raises(ValueError, match='uint8 images of shape'):
        draw(lambda y: numpy.zeros((len(y), 3, 32, 32), numpy.float32), asked, (3, 32, 32))
    with pytest.raises(ValueError, match=r'\(6, 3, 32, 32\), one per label'):
        draw(lambda y: numpy.zeros((2, 3, 32, 32), numpy.uint8), asked, (3, 32, 32))


def test_bad_real_data_gets_a_sentence():
    images, labels, names = demo_set()
    with pytest.raises(ValueError, match='240 real images but 5 labels'):
        evaluate_per_class(drawing(0), images, labels[:5], 3, classifier=demo_classifier())
    with pytest.raises(ValueError, match='2 class names for 3 classes'):
        evaluate_per_class(drawing(0), images, labels, 3, names[:2],
                           classifier=demo_classifier())
    with pytest.raises(ValueError, match='n_per_class must be a positive'):
        evaluate_per_class(drawing(0), images, labels, 3, n_per_class=0,
                           classifier=demo_classifier())


def test_trains_its_own_classifier_when_given_none():
    images, labels, names = make_demo_labelled(n=30, resolution=16, seed=3)
    pool, pool_labels, _ = make_demo_labelled(n=60, resolution=16, seed=4)

    def generate(asked):  # the first pool image of each asked class
        return numpy.stack([pool[numpy.flatnonzero(pool_labels == k)[0]] for k in asked])

    report = evaluate_per_class(generate, images, labels, 3, names, n_per_class=2,
                                swd_images=8, classifier_options=dict(iterations=2))
    assert report.confusion.sum() == 6
    assert report.held_out_accuracy.counts == [
        int(round(0.2 * c)) for c in numpy.bincount(labels, minlength=3)]


def test_nearest_in_class_searches_only_the_samples_class():
    images, labels, _ = demo_set()
    # A copy of a disc asked as a ring: its neighbours are rings, not itself.
    disc = numpy.flatnonzero(labels == 0)[0]
    ring = numpy.flatnonzero(labels == 2)[0]
    samples = images[[disc, disc, ring]]
    order, dist = nearest_in_class(samples, numpy.array([0, 2, 2]), images, labels, k=3)
    assert order.shape == dist.shape == (3, 3)
    assert order[0, 0] == disc and dist[0, 0] == 0.0
    assert (labels[order[1]] == 2).all() and dist[1, 0] > 0
    assert order[2, 0] == ring and dist[2, 0] == 0.0
    assert (numpy.diff(dist, axis=1) >= 0).all()
    # A class with fewer real images than k repeats its farthest one.
    two = numpy.concatenate([numpy.flatnonzero(labels == 1)[:2], [ring]])
    order, _ = nearest_in_class(samples[2:], numpy.array([1]), images[two], labels[two], k=3)
    assert order[0, 2] == order[0, 1] and set(order[0]) == {0, 1}
    with pytest.raises(ValueError, match='no real images of that class'):
        nearest_in_class(samples[:1], numpy.array([1]), images[[disc]], labels[[disc]])
