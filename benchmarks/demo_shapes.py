"""How many of a demo generator's samples are recognisable shapes.

    python benchmarks/demo_shapes.py result/demo/gen_ema_iter_2000.npz [more .npz ...]
    python benchmarks/demo_shapes.py --runs /tmp/work/probe/base_s5 /tmp/work/probe/ch64_s5

SWD scores patches, so a grid of blotches in the data's colours can score
well (docs/small-data.md, "The demo"). This asks of each sample whether its
layout is one the demo draws, by analysis by synthesis:

- a sample's layout is each pixel's colour distance from its background
  (the median border pixel), scaled to [0, 1]: a ring is an annulus of 1
  on 0 whatever its colours;
- it counts as a shape when that layout is within a threshold (RMS) of the
  layout of some drawing in a bank of 40,000 fresh drawings (seed 1); the
  threshold lets 95 % of other fresh drawings (seed 2), blurred by 1.5 px,
  pass (soft but plainly a disc or ring to the eye), so crisp drawings score
  about 0.99;
- ``colour``: how far the samples' colours are from the drawings' (total
  variation between histograms of background lightness x hue of the shape
  colour; 0 the same mix, 1 nothing in common). Clean shapes in a few
  colours score well on the first and badly on the second;
- ``bg chroma`` and ``shape chroma``: how saturated the backgrounds and the
  shape colours are (the drawings' row gives the data's): a generator that
  averages colours draws them greyish, whatever their hues.

Controls are printed first: fresh drawings (seed 3), and those drawings
ghosted with another, turned into blotches or speckles in their colours,
blurred, and warped. A generator's samples use z seed 0.
"""
import argparse
import glob
import os
import re
import sys

import numpy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import dcgan  # noqa: E402,F401  (Chainer on Python 3.12/3.13)
from dcgan.data import demo  # noqa: E402
from dcgan.extensions.swd_report import generate_images  # noqa: E402
from dcgan.io import imaging, model_files  # noqa: E402


def smooth_field(rng, n, size, cells=4):
    """(n, size, size) smooth random values in about [-1, 1]: a cells x cells
    grid of uniform draws, bilinearly enlarged."""
    grid = rng.uniform(-1, 1, (n, cells + 1, cells + 1))
    t = numpy.linspace(0, cells, size)
    i = numpy.minimum(t.astype(int), cells - 1)
    f = t - i
    rows = grid[:, i] * (1 - f)[None, :, None] + grid[:, i + 1] * f[None, :, None]
    return rows[:, :, i] * (1 - f)[None, None, :] + rows[:, :, i + 1] * f[None, None, :]


