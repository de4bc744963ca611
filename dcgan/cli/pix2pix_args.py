"""dcgan-pix2pix's flags: Chainer's example-style names first (as chainer-pix2pix's
train_facade.py), then data, networks, optimisation, stabilisers, output."""
from dcgan.cli import distributed_options
from dcgan.cli.argtypes import positive_float, positive_int
from dcgan.cli.devices import add_device_arguments
from dcgan.cli.errors import ArgumentParser
from dcgan.cli.train_args import add_length_arguments
from dcgan.data import DatasetError, parse_background
from dcgan.data.make_input import RULES
from dcgan.data.pairs import DIRECTIONS
from dcgan.evaluation.paired import TEST_MODES
from dcgan.extensions.ema import DEFAULT_WARMUP
from dcgan.models.patchgan import PATCH_SIZES
from dcgan.models.unet import NORMS
from dcgan.training.augment import AugmentError, parse_policy
from dcgan.training.losses import LOSSES

# Without --dataset: line art made from the demo images, sized for a CPU.
DEMO = {'resolution': 32, 'ngf': 32, 'ndf': 32, 'batchsize': 8}
# With a dataset: the paper's.
PAPER = {'resolution': 256, 'ngf': 64, 'ndf': 64, 'batchsize': 1}


def build_parser():
    parser = ArgumentParser(
        prog='dcgan-pix2pix',
        description='Train pix2pix (paired image-to-image translation: a U-Net against a '
                    'PatchGAN, cGAN + L1) on A|B files, A/ and B/ folders, or one folder '
                    'whose inputs --make-input makes.')
    parser.add_argument('--batchsize', '-b', type=positive_int, default=None,
                        help='pairs per mini-batch (default 1, the paper\'s; 8 for the demo)')
    parser.add_argument('--epoch', '-e', type=positive_int, default=200,
                        help='sweeps over the training pairs (unless --iteration)')
    add_device_arguments(parser)
    parser.add_argument('--dataset', '-i', default='',
                        help='folder of A|B files, or holding A/ and B/, or of plain images '
                             'with --make-input; empty: line art made from the demo images')
    parser.add_argument('--out', '-o', default='result', help='output folder')
    parser.add_argument('--resume', '-r', default='',
                        help='resume from this trainer snapshot (snapshot_iter_N.npz)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the weights, the held-out split and training randomness')
    parser.add_argument('--snapshot_interval', type=positive_int, default=1000,
                        help='iterations between snapshots, pair grids and held-out scores')
    parser.add_argument('--display_interval', type=positive_int, default=100,
                        help='iterations between log lines')

    add_length_arguments(parser)

    g = parser.add_argument_group('data')
    g.add_argument('--direction', choices=DIRECTIONS, default='AtoB',
                   help='A|B files: AtoB translates the left half into the right one')
    g.add_argument('--make-input', choices=RULES, default=None,
                   help='the --dataset holds plain images; make each input from its image: '
                        'line art, grayscale, 4x downscaled, or a gray box')
    g.add_argument('--resolution', type=positive_int, default=None,
                   help='training crop in pixels (default 256; 32 for the demo)')
    g.add_argument('--load-size', type=positive_int, default=None,
                   help='pairs are loaded at this size and randomly cropped to --resolution '
                        '(default: resolution x 286/256, the paper\'s jitter)')
    g.add_argument('--no-flip', dest='flip', action='store_false',
                   help='no random horizontal flips (the same flip for both halves)')
    g.add_argument('--holdout', type=int, default=None, metavar='N',
                   help='pairs held out by --seed, never trained on, for the grid and scores '
                        '(default: 16, at most a fifth of the pairs)')
    g.add_argument('--channels', type=int, choices=(1, 3), default=3,
                   help='channels of the targets (outputs)')
    g.add_argument('--input-channels', type=int, choices=(1, 3), default=None,
                   help='channels of the inputs (default: --channels, or what --make-input makes)')
    g.add_argument('--background', default='black',
                   help='colour transparent pixels are composited onto')
    g.add_argument('--fit', choices=('pad', 'crop'), default='crop',
                   help='non-square images: centre-crop (default) or pad to a square')
    g.add_argument('--cache', default='', help='folder for a decoded-image cache')
    g.add_argument('--demo_images', type=positive_int, default=320,
                   help='demo images when no --dataset is given')

    g = parser.add_argument_group('networks')
    g.add_argument('--ngf', type=positive_int, default=None,
                   help='width of G\'s first layer (default 64, the paper\'s; 32 for the demo)')
    g.add_argument('--ndf', type=positive_int, default=None,
                   help='width of D\'s first layer (default 64; 32 for the demo)')
    g.add_argument('--n_down', type=positive_int, default=None,
                   help='G\'s stride-2 layers (default: down to 1 px, 8 at 256 px)')
    g.add_argument('--patch', type=int, choices=sorted(PATCH_SIZES), default=70,
                   help='D\'s receptive field in px (70: the paper\'s; 34 suits 64 px)')
    g.add_argument('--norm', choices=NORMS, default='batch', help='normalisation in both nets')
    g.add_argument('--dropout', type=float, default=0.5,
                   help='dropout in G\'s 3 innermost decoder layers, the noise (0: off)')

    g = parser.add_argument_group('optimisation')
    g.add_argument('--loss', choices=sorted(LOSSES), default='nonsaturating',
                   help='GAN loss (nonsaturating: the paper\'s)')
    g.add_argument('--lambda_l1', type=float, default=100.0,
                   help='weight of L1 (on [-1, 1] images) in G\'s loss (the paper\'s 100)')
    g.add_argument('--lambda_gan', type=float, default=1.0,
                   help='weight of the cGAN term in G\'s loss (0: L1 alone, no D)')
    g.add_argument('--n_dis', type=positive_int, default=1, help='D steps per G step')
    g.add_argument('--dis_every', type=positive_int, default=1,
                   help='update D only every k-th iteration (2 or 3 for a D that wins early)')
    g.add_argument('--lr_gen', type=positive_float, default=2e-4, help='Adam alpha of G')
    g.add_argument('--lr_dis', type=positive_float, default=2e-4, help='Adam alpha of D')
    g.add_argument('--beta1_gen', type=float, default=0.5, help='Adam beta1 of G')
    g.add_argument('--beta1_dis', type=float, default=0.5, help='Adam beta1 of D')
    g.add_argument('--beta2_gen', type=float, default=0.999,
                   help='Adam beta2 of G (the line-art article used 0.9)')
    g.add_argument('--beta2_dis', type=float, default=0.999, help='Adam beta2 of D')
    g.add_argument('--weight_decay', type=float, default=0.0,
                   help='weight decay of both nets (chainer-pix2pix: 1e-5; default 0)')

    g = parser.add_argument_group('stabilisers (off unless given)')
    g.add_argument('--augment', default='', metavar='POLICY',
                   help='DiffAugment on the pairs D sees (both halves alike): '
                        'color,translation,cutout or none')
    g.add_argument('--ema', type=float, default=0.0, metavar='DECAY',
                   help='an EMA of G (e.g. 0.999) for the grids, scores and gen_ema_iter_N.npz')
    g.add_argument('--ema-warmup', type=float, default=DEFAULT_WARMUP, metavar='W',
                   help='EMA warm-up (see dcgan-train --help)')
    g.add_argument('--lr-decay', type=float, default=0.0, metavar='F',
                   help='decay both learning rates linearly to 0 over the last fraction F '
                        '(the paper: 0.5)')
    g.add_argument('--no-nan-guard', dest='nan_guard', action='store_false',
                   help='keep training when a loss or weight becomes NaN/inf')

    g = parser.add_argument_group('output')
    g.add_argument('--test-mode', choices=TEST_MODES, default=None,
                   help='grids and scores: paper = batch statistics of --batchsize images and '
                        'dropout on (the paper\'s, at batch 1); eval = running statistics, no '
                        'dropout (default: paper at --batchsize 1, else eval)')
    g.add_argument('--preview-train', type=int, default=4, metavar='N',
                   help='training pairs shown below the held-out ones in the grid')
    g.add_argument('--preview-held', type=int, default=8, metavar='N',
                   help='held-out pairs shown in the grid (all are scored)')
    g.add_argument('--no-progress-bar', dest='progress_bar', action='store_false',
                   help='no progress bar (log lines only)')
    distributed_options.add_arguments(parser)
    return parser


