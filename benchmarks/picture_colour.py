"""How colourful and how varied are the samples in a small_data.py picture?

    python benchmarks/picture_colour.py benchmarks/results/small_data_samples.png

For each panel (training images first, then one per configuration, 64 images
of 32 px each): "chroma", the mean over pixels of the standard deviation
across R, G, B (0 for gray images), and "spread", the standard deviation
over the 64 images of each image's mean colour (light against dark
backgrounds), both on a 0-1 scale. SWD answers "how far from the data";
these two say in which way: gray samples, or samples that all look alike.
"""
import argparse

import numpy
from PIL import Image

# The layout small_data.py draws its picture with (it imports these).
TILE, GAP, PANEL_GAP, ROWS, UPSCALE = 32, 1, 8, 8, 2


def panels(picture):
    """The (64, 32, 32, 3) float tiles of each panel of a picture."""
    a = numpy.asarray(picture.convert('RGB'))[::UPSCALE, ::UPSCALE].astype(float) / 255
    side = ROWS * TILE + (ROWS - 1) * GAP
    for left in range(0, a.shape[1] - side + 1, side + PANEL_GAP):
        panel = a[:side, left:left + side]
        yield numpy.stack([panel[r * (TILE + GAP):r * (TILE + GAP) + TILE,
                                 c * (TILE + GAP):c * (TILE + GAP) + TILE]
                           for r in range(ROWS) for c in range(ROWS)])


def colour_stats(tiles):
    """(chroma, spread) of (N, H, W, 3) images on a 0-1 scale."""
    chroma = float(tiles.std(axis=3).mean())
    spread = float(tiles.mean(axis=(1, 2)).std(axis=0).mean())
    return chroma, spread


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('picture')
    a = p.parse_args(argv)
    for k, tiles in enumerate(panels(Image.open(a.picture))):
        name = 'training images' if k == 0 else 'configuration {}'.format(k)
        print('panel {} ({}): chroma {:.3f}, spread {:.3f}'.format(k, name, *colour_stats(tiles)))


if __name__ == '__main__':
    main()