def blur(images, sigma):
    """uint8 NCHW images under a separable Gaussian blur (edges repeated)."""
    radius = int(3 * sigma)
    taps = numpy.exp(-0.5 * (numpy.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    x = images.astype(numpy.float64)
    for axis in (2, 3):
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        padded = numpy.pad(x, pad, mode='edge')
        n = x.shape[axis]
        x = sum(t * numpy.take(padded, numpy.arange(i, i + n), axis=axis)
                for i, t in enumerate(taps))
    return numpy.clip(numpy.rint(x), 0, 255).astype(numpy.uint8)


def warp(images, rng, amplitude):
    """Each image resampled (nearest) along a smooth random displacement of up
    to ``amplitude`` px: discs and rings become irregular blobs."""
    n, _, h, w = images.shape
    dy = smooth_field(rng, n, h) * amplitude
    dx = smooth_field(rng, n, h) * amplitude
    rows = numpy.clip(numpy.rint(numpy.arange(h)[None, :, None] + dy), 0, h - 1).astype(int)
    cols = numpy.clip(numpy.rint(numpy.arange(w)[None, None, :] + dx), 0, w - 1).astype(int)
    return images[numpy.arange(n)[:, None, None, None], numpy.arange(images.shape[1])[None, :, None, None],
                  rows[:, None], cols[:, None]]


def blotches(images, rng, softness=1.0, colour_of='farthest'):
    """The corner colour of each image as background with a smooth random blob
    in one of its other colours (the one farthest from the corner, or a random
    pixel's), edges blurred by ``softness`` px: the data's colours, no drawn
    shape."""
    n, c, h, w = images.shape
    flat = images.reshape(n, c, -1).astype(numpy.float64)
    background = flat[:, :, 0]
    if colour_of == 'farthest':
        pick = numpy.abs(flat - background[:, :, None]).sum(1).argmax(1)
    else:
        pick = rng.integers(0, h * w, n)
    colour = flat[numpy.arange(n), :, pick]
    mask = smooth_field(rng, n, h, cells=3) > rng.uniform(0.1, 0.6, n)[:, None, None]
    out = numpy.where(mask[:, None], colour[:, :, None, None], background[:, :, None, None])
    return blur(out.astype(numpy.uint8), softness)


def speckles(images, rng, cells=8):
    """Each image's background with a cells x cells mosaic of its own pixels'
    colours over its middle, softened by 1 px: the speckled, striped patches
    of a generator that has its colours but no shape yet."""
    n, c, h, w = images.shape
    flat = images.reshape(n, c, -1)
    pick = rng.integers(0, h * w, (n, cells * cells))
    mosaic = numpy.take_along_axis(flat, pick[:, None], axis=2).reshape(n, c, cells, cells)
    mosaic = mosaic.repeat(h // cells, axis=2).repeat(w // cells, axis=3)
    middle = smooth_field(rng, n, h, cells=2) > rng.uniform(-0.5, 0.3, n)[:, None, None]
    out = numpy.where(middle[:, None], mosaic, flat[:, :, :1, None])
    return blur(out.astype(numpy.uint8), 1.0)


def degraded(images, rng):
    """The "no recognisable shape" class, and which degradation each image got:
    0 ghosted with another drawing, 1 a crisp blotch in its shape's colour,
    2 a soft blotch in it, 3 a soft blotch in a random pixel's colour,
    4 speckles of its colours. Slightly blurred and warped drawings are not
    in it: a soft or wobbly disc is still a disc."""
    n = len(images)
    kind = numpy.arange(n) % 5
    out = images.copy()
    pick = kind == 0
    # Each with the next one picked (a shuffle could pair a drawing with itself).
    other = numpy.roll(images[pick], 1, axis=0)
    out[pick] = ((images[pick].astype(numpy.uint16) + other) // 2).astype(numpy.uint8)
    for k, softness, colour_of in ((1, 1.0, 'farthest'), (2, 2.0, 'farthest'),
                                   (3, 2.0, 'random')):
        pick = kind == k
        out[pick] = blotches(images[pick], rng, softness, colour_of)
    out[kind == 4] = speckles(images[kind == 4], rng)
    return out, kind


def layout(images):
    """(N, H*W) float32 in [0, 1]: each pixel's RGB distance from the image's
    background (the median of its border pixels), divided by the image's
    largest. Colour-blind on purpose: a ring is an annulus of 1 on 0
    whatever its colours, so a modest bank of drawings covers every layout."""
    x = images.astype(numpy.float32) / 255
    n = len(x)
    d = numpy.sqrt(((x - background(x)[:, :, None, None]) ** 2).sum(1)).reshape(n, -1)
    return d / numpy.maximum(d.max(1, keepdims=True), 1e-3)


def background(x):
    """(N, 3): the median of each image's border pixels (x in [0, 1])."""
    border = numpy.concatenate([x[:, :, 0], x[:, :, -1], x[:, :, 1:-1, 0], x[:, :, 1:-1, -1]],
                               axis=2)
    return numpy.median(border, axis=2)


def chroma(images):
    """Mean chroma (largest minus smallest of R, G, B; 0 grey, 1 pure) of the
    samples' backgrounds and of their shape colours (the pixel farthest from
    the background). A generator that averages the data's colours instead of
    drawing them scores low on both, however its hues are spread."""
    x = images.astype(numpy.float32) / 255
    bg = background(x)
    return tuple(float((c.max(1) - c.min(1)).mean()) for c in (bg, shape_colour(x, bg)))


def shape_colour(x, bg):
    """(N, 3): each image's pixel farthest (L1) from its background ``bg``."""
    flat = x.reshape(len(x), x.shape[1], -1)
    far = numpy.abs(flat - bg[:, :, None]).sum(1).argmax(1)
    return flat[numpy.arange(len(x)), :, far]


# The calibration drawings are softened by this much (px): a drawing blurred
# by 1.5 px is still plainly a disc or ring to the eye, and a generator's
# edges are rarely as crisp as the drawings'.
CALIBRATION_BLUR = 1.5


class ShapeJudge:
    """Analysis by synthesis: a sample counts as a shape when its layout is
    within ``threshold`` (RMS) of some drawing's in a bank of fresh
    drawings; the threshold is the ``quantile`` of the distances to the bank
    of other fresh drawings blurred by ``soften`` px, so that share of them
    pass."""

    def __init__(self, resolution=32, channels=3, n_bank=40000, quantile=0.95,
                 n_calibrate=1000, soften=CALIBRATION_BLUR):
        bank = demo.make_demo_images(n_bank, resolution, channels, seed=1)
        self.bank = layout(bank)
        self.bank_sq = (self.bank.astype(numpy.float64) ** 2).sum(1)
        calibrate = demo.make_demo_images(n_calibrate, resolution, channels, seed=2)
        self.threshold = float(numpy.quantile(self.distances(blur(calibrate, soften)), quantile))
        self.quantile, self.soften = quantile, soften

    def distances(self, images, chunk=250):
        """RMS distance of each image's layout to the nearest drawing's."""
        q = layout(images)
        out = numpy.empty(len(q))
        for start in range(0, len(q), chunk):
            part = q[start:start + chunk]
            d = ((part.astype(numpy.float64) ** 2).sum(1)[:, None] + self.bank_sq[None]
                 - 2 * (part @ self.bank.T))
            out[start:start + len(part)] = numpy.sqrt(numpy.maximum(d.min(1), 0) / q.shape[1])
        return out

    def verdicts(self, images):
        """Bool per image: its layout matches a drawing's."""
        return self.distances(images) <= self.threshold


HUE_BINS = 12


def colour_histogram(images):
    """Share of images in each (background light or dark) x (hue of the shape
    colour, HUE_BINS bins) cell. The background is the mean of the four
    corner pixels; the shape colour is the pixel farthest from it."""
    x = images.astype(numpy.float64) / 255
    n = len(x)
    corners = x[:, :, [0, 0, -1, -1], [0, -1, 0, -1]].mean(2)  # (n, 3)
    r, g, b = shape_colour(x, corners).T
    top, bottom = numpy.maximum(numpy.maximum(r, g), b), numpy.minimum(numpy.minimum(r, g), b)
    span = numpy.where(top > bottom, top - bottom, 1)
    hue = numpy.where(top == r, (g - b) / span % 6,
                      numpy.where(top == g, (b - r) / span + 2, (r - g) / span + 4)) / 6
    hue_bin = numpy.minimum((hue * HUE_BINS).astype(int), HUE_BINS - 1)
    light = corners.mean(1) > 0.5
    cell = light * HUE_BINS + hue_bin
    return numpy.bincount(cell, minlength=2 * HUE_BINS) / n


def colour_distance(images, reference):
    """Total variation distance (0 to 1) between the two sets' colour histograms."""
    return 0.5 * float(numpy.abs(colour_histogram(images) - colour_histogram(reference)).sum())


def run_files(paths):
    out = []
    for run in paths:
        found = glob.glob(os.path.join(run, 'gen_ema_iter_*.npz')) or glob.glob(
            os.path.join(run, 'gen_iter_*.npz'))
        out += sorted(found, key=lambda p: int(re.findall(r'(\d+)\.npz$', p)[0]))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('gens', nargs='*', help='generator .npz files')
    parser.add_argument('--runs', nargs='*', default=[],
                        help='run folders: their gen_ema_iter_N.npz (else gen_iter_N.npz)')
    parser.add_argument('--samples', type=int, default=500)
    parser.add_argument('--picture', default=None, metavar='PNG',
                        help='also write the first 100 samples of each file, one 10x10 grid '
                             'each, side by side: green frame = called a shape, red = none')
    args = parser.parse_args(argv)
    paths = list(args.gens) + run_files(args.runs)
    judge = ShapeJudge()
    print('layout threshold {:.4f} RMS: {:.0%} of fresh drawings (seed 2) blurred by {} px are '
          'as close to one of the {} drawings of the bank (seed 1)'.format(
              judge.threshold, judge.quantile, judge.soften, len(judge.bank)))
    row = '{:<64} {:>6} {:>7} {:>14} {:>9} {:>12}'
    print(row.format('samples', 'shapes', 'colour', 'median layout', 'bg chroma',
                     'shape chroma'))
    # The colours of the drawings the samples are compared with.
    palette = demo.make_demo_images(2000, 32, 3, seed=2)

    def show(what, images):
        distances = judge.distances(images)  # once: the bank search is the cost
        print(row.format(what, '{:.3f}'.format(float((distances <= judge.threshold).mean())),
                         '{:.3f}'.format(colour_distance(images, palette)),
                         '{:.4f}'.format(float(numpy.median(distances))),
                         *('{:.3f}'.format(c) for c in chroma(images))))

    real = demo.make_demo_images(args.samples, 32, 3, seed=3)
    show('real: {} fresh demo drawings (seed 3)'.format(args.samples), real)
    rng = numpy.random.default_rng(3)
    bad, kind = degraded(real, rng)
    for what, pick in (('ghosted', kind == 0), ('as blotches', (kind >= 1) & (kind <= 3)),
                       ('as speckles', kind == 4)):
        show('control: those drawings {}'.format(what), bad[pick])
    for sigma in (1.0, 1.5, 3):
        show('control: those drawings blurred, sigma {} px'.format(sigma), blur(real, sigma))
    for amplitude in (1, 3):
        show('control: those drawings warped by up to {} px'.format(amplitude),
             warp(real, rng, amplitude=amplitude))
    grids = []
    for path in paths:
        gen = model_files.load_generator(path).gen
        samples = generate_images(gen, args.samples, seed=0)
        show(path, samples)
        grids.append(framed_grid(samples[:100], judge.verdicts(samples[:100])))
    if args.picture and grids:
        gap = numpy.full((grids[0].shape[0], 8, 3), 255, numpy.uint8)
        imaging.save_png(args.picture, numpy.concatenate(
            sum([[g, gap] for g in grids], [])[:-1], axis=1))
        print('picture: {}'.format(args.picture))
    return 0


def framed_grid(images, verdicts, cols=10, frame=2):
    """(H, W, 3) uint8 grid of RGB NCHW ``images``, each in a green (True) or
    red (False) frame."""
    n, _, h, w = images.shape
    tiles = numpy.empty((n, h + 2 * frame, w + 2 * frame, 3), numpy.uint8)
    tiles[:] = numpy.where(verdicts[:, None, None, None], [40, 200, 40], [220, 30, 30])
    tiles[:, frame:frame + h, frame:frame + w] = images.transpose(0, 2, 3, 1)
    rows = -(-n // cols)
    pad = numpy.full((rows * cols - n,) + tiles.shape[1:], 255, numpy.uint8)
    tiles = numpy.concatenate([tiles, pad]).reshape((rows, cols) + tiles.shape[1:])
    return tiles.transpose(0, 2, 1, 3, 4).reshape(rows * tiles.shape[2], cols * tiles.shape[3], 3)


if __name__ == '__main__':
    sys.exit(main())
