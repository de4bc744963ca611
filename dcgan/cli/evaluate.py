"""dcgan-evaluate: SWD of a generator file against an image folder, and the
memorisation check (samples beside their nearest training images).

    dcgan-evaluate --gen result/gen_iter_5000.npz --dataset data/sushi
    dcgan-evaluate --gen result/gen_ema_iter_5000.npz --dataset data/sushi --nearest nn.png
    python examples/nearest.py --gen result/gen_iter_5000.npz --dataset data/sushi

Argument parsing and printing only; the work is in dcgan.evaluation.swd and dcgan.evaluation.nearest.
"""
import sys
import warnings

from dcgan import data
from dcgan.data import demo
from dcgan.io import imaging
from dcgan.cli.devices import add_device_arguments, get_device
from dcgan.cli.errors import ArgumentParser, UsageError, fail


def _common_arguments(parser):
    parser.add_argument('--gen', required=True, metavar='FILE',
                        help='generator .npz (gen_iter_N.npz, gen_ema_iter_N.npz, a Chainer '
                             'example file) or a trainer snapshot')
    parser.add_argument('--config', default=None, metavar='FILE',
                        help='config.json describing the generator (default: the one beside '
                             '--gen, else the array shapes)')
    parser.add_argument('--dataset', '-i', default='',
                        help='folder of training images (default: the built-in demo images)')
    parser.add_argument('--demo_images', type=int, default=256,
                        help='demo images to compare with when --dataset is not given')
    parser.add_argument('--background', default='black',
                        help='colour behind transparent pixels, as for training')
    parser.add_argument('--fit', choices=('pad', 'crop'), default='pad',
                        help='how non-square images were made square, as for training')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the samples and of the patch positions')
    add_device_arguments(parser)


def load(args):
    """(generator, training images uint8 NCHW) or UsageError."""
    from dcgan.io import model_files
    device = get_device(args.device)
    try:
        loaded = model_files.load_generator(args.gen, config_path=args.config, device=device)
    except model_files.ModelFileError as e:
        raise UsageError('--gen: {}'.format(e))
    gen = loaded.gen
    try:
        if not args.dataset:
            images = demo.make_demo_images(
                args.demo_images, gen.resolution, gen.out_channels, seed=0)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', data.SkippedImageWarning)
                images = data.load_image_folder(
                    args.dataset, resolution=gen.resolution, channels=gen.out_channels,
                    background=data.parse_background(args.background), fit=args.fit).images
    except data.DatasetError as e:
        raise UsageError('--dataset: {}'.format(e))
    return gen, images


def build_parser():
    parser = ArgumentParser(
        prog='dcgan-evaluate',
        description='Sliced Wasserstein distance (SWD, x1e3, lower is better) between a '
                    'generator\'s samples and the training images; optionally the '
                    'nearest-neighbour picture.')
    _common_arguments(parser)
    parser.add_argument('--samples', type=int, default=256,
                        help='generated images (and patch count) for SWD; keep it fixed to '
                             'compare numbers (the training log uses 256)')
    parser.add_argument('--nearest', default=None, metavar='PNG',
                        help='also write samples beside their nearest training images here')
    parser.add_argument('--nearest-samples', dest='nearest_samples', type=int, default=8,
                        help='rows of the --nearest picture')
    parser.add_argument('--k', type=int, default=4, help='neighbours per sample')
    return parser


def run(argv=None):
    from dcgan.extensions.swd_report import generate_images
    from dcgan.evaluation.swd import SWDError, SWDReference
    args = build_parser().parse_args(argv)
    if args.samples < 1:
        raise UsageError('--samples {}: use a positive number such as 256'.format(args.samples))
    gen, images = load(args)
    try:
        reference = SWDReference(images, n_images=args.samples, seed=args.seed)
        fake = generate_images(gen, args.samples, seed=args.seed)
        levels = reference.distance_per_level(fake)
    except SWDError as e:
        raise UsageError(str(e))
    print('swd {:.2f} (x1e3, lower is better; per level, fine to coarse: {}; {} samples, '
          'seed {}, {} training images)'.format(
              sum(levels) / len(levels), ', '.join('{:.2f}'.format(v) for v in levels),
              args.samples, args.seed, len(images)))
    if args.nearest:
        write_nearest(gen, images, args.nearest, args.nearest_samples, args.k, args.seed)
    return 0


def write_nearest(gen, images, path, n_samples, k, seed):
    from dcgan.extensions.swd_report import generate_images
    from dcgan.evaluation.nearest import nearest_grid, nearest_neighbours
    samples = generate_images(gen, n_samples, seed=seed + 7919)
    order, dist = nearest_neighbours(samples, images, k)
    imaging.save_png(path, imaging.upscale(nearest_grid(samples, images, k, order=order), 2))
    print('wrote {}: {} samples, each beside its {} nearest training images (RMS '
          'distance of the nearest: min {:.3f}, median {:.3f}; near 0 means a copy)'.format(
              path, n_samples, k, float(dist[:, 0].min()), float(sorted(dist[:, 0])[len(dist) // 2])))


def nearest_run(argv=None):
    parser = ArgumentParser(
        prog='nearest', description='Memorisation check: generated samples beside their '
                                    'nearest training images (L2 on 16 px thumbnails).')
    _common_arguments(parser)
    parser.add_argument('--out', '-o', default='nearest.png', help='PNG to write')
    parser.add_argument('--samples', type=int, default=8, help='rows (generated samples)')
    parser.add_argument('--k', type=int, default=4, help='neighbours per sample')
    args = parser.parse_args(argv)
    if args.samples < 1 or args.k < 1:
        raise UsageError('--samples and --k must be positive')
    gen, images = load(args)
    write_nearest(gen, images, args.out, args.samples, args.k, args.seed)
    return 0


def main(argv=None):
    try:
        return run(argv)
    except UsageError as e:
        fail(str(e))


def nearest_main(argv=None):
    try:
        return nearest_run(argv)
    except UsageError as e:
        fail(str(e))


if __name__ == '__main__':
    sys.exit(main())
