"""Box-Muller normals: the right distribution, finite, any length."""
import math

import numpy
import pytest

from dcgan.ops.gaussian import fill_normal


def _draw(n, scale=1.0, seed=0):
    out = numpy.empty(n, numpy.float32)
    return fill_normal(numpy.random.default_rng(seed), out, scale)


def test_matches_the_normal_distribution():
    x = _draw(1 << 21).astype(numpy.float64)
    assert numpy.isfinite(x).all()
    assert abs(x.mean()) < 3e-3 and abs(x.std() - 1.0) < 3e-3
    # Empirical CDF against Phi at several points (n = 2M: error ~ 1e-3).
    for t in (-3.0, -2.0, -1.0, -0.3, 0.0, 0.5, 1.0, 2.0, 3.0):
        phi = 0.5 * (1.0 + math.erf(t / math.sqrt(2.0)))
        assert abs((x <= t).mean() - phi) < 2e-3, t
    # Kurtosis 3 (a uniform or a sum of few uniforms would fail this).
    assert abs(((x - x.mean()) ** 4).mean() / x.var() ** 2 - 3.0) < 0.03
    assert numpy.abs(x).max() <= 5.78


def test_pairs_are_uncorrelated():
    # out[i] and out[i + n/2] come from one (radius, angle) pair.
    x = _draw(1 << 20).astype(numpy.float64)
    a, b = x[:len(x) // 2], x[len(x) // 2:]
    assert abs(numpy.corrcoef(a, b)[0, 1]) < 5e-3
    assert abs(numpy.corrcoef(a ** 2, b ** 2)[0, 1]) < 5e-3
    assert abs(numpy.corrcoef(x[:-1], x[1:])[0, 1]) < 5e-3


@pytest.mark.parametrize('n', [1, 2, 7, 1000, 1001])
def test_any_length_is_filled_and_seeded(n):
    x = _draw(n, scale=0.2, seed=3)
    assert x.shape == (n,) and x.dtype == numpy.float32
    assert numpy.isfinite(x).all() and (x != 0).all()
    numpy.testing.assert_array_equal(x, _draw(n, scale=0.2, seed=3))
    assert not numpy.array_equal(x, _draw(n, scale=0.2, seed=4))


def test_scale_multiplies():
    numpy.testing.assert_allclose(_draw(4096, scale=0.2), 0.2 * _draw(4096),
                                  rtol=1e-6, atol=1e-7)
