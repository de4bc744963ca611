"""Adaptive augmentation: p follows D, p = 0 is the identity, the ops keep
shape and range and pass G's gradient, and resume restores p."""
import chainer
import numpy
import pytest

from dcgan.training import ada
from dcgan.training.rng import TrainingRandom
from tests.helpers import tiny_updater


def test_p_rises_while_d_is_sure_of_the_real_images_and_falls_when_not():
    aug = ada.AdaptiveAugment(p=0.5, target=0.6, interval=2, kimg=1)
    for _ in range(4):
        aug.observe(numpy.ones((8, 1), numpy.float32))  # every real image called real
        aug.step(batch_size=8)
    # Two adjustments of 2 * 8 / 1000 each.
    assert aug.rt == 1.0 and aug.p == pytest.approx(0.5 + 2 * 16 / 1000.0)
    for _ in range(4):
        aug.observe(-numpy.ones((8, 1), numpy.float32))
        aug.step(batch_size=8)
    assert aug.rt == -1.0 and aug.p == pytest.approx(0.5)
    fixed = ada.AdaptiveAugment(p=0.3, adapt=False, interval=1)
    fixed.observe(numpy.ones((4, 1), numpy.float32))
    fixed.step(4)
    assert fixed.p == 0.3 and fixed.rt == 1.0  # measured, not moved


def test_p_zero_draws_nothing_and_changes_nothing():
    x = numpy.random.RandomState(0).rand(4, 3, 8, 8).astype(numpy.float32)
    rng = TrainingRandom(0)
    before = rng.host.bit_generator.state
    out = ada.AdaptiveAugment(p=0.0, ops=ada.OPS)(x, rng)
    numpy.testing.assert_array_equal(out.array, x)
    assert rng.host.bit_generator.state == before


@pytest.mark.parametrize('name', ada.OPS)
def test_each_op_at_p_one_keeps_shape_and_range_and_passes_the_gradient(name):
    x = chainer.Variable(numpy.random.RandomState(1).rand(6, 3, 8, 8).astype(numpy.float32))
    out = ada.AdaptiveAugment(p=1.0, ops=[name])(x, TrainingRandom(3))
    assert out.shape == x.shape
    if name != 'color':  # colour may leave [0, 1], as DiffAugment's does
        assert float(out.array.min()) >= 0 and float(out.array.max()) <= 1
    assert float(numpy.abs(out.array - x.array).max()) > 0  # it did something
    weights = numpy.random.RandomState(2).rand(*x.shape).astype(numpy.float32)
    grad, = chainer.grad([chainer.functions.sum(out * weights)], [x])
    assert grad is not None and float(numpy.abs(grad.array).sum()) > 0


def test_rotations_and_flips_move_pixels_without_changing_them():
    x = numpy.arange(2 * 1 * 4 * 4, dtype=numpy.float32).reshape(2, 1, 4, 4)
    for name in ('xflip', 'rotate90'):
        out = ada.AdaptiveAugment(p=1.0, ops=[name])(x, TrainingRandom(0)).array
        for i in range(2):
            assert sorted(out[i].ravel()) == sorted(x[i].ravel())
            assert any(numpy.array_equal(out[i, 0], numpy.rot90(x[i, 0], k)) for k in (1, 2, 3)) \
                or numpy.array_equal(out[i, 0], x[i, 0, :, ::-1])


def test_the_updater_reports_p_and_resume_restores_it(tmp_path):
    def make():
        return tiny_updater(augment=ada.AdaptiveAugment(p=0.2, interval=1, kimg=0.01))
    up = make()
    reporter = chainer.Reporter()
    reporter.add_observer('dis', up.dis)
    reporter.add_observer('gen', up.gen)
    seen = []
    for _ in range(3):
        obs = {}
        with reporter.scope(obs):
            up.update()
        seen.append(obs)
    assert {'dis/aug_p', 'dis/rt'} <= set(seen[-1])
    assert up.augment.p != 0.2  # it moved
    path = str(tmp_path / 'u.npz')
    chainer.serializers.save_npz(path, up)
    again = make()
    chainer.serializers.load_npz(path, again)
    assert again.augment.p == up.augment.p and again.augment.steps == 3
    up.update()
    again.update()
    for (name, a), (_, b) in zip(sorted(up.dis.namedparams()), sorted(again.dis.namedparams())):
        numpy.testing.assert_array_equal(a.array, b.array, err_msg=name)


def test_unknown_ops_are_refused():
    with pytest.raises(ValueError, match="unknown adaptive augmentation 'blur'"):
        ada.parse_ops('xflip,blur')


def test_a_fixed_p_of_zero_trains_exactly_as_without_augmentation():
    plain = tiny_updater()
    zero = tiny_updater(augment=ada.AdaptiveAugment(p=0.0, adapt=False, ops=ada.OPS))
    for up in (plain, zero):
        for _ in range(2):
            up.update()
    for (name, a), (_, b) in zip(sorted(plain.gen.namedparams()), sorted(zero.gen.namedparams())):
        numpy.testing.assert_array_equal(a.array, b.array, err_msg=name)


def _moves(up, iterations):
    """(p before, p after) of each update."""
    moves = []
    for _ in range(iterations):
        before = up.augment.p
        up.update()
        moves.append((before, up.augment.p))
    return moves


def test_p_moves_with_the_real_images_d_judged_not_with_g_only_steps():
    # Batch 4, interval 1, 0.4 kimg: each D update moves p by 4 / 400 = 0.01.
    up = tiny_updater(dis_every=2, augment=ada.AdaptiveAugment(p=0.5, interval=1, kimg=0.4))
    moves = _moves(up, 4)
    assert up.augment.steps == 2
    # Iterations 0 and 2 train D and move p; 1 and 3 train only G and leave it.
    assert [abs(after - before) for before, after in moves] == pytest.approx([0.01, 0, 0.01, 0])
    # Two D updates an iteration (n_dis 2): twice the real images, twice the move.
    up = tiny_updater(n_dis=2, augment=ada.AdaptiveAugment(p=0.5, interval=1, kimg=0.4))
    assert [abs(after - before) for before, after in _moves(up, 2)] == pytest.approx([0.02, 0.02])
