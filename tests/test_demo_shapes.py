"""benchmarks/demo_shapes.py: the degraded drawings it prints as controls, the
colour-blind layout and the judge that matches it against a bank of drawings
(a small bank here; the script's 40,000 take half a minute), and its framed
picture."""
import os
import sys

import numpy

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))

import demo_shapes  # noqa: E402
from dcgan.data import demo  # noqa: E402


def _high_frequency_energy(images):
    x = images.astype(numpy.float64)
    return float((numpy.diff(x, axis=2) ** 2).mean() + (numpy.diff(x, axis=3) ** 2).mean())


def test_degraded_drawings_come_in_five_kinds_and_keep_shape_and_range():
    real = demo.make_demo_images(40, 32, 3, seed=3)
    bad, kind = demo_shapes.degraded(real, numpy.random.default_rng(0))
    assert bad.shape == real.shape and bad.dtype == numpy.uint8
    assert sorted(set(kind.tolist())) == [0, 1, 2, 3, 4]
    for k in range(5):  # every image is changed
        assert all((bad[i] != real[i]).any() for i in numpy.flatnonzero(kind == k))
    # A ghost is the mean of its drawing and the next ghost's.
    ghosts = numpy.flatnonzero(kind == 0)
    assert (bad[ghosts[1]].astype(int) == (real[ghosts[1]].astype(int) + real[ghosts[0]]) // 2).all()
    # Soft blotches have less edge energy than crisp ones.
    assert _high_frequency_energy(bad[kind == 2]) < _high_frequency_energy(bad[kind == 1])


def test_a_blotch_is_drawn_in_its_drawings_background_and_shape_colours():
    real = demo.make_demo_images(8, 32, 3, seed=4)
    out = demo_shapes.blotches(real, numpy.random.default_rng(0))
    for image, blotch in zip(real, out):
        pixels = image.reshape(3, -1).T.astype(int)
        corner = pixels[0]
        farthest = pixels[numpy.abs(pixels - corner).sum(1).argmax()]
        colours = blotch.reshape(3, -1).T.astype(int)
        # Both colours are there (away from the blob's soft edge), and only
        # blends of the two: every pixel lies between them, channel by channel.
        for colour in (corner, farthest):
            assert (numpy.abs(colours - colour).max(1) <= 1).any()
        low, high = numpy.minimum(corner, farthest), numpy.maximum(corner, farthest)
        assert ((colours >= low - 1) & (colours <= high + 1)).all()


def test_blur_takes_away_edge_energy():
    real = demo.make_demo_images(8, 32, 3, seed=3)
    assert _high_frequency_energy(demo_shapes.blur(real, 1.5)) < 0.5 * _high_frequency_energy(real)


def test_blur_leaves_a_flat_image_flat_and_keeps_its_mean():
    flat = numpy.full((2, 3, 16, 16), 77, numpy.uint8)
    assert (demo_shapes.blur(flat, 2.0) == 77).all()
    ramp = numpy.tile(numpy.arange(16, dtype=numpy.uint8) * 10, (1, 3, 16, 1))
    blurred = demo_shapes.blur(ramp, 1.5)
    assert abs(float(blurred.mean()) - float(ramp.mean())) < 1.5


def test_warp_by_zero_changes_nothing_and_by_three_moves_pixels():
    real = demo.make_demo_images(4, 32, 3, seed=5)
    out = demo_shapes.warp(real, numpy.random.default_rng(0), amplitude=0)
    assert (out == real).all()
    moved = demo_shapes.warp(real, numpy.random.default_rng(0), amplitude=3)
    assert moved.shape == real.shape and (moved != real).any()


def test_the_framed_grid_puts_each_verdict_in_its_tiles_frame():
    images = numpy.zeros((12, 3, 8, 8), numpy.uint8)
    verdicts = numpy.arange(12) % 3 == 0
    grid = demo_shapes.framed_grid(images, verdicts, cols=5, frame=2)
    assert grid.shape == (3 * 12, 5 * 12, 3)
    for n, ok in enumerate(verdicts):
        r, c = divmod(n, 5)
        assert tuple(grid[r * 12, c * 12]) == ((40, 200, 40) if ok else (220, 30, 30))
        assert (grid[r * 12 + 2:r * 12 + 10, c * 12 + 2:c * 12 + 10] == 0).all()
    assert (grid[2 * 12:, 2 * 12:] == 255).all()  # the 3 empty places of the last row


def test_a_layout_ignores_colour_and_scales_to_one():
    images = demo.make_demo_images(6, 32, 3, seed=7)
    lay = demo_shapes.layout(images)
    assert lay.shape == (6, 32 * 32) and numpy.allclose(lay.max(1), 1)
    # The same drawing with its channels swapped and its colours inverted:
    # every pixel's distance from the background is the same.
    assert numpy.allclose(demo_shapes.layout(255 - images[:, ::-1]), lay, atol=1e-6)
    flat = numpy.full((1, 3, 32, 32), 90, numpy.uint8)
    assert (demo_shapes.layout(flat) == 0).all()


def test_the_judge_finds_its_own_bank_and_turns_blotches_away():
    judge = demo_shapes.ShapeJudge(n_bank=200, n_calibrate=50)
    bank = demo.make_demo_images(200, 32, 3, seed=1)
    assert judge.distances(bank[:20]).max() < 1e-3
    blotches = demo_shapes.blotches(demo.make_demo_images(20, 32, 3, seed=3),
                                    numpy.random.default_rng(0))
    assert judge.distances(blotches).min() > judge.distances(bank[:20]).max()
    assert judge.verdicts(bank[:20]).all()


def test_chroma_is_zero_for_grey_and_falls_when_colours_are_averaged():
    grey = numpy.full((3, 3, 16, 16), 120, numpy.uint8)
    grey[:, :, 6:10, 6:10] = 250
    assert demo_shapes.chroma(grey) == (0.0, 0.0)
    real = demo.make_demo_images(64, 32, 3, seed=3)
    bg, shape = demo_shapes.chroma(real)
    # Pulled halfway to the image's own grey level: the same layout, half the chroma.
    level = real.mean(1, keepdims=True)
    washed = numpy.rint((real + level) / 2).astype(numpy.uint8)
    washed_bg, washed_shape = demo_shapes.chroma(washed)
    assert abs(washed_bg - bg / 2) < 0.01 and abs(washed_shape - shape / 2) < 0.02
