"""The training command's flags: Chainer example's names and defaults first,
then this project's groups; and the checks that refuse impossible values."""
from dcgan.cli import cond_options, distributed_options, gif_options, stabiliser_options
from dcgan.cli.argtypes import positive_float, positive_int, snapshot_count
from dcgan.cli.devices import add_device_arguments
from dcgan.cli.errors import ArgumentParser
from dcgan.data import DatasetError, parse_background
from dcgan.data.demo import LABELLINGS
from dcgan.training.losses import LOSSES
from dcgan.extensions.snapshot import DEFAULT_KEEP
from dcgan.training.updater import UPDATE_ORDERS


def build_parser():
    parser = ArgumentParser(
        prog='dcgan-train',
        description='Train a DCGAN on a folder of images (Chainer example compatible).')
    # The example's flags, same names and defaults.
    parser.add_argument('--batchsize', '-b', type=positive_int, default=50,
                        help='images in each mini-batch')
    parser.add_argument('--epoch', '-e', type=positive_int, default=1000,
                        help='sweeps over the dataset to train (unless --iteration)')
    add_device_arguments(parser)
    parser.add_argument('--dataset', '-i', default='',
                        help='folder of images (searched recursively); empty: built-in demo data')
    parser.add_argument('--out', '-o', default='result', help='output folder')
    parser.add_argument('--resume', '-r', default='',
                        help='resume from this trainer snapshot (snapshot_iter_N.npz)')
    parser.add_argument('--n_hidden', '-n', type=positive_int, default=100,
                        help='number of hidden units (z)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the preview noise and of training randomness')
    parser.add_argument('--snapshot_interval', type=positive_int, default=1000,
                        help='iterations between snapshots and preview grids')
    parser.add_argument('--display_interval', type=positive_int, default=100,
                        help='iterations between log lines')

    add_length_arguments(parser)

    g = parser.add_argument_group('data')
    g.add_argument('--resolution', type=positive_int, default=None,
                   help='training size in pixels (default: the folder\'s size if all '
                        'images are equal squares; 32 for the demo data)')
    g.add_argument('--channels', type=int, choices=(1, 3), default=3,
                   help='1 for grayscale, 3 for colour')
    g.add_argument('--background', default='black',
                   help='colour transparent pixels are composited onto: black, white, '
                        'gray, #rrggbb or r,g,b')
    g.add_argument('--fit', choices=('pad', 'crop'), default='pad',
                   help='non-square images: pad to a square or centre-crop')
    g.add_argument('--flip', action='store_true', help='random horizontal flips')
    g.add_argument('--cache', default='',
                   help='folder for a decoded-image cache keyed by the data (default: none)')
    g.add_argument('--demo_images', type=positive_int, default=256,
                   help='number of built-in demo images when no --dataset is given')
    g.add_argument('--demo-labels', dest='demo_labels', choices=LABELLINGS, default=None,
                   help='labels of the demo images for --cond without --dataset: shape '
                        '(disc, maki, ring; the default) or hue (blue, green, red: learnt '
                        'sooner)')

    g = parser.add_argument_group('networks')
    g.add_argument('--ch', type=positive_int, default=512,
                   help='width of the widest layer (the example uses 512)')
    g.add_argument('--n_stages', type=positive_int, default=None,
                   help='stride-2 stages (default: 3, or what the resolution needs)')
    g.add_argument('--dis_noise', type=float, default=None,
                   help='std of the noise added to D\'s layers while training (0: off; '
                        'default 0.2, the example\'s, unless --small-data sets it)')

    g = parser.add_argument_group('optimisation')
    g.add_argument('--loss', choices=sorted(LOSSES), default='nonsaturating',
                   help='GAN loss (nonsaturating is the example\'s softplus loss)')
    g.add_argument('--n_dis', type=positive_int, default=1,
                   help='discriminator steps per generator step')
    g.add_argument('--dis_every', type=positive_int, default=None,
                   help='update the discriminator only every k-th iteration (default 1, '
                        'the example\'s, unless --small-data sets it)')
    g.add_argument('--lr_gen', type=positive_float, default=2e-4, help='Adam alpha of G')
    g.add_argument('--lr_dis', type=positive_float, default=2e-4, help='Adam alpha of D')
    g.add_argument('--beta1_gen', type=float, default=0.5, help='Adam beta1 of G')
    g.add_argument('--beta1_dis', type=float, default=0.5, help='Adam beta1 of D')
    g.add_argument('--weight_decay', type=float, default=1e-4,
                   help='weight decay of both nets (the example\'s 1e-4; 0: off)')
    g.add_argument('--update_order', choices=UPDATE_ORDERS, default='detached',
                   help='example: the example\'s order of steps; detached: the D loss '
                        'stopped at the generated images. Both give the example\'s weights '
                        'and skip its wasted backward work')

    g = parser.add_argument_group('output')
    g.add_argument('--preview_rows', type=positive_int, default=10, help='rows of the preview grid')
    g.add_argument('--preview_cols', type=positive_int, default=10, help='columns of the preview grid')
    g.add_argument('--no-progress-bar', dest='progress_bar', action='store_false',
                   help='no progress bar (log lines only; also the case when '
                        'output is not a terminal)')
    g.add_argument('--no-report', dest='report', action='store_false',
                   help='do not write report.html (the run at a glance, rewritten at every '
                        'snapshot)')

    stabiliser_options.add_arguments(parser)
    cond_options.add_arguments(parser)
    gif_options.add_arguments(parser)
    distributed_options.add_arguments(parser)
    return parser


def add_length_arguments(parser):
    """--iteration, --no-auto-resume and --keep-snapshots (also dcgan-pix2pix's)."""
    g = parser.add_argument_group('length and resumption')
    g.add_argument('--iteration', type=positive_int, default=None,
                   help='train for this many iterations (overrides --epoch)')
    g.add_argument('--no-auto-resume', dest='auto_resume', action='store_false',
                   help='start over even if --out holds snapshots of the same run')
    g.add_argument('--keep-snapshots', type=snapshot_count, default=DEFAULT_KEEP, metavar='N',
                   help='keep the newest N snapshot_iter_N.npz in --out (default {}; older '
                        'ones are deleted once a newer one is complete); "all" keeps every '
                        'one. gen_iter_N.npz and dis_iter_N.npz are always kept'
                   .format(DEFAULT_KEEP))


def check_arguments(args, parser):
    """Refuse impossible combinations with one sentence naming the flag."""
    if not 0 <= args.beta1_gen < 1 or not 0 <= args.beta1_dis < 1:
        parser.error('--beta1_gen/--beta1_dis must be in [0, 1)')
    if args.weight_decay < 0:
        parser.error('--weight_decay must be 0 or positive')
    try:
        parse_background(args.background)
    except DatasetError as e:
        parser.error('--background: {}'.format(e))
    if args.dis_noise is not None and args.dis_noise < 0:
        parser.error('--dis_noise must be 0 or positive')
    stabiliser_options.check_arguments(args, parser)
    cond_options.check_arguments(args, parser)
    gif_options.check_arguments(args, parser)
    distributed_options.check_arguments(args, parser)


def parse_arguments(argv=None):
    """Parse and check dcgan-train's flags; the preset's defaults filled in."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_arguments(args, parser)
    return args
