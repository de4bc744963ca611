"""dcgan-train's flags for small datasets (50-300 images).

The stabiliser flags, the ``--small-data`` preset, the NaN guard switch, and
the SWD and nearest-neighbour checks: their parsing, checks and defaults,
and the keyword arguments they give the discriminator and the updater
(dcgan/cli/train_extensions.py adds the extensions they ask for). Every
stabiliser is off by default, so without these flags training is the
Chainer example's.
"""
from dcgan.training import ada
from dcgan.training.augment import AugmentError, parse_policy
from dcgan.extensions.ema import DEFAULT_WARMUP

# What --small-data turns on; flags given explicitly still win (an explicit
# --augment, even --augment none, replaces the preset's adaptive augmentation). Nothing
# in it is scheduled over the run's length, so a short run is exactly the
# start of a longer one (tests/test_small_data_preset.py).
# - An EMA of G, warm-up 40 (benchmarks/ema_warmup.py: the lowest mean on
#   seeds 5-10; 20-80 level).
# - No noise in D's layers; noise on D's input falling from 0.2 to 0 over
#   the first 1000 iterations. The example's constant noise in D keeps the
#   samples gray (chroma 0.025 against the data's 0.090); noise early and
#   none late gave colour and a lower SWD at 1000 iterations
#   (benchmarks/small_data.py, docs/small-data.md). Until 2026-12-02 it fell
#   over the whole run, which tied every iteration to the run's length.
# - Nearest-neighbour up-sampling in G: no checkerboard (the example's
#   deconvolutions: 9 dB more energy at the up-sampling grid's frequencies
#   than the data; nearest about 2).
# - Adaptive augmentation (ADA) with DiffAugment's translation and cutout,
#   p able to cross 0..1 in 10 kimg of the real images D judges: without it
#   D takes over after about 1000 iterations and SWD rises. Translation and
#   cutout at p near 1 do not show in the samples (DiffAugment applies them
#   always); colour and rotations do (tried: off colours at p 1).
# - D stepping on every 2nd iteration only, and lazy R1 (0.1, on every 16th
#   D step): with ADA alone p reaches 1 by iteration 1000 on 256 images and
#   D still takes over after about 4000 (SWD rising on one demo seed in
#   three); halving D's steps alone did not stop that (the same seed rose
#   again). R1 0.1 kept D's verdicts near ADA's target with a lower SWD at
#   2000 (seed 5); 1.0 held G back (SWD 151 against 82 at 2000).
# Chosen on seed 5 of benchmarks/long_runs.py's sets and the demo, judged on
# seeds 0-2 there (docs/small-data.md). Tried and not adopted: D's learning rate
# 1e-4, minibatch std, label smoothing 0.1, --lr-decay 0.5, the joint batch.
SMALL_DATA_PRESET = {
    'ema': 0.999,
    'ema_warmup': 40,
    'dis_noise': 0.0,
    'instance_noise': 0.2,
    'instance_noise_iterations': 1000,
    'upsample': 'nearest',
    'ada': True,
    'aug_ops': 'translation,cutout',
    'ada_kimg': 10.0,
    'dis_every': 2,
    'r1_gamma': 0.1,
    'r1_interval': 16,
}
# Preset entries an explicit --augment replaces.
PRESET_AUGMENTATION = ('ada', 'aug_ops')

# Settings of the example's own flags (dcgan/cli/train_args.py) that the
# preset may change: their value when neither the user nor the preset sets
# them.
EXAMPLE_SETTINGS = {
    'dis_noise': 0.2,
    'dis_every': 1,
}

# Value of each stabiliser flag when neither the user nor a preset sets it.
OFF = {
    'augment': '',
    'ema': 0.0,
    'ema_warmup': DEFAULT_WARMUP,
    'spectral_norm': False,
    'minibatch_std': False,
    'r1_gamma': 0.0,
    'r1_interval': 1,
    'label_smoothing': 0.0,
    'instance_noise': 0.0,
    'instance_noise_iterations': 0,
    'feature_matching': 0.0,
    'lr_decay': 0.0,
    'joint_batch': False,
    'dis_batch_norm': True,
    'ada': False,
    'aug_p': 0.0,
    'aug_ops': ','.join(ada.DEFAULT_OPS),
    'ada_target': ada.DEFAULT_TARGET,
    'ada_interval': ada.DEFAULT_INTERVAL,
    'ada_kimg': float(ada.DEFAULT_KIMG),
    'upsample': 'deconv',
    'minibatch_discrimination': '',
}


