"""dcgan-evaluate: SWD of a generator file against an image folder, and the
memorisation check (samples beside their nearest training images).

    dcgan-evaluate --gen result/gen_iter_5000.npz --dataset data/sushi
    dcgan-evaluate --gen result/gen_ema_iter_5000.npz --dataset data/sushi --nearest nn.png
    python examples/nearest.py --gen result/gen_iter_5000.npz --dataset data/sushi

A conditional generator is compared with a labelled folder (class
sub-folders, or --labels FILE; without --dataset, the labelled demo shapes),
and each class is also scored on its own: SWD against that class's images,
the nearest-neighbour check within the class, and how many samples a
classifier trained on the real images puts in the class asked for, beside
its accuracy on held-out real images. Its neighbour pictures put each sample
beside the nearest images of its own class.

Argument parsing and printing only; the work is in dcgan.evaluation.swd,
dcgan.evaluation.nearest and dcgan.evaluation.per_class.
"""
import sys
import warnings

import numpy

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
                        help='folder of training images (default: the built-in demo images); '
                             'for a conditional generator, its class sub-folders')
    parser.add_argument('--labels', default=None, metavar='FILE',
                        help='conditional generator: label file of --dataset instead of class '
                             'sub-folders, as for training')
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
    """(generator, training images uint8 NCHW, labels) or UsageError.

    ``labels`` (int32 ids of the generator's classes, -1 for images of no
    class it knows) is None for an unconditional generator."""
    from dcgan.io import model_files
    device = get_device(args.device)
    try:
        loaded = model_files.load_generator(args.gen, config_path=args.config, device=device)
    except model_files.ModelFileError as e:
        raise UsageError('--gen: {}'.format(e))
    gen = loaded.gen
    if getattr(gen, 'n_classes', 0):
        images, labels = _labelled_images(args, gen)
        return gen, images, labels
    if args.labels:
        raise UsageError('--labels: {} is not conditional, so it has no classes to compare; '
                         'leave --labels out'.format(args.gen))
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
    return gen, images, None


def _labelled_images(args, gen):
    """A conditional generator's real images and their ids in the generator's classes."""
    names = list(gen.class_names)
    try:
        if not args.dataset:
            # The demo labelling whose class names are the generator's.
            for by in demo.LABELLINGS:
                images, labels, found = demo.make_demo_labelled(
                    args.demo_images, gen.resolution, gen.out_channels, seed=0, by=by)
                if found == names:
                    return images, labels
            raise UsageError(
                '--dataset: {} draws {} ({}), not the demo shapes or hues; give its labelled '
                'folder with --dataset'.format(args.gen, len(names), ', '.join(names)))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', data.SkippedImageWarning)
            warnings.simplefilter('ignore', data.LabelWarning)
            folder = data.load_labelled_folder(
                args.dataset, label_file=args.labels, resolution=gen.resolution,
                channels=gen.out_channels, background=data.parse_background(args.background),
                fit=args.fit)
    except data.DatasetError as e:
        raise UsageError('{}: {}'.format('--labels' if args.labels else '--dataset', e))
    missing = [n for n in names if n not in folder.class_names]
    if missing:
        raise UsageError(
            '--dataset: {} has no images of the generator\'s class{} {} (its classes: {}); '
            'give the labelled folder it was trained on'.format(
                args.dataset, 'es' if len(missing) > 1 else '', ', '.join(missing),
                ', '.join(folder.class_names)))
    # The folder's ids follow its own sorted names; the generator's may be
    # a subset or another order, so classes are matched by name. The extra
    # last entry maps -1 (unlabelled) to -1.
    to_gen = numpy.array([names.index(n) if n in names else -1 for n in folder.class_names]
                         + [-1], numpy.int32)
    return folder.images, to_gen[folder.labels]


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
    parser.add_argument('--class-samples', dest='class_samples', type=int, default=64,
                        metavar='N', help='conditional generator: samples asked of each '
                                          'class for the per-class scores')
    parser.add_argument('--classifier-iterations', dest='classifier_iterations', type=int,
                        default=300, metavar='N',
                        help='conditional generator: training steps of the class-consistency '
                             'classifier (on 80 %% of the real images)')
    return parser


