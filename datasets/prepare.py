"""Prepare a folder of images for training: one size, no alpha, no duplicates.

    python datasets/prepare.py data/sushi_raw --out data/sushi --resolution 64 \\
        --background white --fit pad --near-duplicates

Reads every image under SRC (recursively) with the same code training uses
(dcgan.data.load_image_folder), composites transparency onto --background,
fits each picture into a --resolution square (--fit pad keeps the whole
picture, --fit crop takes the centre square), drops exact duplicates (same
pixels after preparation) and writes PNGs to --out, mirroring SRC's
subfolders. Unreadable files are listed and left out. --near-duplicates
also lists pairs that look almost the same (they are kept: you decide).
"""
import argparse
import hashlib
import os
import sys
import warnings

import numpy
from PIL import Image

try:
    import dcgan  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))

from dcgan.data import (DatasetError, SkippedImageWarning,  # noqa: E402
                        find_image_files, load_image_folder, parse_background)
from dcgan.io.imaging import save_png  # noqa: E402  (atomic PNG writer)

# Near-duplicates are compared as 16x16 grayscale thumbnails.
_THUMB = 16


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Resize a folder of images to one square size, put '
                    'transparency on a background colour, drop duplicates, '
                    'and write PNGs ready for training.')
    p.add_argument('src', help='folder of images (searched recursively)')
    p.add_argument('--out', required=True,
                   help='folder to write the prepared PNGs to (created)')
    p.add_argument('--resolution', type=int, required=True,
                   help='side of the square output images in pixels, e.g. 64')
    p.add_argument('--channels', type=int, default=3, choices=(1, 3),
                   help='3 for RGB (default), 1 for grayscale')
    p.add_argument('--background', default='black',
                   help="colour behind transparent pixels and padding: black "
                        "(default), white, gray, '#rrggbb' or 'r,g,b'")
    p.add_argument('--fit', default='pad', choices=('pad', 'crop'),
                   help='pad: keep the whole picture, pad to a square '
                        '(default); crop: take the centre square')
    p.add_argument('--near-duplicates', type=float, nargs='?', const=0.03,
                   default=None, metavar='THRESHOLD',
                   help='also list pairs of images whose 16x16 grayscale '
                        'thumbnails differ by at most THRESHOLD (mean '
                        'absolute difference, 0..1; default 0.03). They are '
                        'kept.')
    p.add_argument('--force', action='store_true',
                   help='write even if --out already holds image files')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        background = parse_background(args.background)
        _check_out(args.src, args.out, args.force)
        with warnings.catch_warnings():
            # Skipped files are reported in the summary below instead.
            warnings.simplefilter('ignore', SkippedImageWarning)
            folder = load_image_folder(
                args.src, resolution=args.resolution, channels=args.channels,
                background=background, fit=args.fit)
    except DatasetError as e:
        print('prepare.py: error: {}'.format(e), file=sys.stderr)
        return 2

    keep, duplicates = exact_duplicates(folder.images)
    names = output_names([folder.paths[i] for i in keep], args.src)
    os.makedirs(args.out, exist_ok=True)
    for i, name in zip(keep, names):
        save_png(os.path.join(args.out, name), _hwc(folder.images[i]))

    n_files = len(folder.paths) + len(folder.skipped)
    print('{}: {} files: {} used, {} skipped, {} exact duplicates dropped'
          .format(args.src, n_files, len(keep), len(folder.skipped),
                  len(duplicates)))
    for path, reason in folder.skipped:
        print('  skipped {}: {}'.format(path, reason))
    for dup, original in duplicates:
        print('  duplicate {} (same pixels as {})'.format(
            folder.paths[dup], folder.paths[original]))
    if args.near_duplicates is not None:
        pairs = near_duplicates(folder.images[keep], args.near_duplicates)
        print('{} near-duplicate pairs (thumbnail difference <= {}), kept:'
              .format(len(pairs), args.near_duplicates))
        for a, b, d in pairs:
            print('  {} ~ {} ({:.3f})'.format(
                folder.paths[keep[a]], folder.paths[keep[b]], d))
    print('wrote {} PNGs ({}x{}, {} channel{}) to {}'.format(
        len(keep), folder.resolution, folder.resolution, folder.channels,
        '' if folder.channels == 1 else 's', args.out))
    return 0


def _check_out(src, out, force):
    src_real = os.path.realpath(src)
    out_real = os.path.realpath(out)
    if out_real == src_real or out_real.startswith(src_real + os.sep):
        raise DatasetError(
            '--out {} is inside the source folder {}: choose a folder outside '
            'it, or the prepared copies would be read as input next time'
            .format(out, src))
    if os.path.isdir(out) and not force:
        existing = find_image_files(out)
        if existing:
            raise DatasetError(
                '--out {} already holds {} image files: choose an empty '
                'folder, or pass --force to write into it anyway'.format(
                    out, len(existing)))


def exact_duplicates(images):
    """Indices to keep, and (duplicate, original) index pairs."""
    first_seen = {}
    keep, duplicates = [], []
    for i, image in enumerate(images):
        digest = hashlib.sha256(image.tobytes()).hexdigest()
        if digest in first_seen:
            duplicates.append((i, first_seen[digest]))
        else:
            first_seen[digest] = i
            keep.append(i)
    return keep, duplicates


def near_duplicates(images, threshold):
    """(i, j, difference) for pairs whose thumbnails differ <= threshold."""
    thumbs = numpy.stack([_thumbnail(image) for image in images])
    pairs = []
    for i in range(len(thumbs) - 1):
        diffs = numpy.abs(thumbs[i + 1:] - thumbs[i]).mean(axis=1)
        for k in numpy.nonzero(diffs <= threshold)[0]:
            pairs.append((i, i + 1 + int(k), float(diffs[k])))
    return pairs


def _thumbnail(image):
    picture = Image.fromarray(image[0] if image.shape[0] == 1
                              else _hwc(image)).convert('L')
    picture = picture.resize((_THUMB, _THUMB), Image.Resampling.BOX)
    return numpy.asarray(picture, dtype=numpy.float32).ravel() / 255.0


def output_names(paths, src):
    """PNG names mirroring SRC's layout; a.jpg next to a.png -> a_jpg.png."""
    names, used = [], set()
    for path in paths:
        rel = os.path.relpath(path, src)
        stem, ext = os.path.splitext(rel)
        name = stem + '.png'
        if name.lower() in used:
            name = '{}_{}.png'.format(stem, ext[1:].lower())
        n = 2
        while name.lower() in used:
            name = '{}_{}_{}.png'.format(stem, ext[1:].lower(), n)
            n += 1
        used.add(name.lower())
        names.append(name)
    return names


def _hwc(image):
    """(C, H, W) -> contiguous (H, W, C)."""
    return numpy.ascontiguousarray(image.transpose(1, 2, 0))


if __name__ == '__main__':
    sys.exit(main())
