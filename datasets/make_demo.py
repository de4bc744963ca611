"""Write the built-in demo images as PNG files, to look at or to train on.

    python datasets/make_demo.py --out data/demo --n 256 --resolution 32
    python datasets/make_demo.py --out data/demo_labelled --labelled


These are exactly the images training uses when no --dataset is given
(dcgan.data.demo): soft-edged discs, rings and maki rolls of varying colour,
size and position on plain or gradient backgrounds, drawn from --seed.
With --labelled they go into one sub-folder per shape (disc/, maki/, ring/),
a labelled folder for class-conditional training; the pictures and their
numbers are the same as without it.
"""
import argparse
import os
import sys

import numpy

try:
    import dcgan  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))

from dcgan.data import DatasetError  # noqa: E402
from dcgan.data.demo import make_demo_labelled  # noqa: E402
from dcgan.io.imaging import save_png  # noqa: E402  (atomic PNG writer)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Write the built-in demo images (procedural "sushi-like '
                    'blobs", no download) as PNG files.')
    p.add_argument('--out', required=True, help='folder to write to (created)')
    p.add_argument('--n', type=int, default=256,
                   help='number of images (default 256)')
    p.add_argument('--resolution', type=int, default=32,
                   help='side of the square images in pixels (default 32)')
    p.add_argument('--channels', type=int, default=3, choices=(1, 3),
                   help='3 for RGB (default), 1 for grayscale')
    p.add_argument('--seed', type=int, default=0,
                   help='random seed; the same seed gives the same images '
                        '(default 0)')
    p.add_argument('--labelled', action='store_true',
                   help='write OUT/<shape>/demo_NNNN.png, one sub-folder per '
                        'shape (disc, maki, ring): a labelled folder')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        images, labels, names = make_demo_labelled(
            n=args.n, resolution=args.resolution, channels=args.channels,
            seed=args.seed)
    except DatasetError as e:
        print('make_demo.py: error: {}'.format(e), file=sys.stderr)
        return 2
    for i, image in enumerate(images):
        # The number is the image's index either way, so the labelled
        # folder holds the same files, only sorted into sub-folders.
        folder = (os.path.join(args.out, names[labels[i]]) if args.labelled
                  else args.out)
        save_png(os.path.join(folder, 'demo_{:04d}.png'.format(i)),
                 numpy.ascontiguousarray(image.transpose(1, 2, 0)))
    print('wrote {} demo images ({}x{}, seed {}) to {}'.format(
        len(images), args.resolution, args.resolution, args.seed, args.out))
    if args.labelled:
        counts = numpy.bincount(labels, minlength=len(names))
        print('  ' + ', '.join('{}/ {}'.format(name, count)
                               for name, count in zip(names, counts)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
