"""dcgan-walk: latent-walk GIFs from a trained generator; wiring only.

    python examples/walk.py --gen result/gen_iter_25000.npz
    python examples/walk.py --gen result/snapshot_iter_25000.npz --grid 3x3
    python examples/walk.py --gen result/gen_iter_25000.npz --traverse 0-7
    python examples/walk.py --gen result --class tuna           (conditional models)
    python examples/walk.py --gen result --morph salmon,tuna --grid 2x2
"""
import argparse
import glob
import os
import re
import sys

import numpy

from dcgan.io import imaging
from dcgan.models import latent
from dcgan.io import model_files
from dcgan.cli.argtypes import positive_int
from dcgan.cli.devices import add_device_arguments, get_device
from dcgan.cli.errors import ArgumentParser, UsageError, fail
from dcgan.extensions import morph_gif, walk_gif
from dcgan.models import conditional
from dcgan.models.nets import ArchitectureError

# Batching pays on a GPU (one launch per layer, not per frame); on the CPU
# each frame is already compute-bound (benchmarks/walk_speed.py), so small
# batches keep memory down at no cost.
GPU_BATCH = 64
CPU_BATCH = 8


def grid_shape(text):
    """'3x4' -> (3, 4)."""
    try:
        rows, cols = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError('give rows x columns such as 3x3, got {!r}'.format(text))
    if rows < 1 or cols < 1:
        raise argparse.ArgumentTypeError(
            'rows and columns must be positive, got {!r}'.format(text))
    return rows, cols


def dimension_list(text):
    """'0-7' or '0,3,5' or '0-3,10' -> [0, 1, ...]."""
    dims = []
    try:
        for part in text.split(','):
            if '-' in part.strip()[1:]:
                first, last = part.split('-', 1)
                dims.extend(range(int(first), int(last) + 1))
            else:
                dims.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(
            'give latent dimensions as 0-7 or 0,3,5, got {!r}'.format(text))
    if not dims:
        raise argparse.ArgumentTypeError('no latent dimensions in {!r}'.format(text))
    return dims


def build_parser():
    parser = ArgumentParser(
        prog='dcgan-walk',
        description='Make a latent-walk GIF (or a grid of walks, or a traversal of single '
                    'latent dimensions) from a generator file or trainer snapshot.')
    parser.add_argument('--gen', required=True, metavar='FILE',
                        help='gen_iter_N.npz (this project or Chainer\'s example), '
                             'snapshot_iter_N.npz, or a result folder (its newest '
                             'gen_ema_iter_N.npz, else gen_iter_N.npz)')
    parser.add_argument('--out', '-o', default=None, metavar='FILE',
                        help='output file (default: walk.gif, or traverse.png with '
                             '--traverse, beside --gen)')
    g = parser.add_argument_group('model')
    g.add_argument('--config', default=None, metavar='FILE',
                   help='config.json of the training run (default: the one beside --gen, '
                        'else the architecture is worked out from the arrays)')
    g.add_argument('--ignore-config', action='store_true',
                   help='work the architecture out from the arrays even if config.json exists')
    g.add_argument('--prefix', default=None, metavar='PATH',
                   help='where the generator is inside the file when it holds several '
                        '(e.g. updater/model:gen/)')
    add_device_arguments(parser)

    g = parser.add_argument_group('walk')
    g.add_argument('--seed', type=int, default=0, help='seed of the keypoints (default 0)')
    g.add_argument('--keypoints', '-k', type=positive_int, default=5,
                   metavar='K', help='keypoints per walk (default 5)')
    g.add_argument('--frames', '-f', type=positive_int, default=16,
                   metavar='N', help='frames from one keypoint to the next (default 16)')
    g.add_argument('--interp', choices=latent.INTERPOLATIONS, default='slerp',
                   help='spherical or straight-line interpolation')
    g.add_argument('--open', action='store_true',
                   help='stop at the last keypoint instead of walking back to the first')
    g.add_argument('--grid', type=grid_shape, default=(1, 1), metavar='RxC',
                   help='ROWSxCOLS independent walks in one GIF, e.g. 3x3')
    g.add_argument('--z', default=None, metavar='FILE.npy',
                   help='.npy of keypoints to walk through: (K, n_hidden), (K, n_hidden, 1, 1) '
                        'or (walks, K, n_hidden); overrides --seed/--keypoints')
    g.add_argument('--save-z', default=None, metavar='FILE.npy',
                   help='write the keypoints used to this .npy')
    g.add_argument('--traverse', type=dimension_list, default=None, metavar='DIMS',
                   help='instead of a walk: a grid with one row per latent dimension '
                        '(e.g. 0-7 or 0,3,5) swept from -1 to 1 around the first keypoint')
    g.add_argument('--class', dest='classes', default=None, metavar='NAME[,NAME...]',
                   help='conditional models: walk within this class (several: the grid\'s '
                        'tiles take them in turn; default: every class in turn)')
    g.add_argument('--morph', default=None, metavar='A,B[,C...]',
                   help='conditional models: instead of a walk, morph through these classes '
                        'at a fixed z per tile (--frames frames from one to the next), '
                        'looping back to the first unless --open')
    g.add_argument('--values', type=positive_int, default=9,
                   metavar='N', help='columns (values from -1 to 1) of --traverse (default 9)')

    g = parser.add_argument_group('output')
    g.add_argument('--batch', '-b', type=positive_int, default=None, metavar='B',
                   help='images generated per generator call (default: 64 on a GPU, '
                        '8 on the CPU, where bigger batches only cost memory)')
    g.add_argument('--scale', type=positive_int, default=None, metavar='S',
                   help='nearest-neighbour upscaling (default: enough for 128 px)')
    g.add_argument('--gap', type=int, default=2, metavar='PX',
                   help='pixels between grid cells (default 2)')
    g.add_argument('--duration', type=positive_int, default=80,
                   metavar='MS', help='milliseconds per frame (default 80)')
    g.add_argument('--loop', type=int, default=0, metavar='N',
                   help='times the GIF repeats (0: forever)')
    g.add_argument('--frames-dir', default=None, metavar='DIR',
                   help='also write every frame as PNG here')
    return parser