def run(argv=None):
    from dcgan.extensions.swd_report import SWDReport, generate_images
    from dcgan.evaluation.checkerboard import CheckerboardReference
    from dcgan.evaluation.swd import SWDError, SWDReference
    args = build_parser().parse_args(argv)
    if args.samples < 1:
        raise UsageError('--samples {}: use a positive number such as 256'.format(args.samples))
    for flag, value in (('--class-samples', args.class_samples),
                        ('--classifier-iterations', args.classifier_iterations)):
        if value < 1:
            raise UsageError('{} {}: use a positive number'.format(flag, value))
    gen, images, labels = load(args)
    fake_labels = None
    if labels is not None:
        # The classes the training log's swd draws (the data's frequencies,
        # seeded), so the overall number matches the log's.
        fake_labels = SWDReport(gen, images, args.samples, args.seed,
                                labels=labels[labels >= 0]).labels
    try:
        reference = SWDReference(images, n_images=args.samples, seed=args.seed)
        fake = generate_images(gen, args.samples, seed=args.seed, labels=fake_labels)
        levels = reference.distance_per_level(fake)
    except SWDError as e:
        raise UsageError(str(e))
    print('swd {:.2f} (x1e3, lower is better; per level, fine to coarse: {}; {} samples, '
          'seed {}, {} training images)'.format(
              sum(levels) / len(levels), ', '.join('{:.2f}'.format(v) for v in levels),
              args.samples, args.seed, len(images)))
    if images.shape[2] % 4 == 0 and images.shape[3] % 4 == 0:
        print('checkerboard {:+.2f} dB (the samples\' energy at the frequencies of a stride-2 '
              'up-sampling grid over the training images\'; 0: as smooth as the data)'.format(
                  CheckerboardReference(images).db(fake)))
    if labels is not None:
        print_per_class(gen, images, labels, args)
    if args.nearest:
        write_nearest(gen, images, args.nearest, args.nearest_samples, args.k, args.seed, labels)
    return 0


def print_per_class(gen, images, labels, args):
    """The per-class table of a conditional generator."""
    from dcgan.extensions.swd_report import generate_images
    from dcgan.evaluation.per_class import evaluate_per_class
    from dcgan.evaluation.swd import SWDError

    def generate(asked):
        return generate_images(gen, len(asked), seed=args.seed + 1, labels=asked)

    names = list(gen.class_names)
    counts = numpy.bincount(labels[labels >= 0], minlength=len(names))
    empty = [n for n, c in zip(names, counts) if c == 0]
    if empty:
        raise UsageError('--dataset: no images of class {} to compare with'.format(
            ', '.join(empty)))
    try:
        report = evaluate_per_class(
            generate, images, labels, len(names), names, n_per_class=args.class_samples,
            swd_images=args.class_samples, seed=args.seed,
            classifier_options=dict(iterations=args.classifier_iterations))
    except (SWDError, ValueError) as e:
        raise UsageError('per-class scores: {}'.format(e))
    width = max(len('class'), max(len(n) for n in names))
    row = '  {:<{w}}  {:>6}  {:>7}  {:>20}  {:>5}  {:>10}  {:>13}'
    print('per class ({} samples asked of each, seed {}):'.format(args.class_samples, args.seed))
    print(row.format('class', 'images', 'swd', 'nearest median / min', 'real', 'classifier',
                     'held-out real', w=width))
    held = report.held_out_accuracy
    for k, name in enumerate(names):
        near = report.nearest[k]
        print(row.format(
            name, report.swd[k].n_real, _number(report.swd[k].swd, '{:.2f}'),
            '{} / {}'.format(_number(near.median, '{:.3f}'), _number(near.min, '{:.3f}')),
            _number(near.real_median, '{:.3f}'),
            _number(report.generated_accuracy.per_class[k], '{:.2f}'),
            '{} of {}'.format(_number(held.per_class[k], '{:.2f}'), held.counts[k]), w=width))
    swds = [s.swd for s in report.swd if s.swd is not None]
    print(row.format('mean', '', _number(sum(swds) / len(swds) if swds else None, '{:.2f}'),
                     '', '', _number(report.generated_accuracy.mean, '{:.2f}'),
                     _number(held.mean, '{:.2f}'), w=width))
    print('  swd: against the class\'s own images. nearest: RMS distance of each sample to '
          'the nearest image of its class (near 0: a copy); real: of the class\'s images to '
          'one another. classifier: share of the samples that a classifier trained on the '
          'real images puts in the class asked; held-out real: its accuracy on real images '
          'it did not train on.')
    for note in report.classifier_notes:
        print('  note: {}'.format(note))


def _number(value, spec):
    return '-' if value is None else spec.format(value)


def write_nearest(gen, images, path, n_samples, k, seed, labels=None):
    """The neighbour picture; a conditional generator's samples (classes in
    turn) beside the nearest images of their own class."""
    from dcgan.extensions.swd_report import generate_images
    from dcgan.evaluation.nearest import nearest_grid, nearest_neighbours
    from dcgan.evaluation.per_class import nearest_in_class
    asked = None
    if labels is not None:
        asked = (numpy.arange(n_samples) % gen.n_classes).astype(numpy.int32)
    samples = generate_images(gen, n_samples, seed=seed + 7919, labels=asked)
    if asked is None:
        order, dist = nearest_neighbours(samples, images, k)
    else:
        try:
            order, dist = nearest_in_class(samples, asked, images, labels, k)
        except ValueError as e:
            raise UsageError('--nearest: {}'.format(e))
    imaging.save_png(path, imaging.upscale(nearest_grid(samples, images, k, order=order), 2))
    print('wrote {}: {} samples, each beside its {} nearest training images{} (RMS '
          'distance of the nearest: min {:.3f}, median {:.3f}; near 0 means a copy)'.format(
              path, n_samples, k, '' if asked is None else ' of its class',
              float(dist[:, 0].min()), float(sorted(dist[:, 0])[len(dist) // 2])))


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
    gen, images, labels = load(args)
    write_nearest(gen, images, args.out, args.samples, args.k, args.seed, labels)
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
