"""Nearest neighbours (memorisation check): a copy is a copy on any CPU.

The candidates come from a float32 GEMM expansion whose rounding differs
between BLAS kernels; these tests check only what must hold whatever the
kernel: exact zeros for copies, float64 distances, order, ties, shapes.
"""
import numpy
import pytest

from dcgan.data.demo import make_demo_images
from dcgan.evaluation.nearest import nearest_grid, nearest_neighbours, shrink


def _exact_reference(samples, training, k, compare_size):
    """Every distance computed directly in float64 from the shrunk float32
    images; order by distance, ties to the lower index."""
    a = shrink(samples, compare_size).reshape(len(samples), -1).astype(numpy.float64)
    b = shrink(training, compare_size).reshape(len(training), -1).astype(numpy.float64)
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    order = numpy.argsort(d2, axis=1, kind='stable')[:, :k]
    return order, numpy.sqrt(numpy.take_along_axis(d2, order, axis=1) / a.shape[1])


def _bright(n, resolution, seed):
    # Images near 1.0 everywhere: |a|^2 is about the pixel count, so the
    # expansion |a|^2 + |b|^2 - 2ab cancels about 4 digits of float32 away.
    rs = numpy.random.RandomState(seed)
    return (1.0 - 0.05 * rs.rand(n, 3, resolution, resolution)).astype(numpy.float32)


@pytest.mark.parametrize('compare_size', [16, 64])
def test_copy_of_bright_float_image_is_exactly_zero_and_its_own_nearest(compare_size):
    train = _bright(24, 64, seed=0)
    picks = [3, 11, 17, 23]
    samples = train[picks]
    order, dist = nearest_neighbours(samples, train, k=3, compare_size=compare_size)
    assert order[:, 0].tolist() == picks
    assert (dist[:, 0] == 0.0).all(), dist[:, 0]
    assert (dist[:, 1:] > 0).all()


def test_copy_in_another_memory_layout_is_still_exactly_zero():
    # The sample shrinks to the same float32 values as the training image
    # whatever batch or layout it comes in.
    train = _bright(12, 32, seed=1)
    samples = numpy.asfortranarray(train[[5, 0]])
    order, dist = nearest_neighbours(samples, train, k=2, compare_size=32)
    assert order[:, 0].tolist() == [5, 0] and (dist[:, 0] == 0.0).all()


@pytest.mark.parametrize('resolution,compare_size', [(16, 16), (64, 64)])
def test_copy_of_uint8_image_is_exactly_zero(resolution, compare_size):
    train = make_demo_images(20, resolution, 3, seed=0)
    # and a few nearly white ones, for large norms
    rs = numpy.random.RandomState(2)
    white = rs.randint(245, 256, (6, 3, resolution, resolution)).astype(numpy.uint8)
    train = numpy.concatenate([train, white])
    picks = [3, 11, 21, 25]
    order, dist = nearest_neighbours(train[picks], train, k=2, compare_size=compare_size)
    assert order[:, 0].tolist() == picks
    assert (dist[:, 0] == 0.0).all(), dist[:, 0]


def test_matches_direct_float64_computation():
    train = make_demo_images(40, 32, 3, seed=0)
    samples = make_demo_images(6, 32, 3, seed=5)
    order, dist = nearest_neighbours(samples, train, k=5, compare_size=32)
    ref_order, ref_dist = _exact_reference(samples, train, 5, 32)
    assert order.tolist() == ref_order.tolist()
    # Both are float64 sums of the same 3072 squared differences, perhaps in
    # another order: off by at most gamma_3072 ~ 3.4e-13 relative (float64),
    # half that after the square root; 1e-11 leaves room and is still 10^4
    # times tighter than any float32 computation could meet.
    numpy.testing.assert_allclose(dist, ref_dist, rtol=1e-11, atol=0)


def test_nearest_first_and_near_ties_resolved_exactly():
    # Training: 16 images at distances from the sample that differ by less
    # than float32 rounding of the expanded distance (plus far-off black
    # images, so centring cannot make the norms small). The answer must be
    # the exact order anyway.
    rs = numpy.random.RandomState(3)
    sample = (1.0 - 0.05 * rs.rand(1, 3, 64, 64)).astype(numpy.float32)
    near = numpy.repeat(sample, 16, axis=0)
    flat = near.reshape(16, -1)
    pixels = rs.choice(flat.shape[1], 16, replace=False)
    for j in range(16):
        # one pixel lowered by 2^-10 plus a few float32 ulps: the squared
        # distances are ~2^-20 and differ by ~2^-32 (some tie exactly), far
        # below the GEMM's error on |a|^2 ~ 1.1e4 (several 1e-4)
        flat[j, pixels[j]] -= numpy.float32(2 ** -10) + numpy.float32(2 ** -23) * (j % 5)
    train = numpy.concatenate([numpy.zeros((8, 3, 64, 64), numpy.float32), near])
    for k in (1, 3, 10):
        order, dist = nearest_neighbours(sample, train, k=k, compare_size=64)
        ref_order, ref_dist = _exact_reference(sample, train, k, 64)
        assert order.tolist() == ref_order.tolist()
        numpy.testing.assert_allclose(dist, ref_dist, rtol=1e-11, atol=0)
        assert (numpy.diff(dist, axis=1) >= 0).all()


def test_exact_ties_go_to_the_lower_index():
    train = make_demo_images(6, 16, 3, seed=0)
    train = numpy.concatenate([train, train[[4, 1]]])  # 6 == 4, 7 == 1
    order, dist = nearest_neighbours(train[[4, 1]], train, k=2)
    assert order.tolist() == [[4, 6], [1, 7]]
    assert (dist == 0.0).all()


def test_k_larger_than_training_set():
    train = make_demo_images(4, 16, 3, seed=0)
    samples = make_demo_images(3, 16, 3, seed=1)
    order, dist = nearest_neighbours(samples, train, k=10)
    assert order.shape == dist.shape == (3, 4)
    assert all(sorted(row) == [0, 1, 2, 3] for row in order.tolist())
    assert (numpy.diff(dist, axis=1) >= 0).all()


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match='differ in shape'):
        nearest_neighbours(make_demo_images(2, 16, 3), make_demo_images(4, 32, 3))


def test_grid_puts_each_sample_beside_its_neighbours():
    train = make_demo_images(10, 16, 3, seed=0)
    samples = train[[2, 7]]
    grid = nearest_grid(samples, train, k=2, gap=2)
    # rows: sample | gap | neighbour 0 | neighbour 1, rows 2 px apart
    assert grid.shape == (2 * 16 + 2, 16 + 2 + 2 * 16, 3)
    order, _ = nearest_neighbours(samples, train, k=2)
    for r in range(2):
        y = r * 18
        assert (grid[y:y + 16, :16] == samples[r].transpose(1, 2, 0)).all()
        for j in range(2):
            x = 16 + 2 + 16 * j
            assert (grid[y:y + 16, x:x + 16] == train[order[r, j]].transpose(1, 2, 0)).all()
    # Given the order, the grid draws those neighbours (no second search).
    reversed_order = order[:, ::-1]
    again = nearest_grid(samples, train, k=2, gap=2, order=reversed_order)
    assert (again[:16, 18:34] == train[reversed_order[0, 0]].transpose(1, 2, 0)).all()
