"""Latent sampling, interpolation and walk paths."""
import numpy
import pytest

from dcgan.models import latent


def norms(x):
    return numpy.linalg.norm(x.astype(numpy.float64), axis=-1)


def test_sample_z_is_the_training_prior_and_reproducible():
    z = latent.sample_z(500, 20, seed=3)
    assert z.shape == (500, 20) and z.dtype == numpy.float32
    assert -1 <= z.min() < -0.9 and 0.9 < z.max() <= 1
    numpy.testing.assert_array_equal(z, latent.sample_z(500, 20, seed=3))
    assert not numpy.array_equal(z, latent.sample_z(500, 20, seed=4))
    # Any int is a seed, negative too.
    assert latent.sample_z(2, 3, seed=-1).shape == (2, 3)


def test_sampling_leaves_numpys_global_rng_alone():
    numpy.random.seed(5)
    before = numpy.random.get_state()[1].copy()
    latent.sample_keypoints(3, 4, 10, seed=0)
    numpy.testing.assert_array_equal(numpy.random.get_state()[1], before)


def test_first_walk_of_a_grid_is_the_single_walk_of_that_seed():
    single = latent.sample_keypoints(1, 4, 10, seed=7)
    grid = latent.sample_keypoints(6, 4, 10, seed=7)
    assert grid.shape == (6, 4, 10)
    numpy.testing.assert_array_equal(grid[0], single[0])


def test_lerp_is_a_straight_line_with_exact_ends():
    a, b = numpy.array([1.0, 0.0, 2.0]), numpy.array([3.0, 4.0, -2.0])
    p = latent.lerp(a, b, [0, 0.25, 0.5, 1])
    numpy.testing.assert_allclose(p[1], 0.75 * a + 0.25 * b, rtol=1e-6)
    numpy.testing.assert_allclose(p[2], (a + b) / 2, rtol=1e-6)
    numpy.testing.assert_array_equal(p[0], a.astype(numpy.float32))
    numpy.testing.assert_array_equal(p[-1], b.astype(numpy.float32))


def test_slerp_keeps_the_norm_of_equal_norm_endpoints():
    a, b = latent.sample_z(2, 100, seed=1)
    b = b * (numpy.linalg.norm(a) / numpy.linalg.norm(b))
    t = numpy.linspace(0, 1, 11)
    p = latent.slerp(a, b, t)
    numpy.testing.assert_allclose(norms(p), numpy.linalg.norm(a), rtol=1e-5)
    # ... while a straight line dips towards the centre.
    assert norms(latent.lerp(a, b, 0.5))[0] < 0.9 * numpy.linalg.norm(a)


def test_slerp_interpolates_the_norm_and_turns_at_a_constant_rate():
    a, b = latent.sample_z(2, 100, seed=2)
    b = 1.7 * b
    na, nb = numpy.linalg.norm(a), numpy.linalg.norm(b)
    t = numpy.linspace(0, 1, 9)
    p = latent.slerp(a, b, t)
    numpy.testing.assert_allclose(norms(p), (1 - t) * na + t * nb, rtol=1e-5)
    assert numpy.all(norms(p) >= min(na, nb) * (1 - 1e-6))
    assert numpy.all(norms(p) <= max(na, nb) * (1 + 1e-6))

    def angle(u, v):
        u, v = u.astype(numpy.float64), v.astype(numpy.float64)
        c = numpy.dot(u, v) / (numpy.linalg.norm(u) * numpy.linalg.norm(v))
        return numpy.arccos(numpy.clip(c, -1, 1))
    omega = angle(a, b)
    numpy.testing.assert_allclose([angle(a, q) for q in p], t * omega, atol=1e-5)
    numpy.testing.assert_array_equal(p[0], a)
    numpy.testing.assert_array_equal(p[-1], b)


def test_slerp_of_parallel_or_zero_endpoints_falls_back_to_a_line():
    a = numpy.ones(4, numpy.float32)
    numpy.testing.assert_allclose(latent.slerp(a, 2 * a, [0.5])[0], 1.5 * a, rtol=1e-6)
    numpy.testing.assert_allclose(latent.slerp(0 * a, a, [0.5])[0], 0.5 * a, rtol=1e-6)


@pytest.mark.parametrize('method', latent.INTERPOLATIONS)
def test_closed_walk_passes_through_every_keypoint_and_loops(method):
    kp = latent.sample_z(4, 16, seed=0)
    path = latent.walk_path(kp, 5, method)
    assert path.shape == (20, 16)
    for k in range(4):
        numpy.testing.assert_array_equal(path[5 * k], kp[k])
    # The last frame is one step short of keypoint 0, on the way back to it.
    last = latent.interpolate(kp[3], kp[0], [0.8], method)[0]
    numpy.testing.assert_allclose(path[-1], last, rtol=1e-6)


def test_lerp_walk_wraps_around_with_an_ordinary_step():
    kp = latent.sample_z(3, 8, seed=0)
    path = latent.walk_path(kp, 4, 'lerp')
    steps = numpy.linalg.norm(numpy.diff(numpy.concatenate([path, path[:1]]), axis=0), axis=1)
    # Every step of the segment back to keypoint 0, the wrap step included,
    # is a quarter of that segment.
    numpy.testing.assert_allclose(steps[-4:], numpy.linalg.norm(kp[0] - kp[2]) / 4, rtol=1e-5)


def test_open_walk_stops_on_the_last_keypoint():
    kp = latent.sample_z(3, 8, seed=0)
    path = latent.walk_path(kp, 4, closed=False)
    assert path.shape == (9, 8)
    numpy.testing.assert_array_equal(path[-1], kp[-1])
    numpy.testing.assert_array_equal(path[4], kp[1])


def test_grid_paths_are_frame_major():
    kp = latent.sample_keypoints(3, 2, 8, seed=0)
    paths = latent.grid_walk_paths(kp, 3)
    assert paths.shape == (6, 3, 8)
    for g in range(3):
        numpy.testing.assert_array_equal(paths[:, g], latent.walk_path(kp[g], 3))


def test_dimension_traversal_rows_are_dimensions_columns_are_values():
    base = latent.sample_z(1, 10, seed=0)[0]
    values = numpy.linspace(-1, 1, 5)
    z = latent.dimension_traversal(base, [2, 7], values)
    assert z.shape == (10, 10)
    numpy.testing.assert_allclose(z[:5, 2], values)
    numpy.testing.assert_allclose(z[5:, 7], values)
    others = numpy.delete(z[:5], 2, axis=1)
    numpy.testing.assert_array_equal(others, numpy.tile(numpy.delete(base, 2), (5, 1)))
    with pytest.raises(latent.LatentError, match='0..9'):
        latent.dimension_traversal(base, [10], values)


def test_user_keypoints_are_checked_against_n_hidden():
    z = numpy.zeros((3, 6, 1, 1))
    assert latent.as_keypoints(z, 6).shape == (3, 6)
    assert latent.as_keypoints(numpy.zeros((2, 3, 6)), 6).shape == (2, 3, 6)
    with pytest.raises(latent.LatentError, match='n_hidden=5'):
        latent.as_keypoints(z, 5)
    with pytest.raises(latent.LatentError, match='NaN'):
        latent.as_keypoints(numpy.full((2, 6), numpy.nan), 6)
    with pytest.raises(latent.LatentError, match='interpolation'):
        latent.walk_path(numpy.zeros((2, 6)), 3, 'cubic')
