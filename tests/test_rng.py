"""TrainingRandom's normal draws: seeded, machine-independent, resumable."""
import chainer
import numpy
import pytest

from dcgan.ops import threads
from dcgan.training.rng import NORMAL_PIECE, TrainingRandom

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


@pytest.mark.parametrize('shape', [(2, 3, 4, 5), (2, 64, 32, 32), (3, 37, 100, 100)])
def test_add_normal_is_a_plus_the_same_noise(shape):
    # Small (one piece) and large (threaded pieces) draws, channels-last and
    # C-contiguous inputs: the fused add gives exactly a + normal_like(a).
    b, c, h, w = shape
    rng = numpy.random.default_rng(3)
    a = rng.standard_normal((b, h, w, c)).astype(numpy.float32).transpose(0, 3, 1, 2)
    for x in (a, numpy.ascontiguousarray(a)):
        got = TrainingRandom(8).add_normal(x, scale=0.2)
        numpy.testing.assert_array_equal(got, x + TrainingRandom(8).normal_like(x, scale=0.2))
        assert got.strides == x.strides
    # float64 and strided (non-dense) inputs take the plain expression.
    x64 = a.astype(numpy.float64)
    numpy.testing.assert_array_equal(TrainingRandom(8).add_normal(x64, 0.2),
                                     x64 + TrainingRandom(8).normal_like(x64, 0.2))
    sliced = a[:, :, ::2]
    numpy.testing.assert_array_equal(TrainingRandom(8).add_normal(sliced, 0.2),
                                     sliced + TrainingRandom(8).normal_like(sliced, 0.2))