def add_arguments(parser):
    g = parser.add_argument_group(
        'small-data stabilisers (all off unless given; --small-data sets a tested mix)')
    g.add_argument('--small-data', action='store_true',
                   help='preset for 50-300 images: {}'.format(describe_preset()))
    g.add_argument('--augment', default=None, metavar='POLICY',
                   help='DiffAugment policy applied to real and generated images D sees: '
                        'comma-separated color,translation,cutout, or none')
    g.add_argument('--ema', type=float, default=None, metavar='DECAY',
                   help='keep an EMA of G with this decay (e.g. 0.999) for previews, '
                        'GIFs and gen_ema_iter_N.npz; 0 = off. Warm-up: update n uses '
                        'min(DECAY, (1+n)/(W+n)), W from --ema-warmup')
    g.add_argument('--ema-warmup', dest='ema_warmup', type=float, default=None, metavar='W',
                   help='EMA warm-up W >= 1 (default {:g}): until DECAY is reached the average '
                        'spans about the last 1/(W-1) of training; 2 = the mean of all steps'
                   .format(DEFAULT_WARMUP))
    g.add_argument('--spectral-norm', dest='spectral_norm', action='store_const',
                   const=True, default=None, help='spectral normalisation of D\'s weights')
    g.add_argument('--minibatch-std', dest='minibatch_std', action='store_const',
                   const=True, default=None,
                   help='append the batch standard deviation as a feature before D\'s last layer')
    g.add_argument('--r1-gamma', dest='r1_gamma', type=float, default=None, metavar='GAMMA',
                   help='R1 gradient penalty weight on real images (e.g. 1.0); 0 = off')
    g.add_argument('--r1-interval', dest='r1_interval', type=int, default=None, metavar='K',
                   help='take the R1 penalty on every K-th D step only, K times as strong '
                        '(StyleGAN2 uses 16; default 1, every step)')
    g.add_argument('--label-smoothing', dest='label_smoothing', type=float, default=None,
                   metavar='S', help='one-sided label smoothing: real target 1-S (e.g. 0.1)')
    g.add_argument('--instance-noise', dest='instance_noise', type=float, default=None,
                   metavar='SIGMA', help='Gaussian noise on D\'s input, decaying to 0')
    g.add_argument('--instance-noise-iterations', dest='instance_noise_iterations', type=int,
                   default=None, metavar='N',
                   help='iterations over which --instance-noise decays to 0 '
                        '(default: the whole run, --iteration or --epoch)')
    g.add_argument('--feature-matching', dest='feature_matching', type=float, default=None,
                   metavar='W', help='add W x feature-matching loss to G\'s loss')
    g.add_argument('--lr-decay', dest='lr_decay', type=float, default=None, metavar='F',
                   help='decay both learning rates linearly to 0 over the last fraction F '
                        'of the run (e.g. 0.5); 0 = off')
    g.add_argument('--joint-batch', dest='joint_batch', action='store_const', const=True,
                   default=None,
                   help='D sees real and generated images as one batch, so its batch norm '
                        'normalises both alike (the example: each batch by its own statistics)')
    g.add_argument('--no-dis-batch-norm', dest='dis_batch_norm', action='store_const',
                   const=False, default=None,
                   help='no batch normalisation in D, whose weights then start from He et al.\'s '
                        'normal (with --spectral-norm: SN-GAN\'s plain D)')
    g.add_argument('--ada', action='store_const', const=True, default=None,
                   help='adaptive augmentation (StyleGAN2-ADA): every image D sees goes through '
                        '--aug-ops, each with probability p, and p follows D\'s overfitting '
                        '(E[sign(D(real))]) towards --ada-target')
    g.add_argument('--aug-p', dest='aug_p', type=float, default=None, metavar='P',
                   help='probability of each --aug-ops transformation: where p starts with '
                        '--ada, the fixed p without it (default 0)')
    g.add_argument('--aug-ops', dest='aug_ops', default=None, metavar='OPS',
                   help='transformations for --ada/--aug-p: comma-separated {} (default {})'
                   .format(','.join(ada.OPS), ','.join(ada.DEFAULT_OPS)))
    g.add_argument('--ada-target', dest='ada_target', type=float, default=None, metavar='T',
                   help='the r_t --ada keeps D at (default {:g})'.format(ada.DEFAULT_TARGET))
    g.add_argument('--ada-interval', dest='ada_interval', type=int, default=None, metavar='N',
                   help='iterations on which D trains between p adjustments (default {}; '
                        'those where --dis_every skips D do not count)'.format(
                            ada.DEFAULT_INTERVAL))
    g.add_argument('--ada-kimg', dest='ada_kimg', type=float, default=None, metavar='K',
                   help='p can go from 0 to 1 in K thousand real images judged by D '
                        '(default {})'.format(
                       ada.DEFAULT_KIMG))
    g.add_argument('--upsample', choices=('deconv', 'nearest'), default=None,
                   help='how G doubles its feature maps: deconv (the example\'s 4x4 stride-2 '
                        'deconvolutions) or nearest (nearest-neighbour up-sampling, then a 3x3 '
                        'convolution: no checkerboard)')
    g.add_argument('--minibatch-discrimination', dest='minibatch_discrimination', default=None,
                   metavar='BxC', help='minibatch discrimination (Salimans et al. 2016) before D\'s '
                                       'last layer: B kernels of C dimensions, e.g. 50x5')
    g.add_argument('--no-nan-guard', dest='nan_guard', action='store_false',
                   help='keep training when a loss or weight becomes NaN/inf '
                        '(default: stop with a message, keeping earlier snapshots)')
    g = parser.add_argument_group('quality and memorisation checks')
    g.add_argument('--swd-interval', dest='swd_interval', type=int, default=None, metavar='N',
                   help='report swd (sliced Wasserstein distance to the training images, '
                        'x1e3, lower is better) every N iterations; default: at every '
                        'snapshot; 0 = off')
    g.add_argument('--swd-samples', dest='swd_samples', type=int, default=256, metavar='N',
                   help='generated images (and patch count) per SWD evaluation')
    g.add_argument('--nearest-interval', dest='nearest_interval', type=int, default=None,
                   metavar='N', help='write nearest/nearest_iter_N.png (samples beside their '
                                     'nearest training images) every N iterations; default: at '
                                     'every snapshot; 0 = off')


