import chainer
import numpy
import pytest

from dcgan.training import losses


def _v(values):
    return chainer.Variable(numpy.asarray(values, dtype=numpy.float32).reshape(-1, 1))


def test_nonsaturating_is_the_examples_softplus_loss():
    y_real, y_fake = _v([0.5, -1.0, 2.0]), _v([0.1, -0.3, 1.5])
    softplus = lambda x: numpy.log1p(numpy.exp(x))  # noqa: E731
    expected_dis = (softplus(-y_real.array).sum() + softplus(y_fake.array).sum()) / 3
    expected_gen = softplus(-y_fake.array).sum() / 3
    assert float(losses.dis_nonsaturating(y_real, y_fake).array) == pytest.approx(expected_dis, rel=1e-6)
    assert float(losses.gen_nonsaturating(y_fake).array) == pytest.approx(expected_gen, rel=1e-6)


def test_hinge_and_least_squares_values():
    y_real, y_fake = _v([2.0, 0.5]), _v([-2.0, 0.0])
    # relu(1-2)=0, relu(1-0.5)=0.5 -> 0.25; relu(1-2)=0, relu(1+0)=1 -> 0.5
    assert float(losses.dis_hinge(y_real, y_fake).array) == pytest.approx(0.75)
    assert float(losses.gen_hinge(y_fake).array) == pytest.approx(1.0)
    # 0.5 * (mean((1, 0.25)) + mean((4, 0))) = 0.5 * (0.625 + 2)
    assert float(losses.dis_least_squares(y_real, y_fake).array) == pytest.approx(1.3125)


def test_unknown_loss_lists_the_choices():
    with pytest.raises(ValueError, match='hinge'):
        losses.get_losses('nope')
