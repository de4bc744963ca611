"""Inputs made from ordinary images: the rules of ``--make-input``.

A folder of plain colour images becomes a paired set when each image's input
is derived from the image itself (the target):

- ``lineart``: the line-art article's dilate-and-difference drawing, with
  Pillow: grayscale, a 3x3 grey dilation (``MaxFilter(3)``) of the white
  parts, the difference, inverted: dark lines on white (1 channel);
- ``gray``: the grayscale image (ITU-R 601 luma, 1 channel) -> colour;
- ``downscale``: the image shrunk 4x (bicubic) and blown up again -> sharp;
- ``mask``: one box of a quarter to a half of each side filled with mid
  gray, at a place drawn from the image's index -> the full image.

Each rule maps one Pillow RGB image to one of the same size, so an input is
aligned pixel for pixel with its target whatever crop is taken afterwards.
"""
import numpy
from PIL import Image, ImageChops, ImageFilter, ImageOps

RULES = ('lineart', 'gray', 'downscale', 'mask')
# Input channels each rule makes.
CHANNELS = {'lineart': 1, 'gray': 1, 'downscale': 3, 'mask': 3}
DOWNSCALE = 4
MASK_FILL = 128


def check_rule(rule):
    if rule not in RULES:
        raise ValueError('unknown input rule {!r}; choose one of: {}'.format(
            rule, ', '.join(RULES)))
    return rule


def lineart(image):
    """Dark lines on white from an RGB or L Pillow image (mode L)."""
    gray = image.convert('L')
    dilated = gray.filter(ImageFilter.MaxFilter(3))
    return ImageOps.invert(ImageChops.difference(gray, dilated))


def downscale(image, factor=DOWNSCALE):
    width, height = image.size
    small = image.resize((max(1, width // factor), max(1, height // factor)),
                         Image.Resampling.BICUBIC)
    return small.resize((width, height), Image.Resampling.BICUBIC)


def mask(image, index=0, seed=0):
    """``image`` with one gray box; the box is drawn from (seed, index)."""
    rng = numpy.random.default_rng([int(seed), int(index)])
    width, height = image.size
    bw = int(rng.integers(max(1, width // 4), max(2, width // 2 + 1)))
    bh = int(rng.integers(max(1, height // 4), max(2, height // 2 + 1)))
    left = int(rng.integers(0, width - bw + 1))
    top = int(rng.integers(0, height - bh + 1))
    out = image.copy()
    fill = MASK_FILL if out.mode == 'L' else (MASK_FILL,) * 3
    out.paste(fill, (left, top, left + bw, top + bh))
    return out


def apply_rule(image, rule, index=0):
    """The input ``rule`` makes from a Pillow image (mode L or RGB)."""
    check_rule(rule)
    if rule == 'lineart':
        return lineart(image)
    if rule == 'gray':
        return image.convert('L')
    if rule == 'downscale':
        return downscale(image)
    return mask(image, index)


def make_inputs(targets, rule):
    """uint8 (N, C, H, W) targets -> the uint8 inputs ``rule`` makes."""
    check_rule(rule)
    out = numpy.empty((len(targets), CHANNELS[rule]) + targets.shape[2:], numpy.uint8)
    for i, chw in enumerate(targets):
        pixels = chw[0] if chw.shape[0] == 1 else chw.transpose(1, 2, 0)
        made = numpy.asarray(apply_rule(Image.fromarray(pixels), rule, i))
        if made.ndim == 2:
            made = made[:, :, None]
        if made.shape[2] != out.shape[1]:  # a 1-channel target made RGB by the rule
            made = numpy.repeat(made[:, :, :1], out.shape[1], axis=2)
        out[i] = made.transpose(2, 0, 1)
    return out