def _flag(name):
    # The example's flags are spelt with underscores, ours with dashes.
    return '--' + (name if name in EXAMPLE_SETTINGS else name.replace('_', '-'))


def describe_preset():
    return ', '.join('{} {}'.format(_flag(k), v) if v is not True else _flag(k)
                     for k, v in sorted(SMALL_DATA_PRESET.items()))


def apply_defaults(args):
    """Fill unset stabiliser fields (and the example settings the preset
    may change) from the preset (if --small-data), else OFF / the example."""
    # --augment, even 'none', is the user's choice of augmentation.
    own_augmentation = getattr(args, 'augment', None) is not None
    for name, off in list(OFF.items()) + list(EXAMPLE_SETTINGS.items()):
        if getattr(args, name, None) is None:
            value = off
            if (getattr(args, 'small_data', False) and name in SMALL_DATA_PRESET
                    and not (own_augmentation and name in PRESET_AUGMENTATION)):
                value = SMALL_DATA_PRESET[name]
            setattr(args, name, value)


def summary_line(args):
    """The start-of-training summary's line naming the stabilisers and
    example settings this run changes, spelt as flags."""
    changed = [_as_flag(name, getattr(args, name))
               for name, off in list(OFF.items()) + list(EXAMPLE_SETTINGS.items())
               if getattr(args, name) != off]
    return 'Stabilisers: {}{}'.format(
        '; '.join(changed) or "none (the example's training)",
        ' (from --small-data and flags)' if getattr(args, 'small_data', False) else '')


def _as_flag(name, value):
    if name == 'dis_batch_norm':
        return '--no-dis-batch-norm'
    if value is True:
        return _flag(name)
    if isinstance(value, float):
        return '{} {:g}'.format(_flag(name), value)
    return '{} {}'.format(_flag(name), value)


def check_arguments(args, parser):
    own_r1_interval = getattr(args, 'r1_interval', None) is not None
    apply_defaults(args)
    try:
        args.augment = ','.join(parse_policy(args.augment))
    except AugmentError as e:
        parser.error('--augment: {}'.format(e))
    if not 0.0 <= args.ema < 1.0:
        parser.error('--ema {}: use a decay in [0, 1), e.g. 0.999 (0 turns it off)'.format(args.ema))
    if not args.ema_warmup >= 1.0:
        parser.error('--ema-warmup {}: use a value of at least 1, e.g. 10 (1 = no warm-up)'
                     .format(args.ema_warmup))
    for name, flag in (('r1_gamma', '--r1-gamma'), ('instance_noise', '--instance-noise'),
                       ('feature_matching', '--feature-matching'),
                       ('instance_noise_iterations', '--instance-noise-iterations')):
        if getattr(args, name) < 0:
            parser.error('{} {}: use 0 (off) or a positive value'.format(flag, getattr(args, name)))
    if args.r1_interval < 1:
        parser.error('--r1-interval {}: use 1 (every D step) or more, e.g. 16'
                     .format(args.r1_interval))
    if own_r1_interval and args.r1_interval > 1 and not args.r1_gamma:
        parser.error('--r1-interval {} needs --r1-gamma (the penalty it spaces out), '
                     'e.g. --r1-gamma 0.01'.format(args.r1_interval))
    if not 0.0 <= args.lr_decay <= 1.0:
        parser.error('--lr-decay {}: use a fraction of the run in [0, 1], e.g. 0.5 '
                     '(0 = off)'.format(args.lr_decay))
    if not 0.0 <= args.label_smoothing < 1.0:
        parser.error('--label-smoothing {}: use a value in [0, 1), e.g. 0.1'
                     .format(args.label_smoothing))
    if args.label_smoothing and getattr(args, 'loss', 'nonsaturating') == 'hinge':
        parser.error('--label-smoothing works with --loss nonsaturating or lsgan, not hinge')
    for name in ('swd_interval', 'nearest_interval'):
        value = getattr(args, name)
        if value is not None and value < 0:
            parser.error('--{} {}: use 0 (off) or a number of iterations'.format(
                name.replace('_', '-'), value))
    check_augmentation(args, parser)
    if args.minibatch_discrimination:
        try:
            minibatch_discrimination_shape(args.minibatch_discrimination)
        except ValueError as e:
            parser.error('--minibatch-discrimination: {}'.format(e))
    if args.swd_samples < 1:
        parser.error('--swd-samples {}: use a positive number, e.g. 256'.format(args.swd_samples))


