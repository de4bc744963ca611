"""DiffAugment: shapes, identity, determinism, and gradients reaching G."""
import chainer
import numpy
import pytest

from dcgan.training.augment import AugmentError, DiffAugment, parse_policy, translation
from dcgan.models.nets import Generator
from dcgan.training.rng import TrainingRandom


def _gen():
    numpy.random.seed(0)
    return Generator(n_hidden=8, resolution=16, ch=16, out_channels=3)


@pytest.mark.parametrize('policy', ['color', 'translation', 'cutout',
                                    'color,translation,cutout'])
def test_policy_keeps_shape_dtype_and_passes_gradient_to_generator(policy):
    gen = _gen()
    z = numpy.random.RandomState(1).uniform(-1, 1, (4, 8, 1, 1)).astype(numpy.float32)
    x = gen(z)
    y = DiffAugment(policy)(x, TrainingRandom(3))
    assert y.shape == x.shape and y.dtype == numpy.float32
    assert not numpy.array_equal(y.array, x.array)  # it did something
    weights = numpy.random.RandomState(2).standard_normal(y.shape).astype(numpy.float32)
    gen.cleargrads()
    chainer.functions.sum(y * weights).backward()
    for name, p in gen.namedparams():
        if name.startswith('/bn'):
            continue
        assert p.grad is not None and numpy.abs(p.grad).sum() > 0, name


def test_identity_policy_changes_nothing_and_draws_nothing():
    x = numpy.random.RandomState(0).rand(3, 3, 8, 8).astype(numpy.float32)
    rng = TrainingRandom(5)
    state = dict(rng.host.bit_generator.state)
    for policy in ('', 'none', None, []):
        y = DiffAugment(policy)(x, rng)
        numpy.testing.assert_array_equal(y.array, x)
    assert rng.host.bit_generator.state == state


def test_zero_strength_translation_is_identity():
    x = numpy.random.RandomState(0).rand(3, 3, 8, 8).astype(numpy.float32)
    y = translation(chainer.Variable(x), TrainingRandom(0), ratio=0.0)
    numpy.testing.assert_array_equal(y.array, x)


def test_translation_moves_a_pixel_within_the_ratio_and_fills_with_zero():
    x = numpy.zeros((16, 1, 16, 16), numpy.float32)
    x[:, :, 8, 8] = 1.0
    y = translation(chainer.Variable(x), TrainingRandom(1), ratio=0.125).array
    for img in y:
        (c, r, k), = numpy.argwhere(img == 1.0)
        assert abs(r - 8) <= 2 and abs(k - 8) <= 2
        assert img.sum() == 1.0
    assert len({tuple(numpy.argwhere(img == 1.0)[0]) for img in y}) > 1


def test_same_seed_same_augmentation():
    x = numpy.random.RandomState(0).rand(4, 3, 16, 16).astype(numpy.float32)
    aug = DiffAugment('color,translation,cutout')
    a = aug(x, TrainingRandom(9)).array
    b = aug(x, TrainingRandom(9)).array
    c = aug(x, TrainingRandom(10)).array
    numpy.testing.assert_array_equal(a, b)
    assert not numpy.array_equal(a, c)


def test_cutout_zeroes_a_quarter_at_most():
    x = numpy.ones((8, 3, 16, 16), numpy.float32)
    y = DiffAugment('cutout')(x, TrainingRandom(0)).array
    zero_fraction = (y == 0).mean(axis=(1, 2, 3))
    assert (zero_fraction > 0).all() and (zero_fraction <= 0.25 + 1e-6).all()


def test_policy_names():
    assert parse_policy('colour, translation,cutout') == ('color', 'translation', 'cutout')
    with pytest.raises(AugmentError, match='unknown augmentation policy'):
        parse_policy('color,rotate')


def test_updater_with_augmentation_is_deterministic():
    from tests.helpers import max_abs_diff, params, tiny_updater
    runs = []
    for _ in range(2):
        up = tiny_updater(augment='color,translation,cutout')
        for _ in range(2):
            up.update()
        runs.append(params(up.gen))
    assert max_abs_diff(*runs) == 0
