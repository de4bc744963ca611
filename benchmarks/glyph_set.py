"""A second small set, of another kind than the demo blobs: logo-like glyphs.

Each image is one letter or sign, drawn in a font that ships with matplotlib
(DejaVu, STIX, Computer Modern; no download), in a saturated colour on a
plain background of another colour, at a random size and position. Unlike
the demo's soft round blobs it has hard edges, thin strokes and flat areas,
where blur and a checkerboard texture show at once. Deterministic per seed.

    python benchmarks/glyph_set.py --out /tmp/glyphs --n 256 --resolution 32
"""
import argparse
import colorsys
import glob
import os

import matplotlib
import numpy
from PIL import Image, ImageDraw, ImageFont

# A handful of shapes, so 256 images hold each one many times (a GAN on a
# few hundred images has to learn classes it sees ~40 times, like a logo set).
CHARACTERS = 'AGRS&@'
# Fonts with Latin letters (the STIX size/symbol and cm symbol files have none).
FONT_NAMES = ('DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSerif.ttf',
              'DejaVuSerif-Bold.ttf', 'DejaVuSansMono-Bold.ttf', 'STIXGeneral.ttf',
              'STIXGeneralBol.ttf', 'STIXGeneralItalic.ttf', 'cmr10.ttf', 'cmss10.ttf')
# Drawn at this many times the resolution, then reduced (antialiased edges).
OVERSAMPLE = 4


def font_paths():
    folder = os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf')
    found = {os.path.basename(p): p for p in glob.glob(os.path.join(folder, '*.ttf'))}
    paths = [found[name] for name in FONT_NAMES if name in found]
    if not paths:
        raise SystemExit('glyph_set.py: no fonts in {}; is matplotlib installed?'.format(folder))
    return paths


def _colour(hue, saturation, value):
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(hue % 1.0, saturation, value))


def make_glyphs(n=256, resolution=32, seed=0):
    """``n`` glyph images as uint8 (n, 3, resolution, resolution)."""
    rng = numpy.random.RandomState(seed)
    fonts = font_paths()
    size = resolution * OVERSAMPLE
    out = numpy.empty((n, 3, resolution, resolution), numpy.uint8)
    for i in range(n):
        char = CHARACTERS[rng.randint(len(CHARACTERS))]
        font = ImageFont.truetype(fonts[rng.randint(len(fonts))],
                                  int(size * rng.uniform(0.55, 0.85)))
        hue = rng.uniform()
        # Foreground and background a third of the hue circle or more apart,
        # one of them dark or pale, so every glyph stands out.
        fg = _colour(hue, rng.uniform(0.6, 1.0), rng.uniform(0.7, 1.0))
        bg = _colour(hue + rng.uniform(1 / 3, 2 / 3), rng.uniform(0.0, 0.6),
                     rng.choice([rng.uniform(0.05, 0.3), rng.uniform(0.85, 1.0)]))
        image = Image.new('RGB', (size, size), bg)
        draw = ImageDraw.Draw(image)
        left, top, right, bottom = draw.textbbox((0, 0), char, font=font)
        slack_x, slack_y = size - (right - left), size - (bottom - top)
        x = rng.uniform(0.3, 0.7) * max(slack_x, 0) - left
        y = rng.uniform(0.3, 0.7) * max(slack_y, 0) - top
        draw.text((x, y), char, fill=fg, font=font)
        image = image.resize((resolution, resolution), Image.LANCZOS)
        out[i] = numpy.asarray(image).transpose(2, 0, 1)
    return out


def write_folder(images, folder):
    os.makedirs(folder, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image.transpose(1, 2, 0)).save(
            os.path.join(folder, 'glyph_{:04d}.png'.format(i)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='folder to write glyph_NNNN.png into')
    parser.add_argument('--n', type=int, default=256)
    parser.add_argument('--resolution', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    write_folder(make_glyphs(args.n, args.resolution, args.seed), args.out)
    print('wrote {} images to {}'.format(args.n, args.out))


if __name__ == '__main__':
    main()