def check_arguments(args, parser):
    if args.gap < 0:
        parser.error('--gap must be 0 or more pixels')
    if args.loop < 0:
        parser.error('--loop must be 0 (forever) or a positive count')
    if args.ignore_config and args.config:
        parser.error('--config and --ignore-config contradict each other; give one')
    if args.morph and args.traverse:
        parser.error('--morph and --traverse are two different pictures; give one')
    if args.morph and args.classes:
        parser.error('--morph names its classes itself; drop --class')
    if args.out:
        ext = os.path.splitext(args.out)[1].lower()
        allowed = ('.gif', '.png') if args.traverse else ('.gif',)
        if ext not in allowed:
            parser.error('--out {}: the file name must end in {}'.format(
                args.out, ' or '.join(allowed)))


def newest_model(folder):
    """The generator file with the largest N: gen_ema_iter_N.npz (the EMA
    generator, which previews and GIFs show during training) before
    gen_iter_N.npz at the same N; else the newest snapshot_iter_N[.npz]."""
    for patterns in (('gen_ema_iter_*.npz', 'gen_iter_*.npz'), ('snapshot_iter_*',)):
        found = []
        for pattern in patterns:
            for path in glob.glob(os.path.join(folder, pattern)):
                match = re.search(r'_iter_(\d+)(\.npz)?$', path)
                if match:
                    is_ema = os.path.basename(path).startswith('gen_ema_')
                    found.append((int(match.group(1)), is_ema, path))
        if found:
            return max(found)[2]
    raise UsageError('--gen {}: is a folder without gen_iter_N.npz or snapshot_iter_N '
                     'files; give a generator file'.format(folder))


def default_out(args):
    name = 'traverse.png' if args.traverse else 'morph.gif' if args.morph else 'walk.gif'
    return os.path.join(os.path.dirname(os.path.abspath(args.gen)), name)


