"""TrainingRandom's normal draws: seeded, machine-independent, resumable."""
import chainer
import numpy
import pytest

from dcgan.ops import threads
from dcgan.rng import NORMAL_PIECE, TrainingRandom

# Large enough to take the parallel path, and not a whole number of pieces.
LARGE = (3, NORMAL_PIECE + 1000)


@pytest.mark.parametrize('shape', [(7, 5), LARGE])
def test_normal_is_seeded_and_scaled(shape):
    a = TrainingRandom(4).normal(shape)
    b = TrainingRandom(4).normal(shape, scale=0.2)
    assert a.shape == shape and a.dtype == numpy.float32
    numpy.testing.assert_allclose(b, 0.2 * a, rtol=1e-6)
    assert not numpy.array_equal(a, TrainingRandom(5).normal(shape))


def test_large_draw_is_standard_normal_and_pieces_differ():
    x = TrainingRandom(0).normal(LARGE).ravel()
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1.0) < 0.01
    # Each piece has its own stream: no piece repeats another.
    assert not numpy.array_equal(x[:1000], x[NORMAL_PIECE:NORMAL_PIECE + 1000])


def test_large_draw_does_not_depend_on_core_count(monkeypatch):
    two = TrainingRandom(1).normal(LARGE)
    monkeypatch.setattr(threads, 'n_workers', lambda: 1)
    one = TrainingRandom(1).normal(LARGE)
    monkeypatch.setattr(threads, 'n_workers', lambda: 3)
    three = TrainingRandom(1).normal(LARGE)
    numpy.testing.assert_array_equal(one, two)
    numpy.testing.assert_array_equal(three, two)


def test_resume_continues_the_same_stream(tmp_path):
    r = TrainingRandom(2)
    r.normal(LARGE)
    path = str(tmp_path / 'rng.npz')
    chainer.serializers.save_npz(path, r)
    expected = r.normal(LARGE)
    resumed = TrainingRandom(99)
    chainer.serializers.load_npz(path, resumed)
    numpy.testing.assert_array_equal(resumed.normal(LARGE), expected)



@pytest.mark.parametrize('shape', [(2, 3, 4, 5), (2, 64, 32, 32)])
def test_normal_like_follows_the_memory_layout(shape):
    b, c, h, w = shape
    channels_last = numpy.zeros((b, h, w, c), numpy.float32).transpose(0, 3, 1, 2)
    noise = TrainingRandom(7).normal_like(channels_last, scale=0.5)
    assert noise.shape == shape and noise.dtype == numpy.float32
    assert noise.strides == channels_last.strides
    # The same numbers as a plain draw in memory order.
    expected = TrainingRandom(7).normal((b, h, w, c), scale=0.5)
    numpy.testing.assert_array_equal(noise.transpose(0, 2, 3, 1), expected)
    # An ordinary C-contiguous array gets an ordinary draw.
    plain = TrainingRandom(7).normal_like(numpy.zeros(shape, numpy.float32))
    numpy.testing.assert_array_equal(plain, TrainingRandom(7).normal(shape))