def check_augmentation(args, parser):
    if not 0.0 <= args.aug_p <= 1.0:
        parser.error('--aug-p {}: use a probability in [0, 1]'.format(args.aug_p))
    if not 0.0 < args.ada_target < 1.0:
        parser.error('--ada-target {}: use a value in (0, 1), e.g. 0.6'.format(args.ada_target))
    if args.ada_interval < 1 or args.ada_kimg <= 0:
        parser.error('--ada-interval and --ada-kimg must be positive')
    try:
        args.aug_ops = ','.join(ada.parse_ops(args.aug_ops))
    except AugmentError as e:
        parser.error('--aug-ops: {}'.format(e))
    if (args.ada or args.aug_p) and args.augment:
        parser.error('--augment and --ada/--aug-p both augment what D sees; give the '
                     'transformations to --aug-ops instead (e.g. --aug-ops {},cutout)'.format(
                         args.aug_ops))


def minibatch_discrimination_shape(text):
    """'50x5' -> (50, 5)."""
    try:
        kernels, dims = (int(v) for v in str(text).lower().split('x'))
    except ValueError:
        raise ValueError('{!r}: give kernels x dimensions, e.g. 50x5'.format(text)) from None
    if kernels < 1 or dims < 1:
        raise ValueError('{!r}: both numbers must be positive'.format(text))
    return kernels, dims


def adaptive_augment(args):
    """The AdaptiveAugment --ada/--aug-p ask for, or None."""
    if not (args.ada or args.aug_p):
        return None
    return ada.AdaptiveAugment(p=args.aug_p, adapt=bool(args.ada), target=args.ada_target,
                               interval=args.ada_interval, kimg=args.ada_kimg,
                               ops=args.aug_ops)


def gen_kwargs(args):
    """The Generator keyword arguments these flags add (none when off)."""
    return {'upsample': args.upsample} if args.upsample != 'deconv' else {}


def dis_kwargs(args):
    """The Discriminator keyword arguments these flags add (none when off)."""
    kwargs = {}
    if args.spectral_norm:
        kwargs['spectral_norm'] = True
    if args.minibatch_std:
        kwargs['minibatch_std'] = True
    if not args.dis_batch_norm:
        kwargs['batch_norm'] = False
    if args.minibatch_discrimination:
        kwargs['minibatch_discrimination'] = minibatch_discrimination_shape(
            args.minibatch_discrimination)
    return kwargs


def updater_kwargs(args, stop_iteration):
    """The DCGANUpdater keyword arguments these flags add (none when off);
    instance noise decays to 0 at ``stop_iteration`` unless told otherwise."""
    kwargs = {}
    if args.augment:
        kwargs['augment'] = args.augment
    adaptive = adaptive_augment(args)
    if adaptive is not None:
        kwargs['augment'] = adaptive
    if args.r1_gamma:
        kwargs['r1_gamma'] = args.r1_gamma
        if args.r1_interval > 1:
            kwargs['r1_interval'] = args.r1_interval
    if args.label_smoothing:
        kwargs['label_smoothing'] = args.label_smoothing
    if args.feature_matching:
        kwargs['feature_matching'] = args.feature_matching
    if args.joint_batch:
        kwargs['joint_batch'] = True
    if args.instance_noise:
        kwargs['instance_noise'] = args.instance_noise
        kwargs['instance_noise_iterations'] = args.instance_noise_iterations or stop_iteration
    return kwargs