def load_keypoints(args, n_walks, n_hidden):
    """(walks, K, n_hidden) keypoints from --z or from --seed."""
    if args.z is None:
        return latent.sample_keypoints(n_walks, args.keypoints, n_hidden, args.seed)
    try:
        z = numpy.load(args.z, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise UsageError('--z {}: cannot be read as a .npy array of numbers ({})'.format(
            args.z, e))
    if not isinstance(z, numpy.ndarray):
        raise UsageError('--z {}: holds several arrays; give a .npy with one array'.format(args.z))
    try:
        z = latent.as_keypoints(z, n_hidden)
    except latent.LatentError as e:
        raise UsageError('--z {}: {}'.format(args.z, e))
    if z.ndim == 2:
        z = z[None]
    if len(z) != n_walks and not args.traverse:
        raise UsageError('--z {}: holds {} walks but --grid {}x{} needs {}'.format(
            args.z, len(z), args.grid[0], args.grid[1], n_walks))
    return z


def save_keypoints(path, keypoints):
    def write(tmp):
        with open(tmp, 'wb') as f:
            numpy.save(f, keypoints)
    imaging.atomic_write(path, write)


def class_ids(text, gen, flag):
    """Class ids for the comma-separated names of ``flag`` (None: not given)."""
    if text is None:
        return None
    if not gen.n_classes:
        raise UsageError('{} {}: this generator was trained without classes (unconditional); '
                         'drop {}, or give a model trained with --cond'.format(flag, text, flag))
    ids = []
    for name in (n.strip() for n in text.split(',')):
        if name not in gen.class_names:
            raise UsageError('{}: the generator has no class {!r}; its classes: {}'.format(
                flag, name, ', '.join(gen.class_names)))
        ids.append(gen.class_names.index(name))
    return ids


def make_frames(args, gen, keypoints):
    """The frames (H, W, C) of the requested walk, grid, traversal or morph."""
    if args.traverse:
        rows, cols = len(args.traverse), args.values
    else:
        rows, cols = args.grid
    scale = args.scale or walk_gif.auto_scale(min(rows, cols) * gen.resolution)
    classes = class_ids(args.classes, gen, '--class')
    if args.morph:
        morph = class_ids(args.morph, gen, '--morph')
        try:
            weights = conditional.morph_weights(morph, gen.n_classes, args.frames,
                                                closed=not args.open)
        except ValueError as e:
            raise UsageError('--morph {}: {}'.format(args.morph, e))
        z, w = morph_gif.morph_inputs(keypoints[:, 0, :], weights)
        images = walk_gif.render(gen, z, args.batch, w)
        return walk_gif.walk_frames(images, rows, cols, scale, args.gap)
    if args.traverse:
        values = numpy.linspace(-1.0, 1.0, args.values)
        try:
            z = latent.dimension_traversal(keypoints[0, 0], args.traverse, values)
        except latent.LatentError as e:
            raise UsageError('--traverse: {}'.format(e))
        labels = walk_gif.tile_labels(gen, 1, len(z), (classes or [0])[:1])
        images = walk_gif.render(gen, z, args.batch, labels)
        return walk_gif.walk_frames(images, rows, cols, scale, args.gap)
    z, n_frames = walk_gif.walk_z(keypoints, args.frames, args.interp, closed=not args.open)
    labels = walk_gif.tile_labels(gen, n_frames, rows * cols, classes)
    images = walk_gif.render(gen, z, args.batch, labels)
    return walk_gif.walk_frames(images, rows, cols, scale, args.gap)


def write_output(path, frames, args):
    if path.lower().endswith('.png'):
        imaging.save_png(path, frames[0])
    else:
        imaging.save_gif(path, frames, duration_ms=args.duration, loop=args.loop)
    if args.frames_dir:
        for i, frame in enumerate(frames):
            imaging.save_png(os.path.join(args.frames_dir, 'frame_{:05d}.png'.format(i)), frame)


def run(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    check_arguments(args, parser)
    device = get_device(args.device)
    if os.path.isdir(args.gen):
        args.gen = newest_model(args.gen)
    try:
        loaded = model_files.load_generator(args.gen, config_path=args.config,
                                        use_config=not args.ignore_config,
                                        prefix=args.prefix, device=device)
    except (model_files.ModelFileError, ArchitectureError) as e:
        raise UsageError(str(e))
    gen = loaded.gen
    print('Generator: {}{} ({}; architecture from {})'.format(
        args.gen, ' under ' + loaded.prefix if loaded.prefix else '',
        ', '.join('{}={}'.format(k, v) for k, v in sorted(loaded.config.items())),
        loaded.config_source))
    n_walks = 1 if args.traverse else args.grid[0] * args.grid[1]
    keypoints = load_keypoints(args, n_walks, gen.n_hidden)
    if args.save_z:
        saved = keypoints[0] if len(keypoints) == 1 else keypoints
        save_keypoints(args.save_z, saved)
        print('Keypoints: {} {}'.format(args.save_z, saved.shape))
    if args.batch is None:
        args.batch = CPU_BATCH if device.xp is numpy else GPU_BATCH
    frames = make_frames(args, gen, keypoints)
    out = args.out or default_out(args)
    write_output(out, frames, args)
    height, width = frames[0].shape[:2]
    print('Wrote {}: {} frame(s) of {}x{} px, {:.1f} KiB'.format(
        out, len(frames), width, height, os.path.getsize(out) / 1024.0))
    if args.frames_dir:
        print('Frames: {} PNG files in {}'.format(len(frames), args.frames_dir))
    return 0


def main(argv=None):
    try:
        return run(argv)
    except UsageError as e:
        fail(str(e))


if __name__ == '__main__':
    sys.exit(main())