def check_arguments(args, parser):
    """Fill the defaults that depend on --dataset; refuse impossible values."""
    defaults = PAPER if args.dataset else DEMO
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if not args.dataset and args.make_input is None:
        args.make_input = 'lineart'
    if args.test_mode is None:
        args.test_mode = 'paper' if args.batchsize == 1 else 'eval'
    if args.load_size is None:
        args.load_size = -(-args.resolution * 286 // 256)
    if args.load_size < args.resolution:
        parser.error('--load-size {} is smaller than --resolution {}; the crop must fit'.format(
            args.load_size, args.resolution))
    for name in ('beta1_gen', 'beta1_dis', 'beta2_gen', 'beta2_dis'):
        if not 0 <= getattr(args, name) < 1:
            parser.error('--{} must be in [0, 1)'.format(name))
    for name in ('weight_decay', 'lambda_l1', 'lambda_gan'):
        if getattr(args, name) < 0:
            parser.error('--{} must be 0 or positive'.format(name))
    if not 0 <= args.dropout < 1:
        parser.error('--dropout {}: use a ratio in [0, 1), e.g. 0.5 (0: off)'.format(args.dropout))
    if not 0.0 <= args.ema < 1.0:
        parser.error('--ema {}: use a decay in [0, 1), e.g. 0.999'.format(args.ema))
    if not 0.0 <= args.lr_decay <= 1.0:
        parser.error('--lr-decay {}: use a fraction in [0, 1]'.format(args.lr_decay))
    if args.holdout is not None and args.holdout < 1:
        parser.error('--holdout {}: hold out at least 1 pair'.format(args.holdout))
    try:
        args.augment = ','.join(parse_policy(args.augment))
        parse_background(args.background)
    except (AugmentError, DatasetError) as e:
        parser.error(str(e))
    distributed_options.check_arguments(args, parser)


def parse_arguments(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    check_arguments(args, parser)
    return args
