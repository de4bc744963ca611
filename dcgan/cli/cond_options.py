"""dcgan-train's flags for labelled data: class conditioning and the
semi-supervised discriminator.

Their parsing and checks, and the Generator, Discriminator and updater
keyword arguments they add. All off by default: without ``--cond`` or
``--semi-supervised`` a folder's sub-folders are just where images are, and
training, saved files and config.json are those of an unlabelled run.
"""
import argparse

from dcgan.cli.argtypes import non_negative_float
from dcgan.data.labels import class_frequencies, summary
from dcgan.models.conditional import shown_classes

METHODS = ('none', 'proj', 'concat', 'acgan')
# How each --cond method conditions G and D (dcgan.models.conditional):
# ACGAN's G is conditioned by batch norm, as StudioGAN's "ACGAN-Mod" does.
GEN_COND = {'proj': 'bn', 'acgan': 'bn', 'concat': 'concat'}
DIS_COND = {'proj': 'proj', 'acgan': 'acgan', 'concat': 'concat'}
# Recorded in config.json's args only when labels are used.
FLAGS = ('cond', 'semi_supervised', 'labels', 'label_sampling', 'cond_weight', 'cond_warmup',
         'demo_labels')


def add_arguments(parser):
    g = parser.add_argument_group(
        'labels (class sub-folders of --dataset, or --labels FILE)')
    g.add_argument('--cond', choices=METHODS, default='none',
                   help='class-conditional training: proj (conditional batch norm in G, '
                        'projection in D, whose class embedding is also trained to '
                        'classify; the default method), concat (one-hot joined to '
                        'z and to D\'s input), acgan (D also classifies real images); '
                        'none: labels unused')
    g.add_argument('--semi-supervised', dest='semi_supervised', action='store_true',
                   help='D is a K-class classifier whose classes double as "real" '
                        '(Salimans et al.); G is unconditional, trained by feature '
                        'matching: it cannot be asked for a class. Unlabelled images '
                        '(beside the class folders, or missing from --labels) are used too')
    g.add_argument('--labels', default=None, metavar='FILE',
                   help='label file instead of class sub-folders: "relative/path.png '
                        'label" lines (Chainer\'s LabeledImageDataset) or StyleGAN2-ADA\'s '
                        'dataset.json')
    g.add_argument('--label-sampling', dest='label_sampling', choices=('data', 'uniform'),
                   default=None,
                   help='classes of generated images: data (the real images\' class '
                        'frequencies; default) or uniform (with class-balanced real batches)')
    g.add_argument('--cond-weight', dest='cond_weight', type=non_negative_float,
                   default=None, metavar='W',
                   help='weight of the class loss (default 1): proj\'s class matching '
                        '(0: the plain projection discriminator), acgan\'s auxiliary '
                        'classifier, --semi-supervised\'s labelled images')
    g.add_argument('--cond-warmup', dest='cond_warmup', type=_warmup, default=None,
                   metavar='START:END',
                   help='ramp the conditioning in from 0 at iteration START to full at END '
                        '(helps small classes not to collapse), e.g. 0:2000')


def _warmup(text):
    try:
        start, end = (int(v) for v in text.split(':'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            '{!r}: give START:END iterations, e.g. 0:2000'.format(text)) from None
    if not 0 <= start < end:
        raise argparse.ArgumentTypeError(
            '{!r}: START must be 0 or more and less than END, e.g. 0:2000'.format(text))
    return start, end


def uses_labels(args):
    return args.cond != 'none' or args.semi_supervised


def check_arguments(args, parser):
    """Refuse flags that cannot work together; fill the defaults."""
    if args.semi_supervised and args.cond != 'none':
        parser.error('--semi-supervised trains an unconditional generator; it cannot be '
                     'combined with --cond {} (use one or the other)'.format(args.cond))
    if args.demo_labels is not None and (args.dataset or not uses_labels(args)):
        parser.error('--demo-labels labels the built-in demo images for --cond or '
                     '--semi-supervised without --dataset')
    if not uses_labels(args):
        given = [flag for flag, name in (('--labels', 'labels'),
                                         ('--label-sampling', 'label_sampling'),
                                         ('--cond-weight', 'cond_weight'),
                                         ('--cond-warmup', 'cond_warmup'))
                 if getattr(args, name) is not None]
        if given:
            parser.error('{} only work{} with --cond or --semi-supervised'.format(
                ', '.join(given), 's' if len(given) == 1 else ''))
        return
    if args.cond_weight is not None and args.cond == 'concat':
        parser.error('--cond-weight weighs the class loss of --cond proj, acgan or '
                     '--semi-supervised; --cond concat has none')
    if args.cond_weight == 0 and args.semi_supervised:
        parser.error('--cond-weight 0 would leave --semi-supervised\'s labels unused; '
                     'give a positive weight, or train without labels')
    if args.semi_supervised and args.label_sampling is not None:
        parser.error('--label-sampling chooses the classes of generated images; a '
                     '--semi-supervised generator draws no classes')
    if args.label_sampling is None:
        args.label_sampling = 'data'
    if args.cond_weight is None:
        args.cond_weight = 1.0
    if args.semi_supervised and not args.feature_matching:
        args.feature_matching = 1.0  # how a semi-supervised run trains G


def recorded_args(args):
    """``vars(args)`` for config.json: the label flags only when used."""
    record = dict(vars(args))
    if not uses_labels(args):
        for name in FLAGS:
            record.pop(name, None)
    return record


def gen_kwargs(args, folder):
    """The Generator keyword arguments for these flags (none when off)."""
    if args.cond == 'none':
        return {}
    return dict(n_classes=len(folder.class_names), cond=GEN_COND[args.cond],
                class_names=folder.class_names)


def dis_kwargs(args, folder):
    """The Discriminator keyword arguments for these flags (none when off)."""
    if args.semi_supervised:
        return dict(n_classes=len(folder.class_names), cond='semi')
    if args.cond == 'none':
        return {}
    return dict(n_classes=len(folder.class_names), cond=DIS_COND[args.cond])


def updater_kwargs(args, folder):
    """The DCGANUpdater keyword arguments for these flags (none when off)."""
    if not uses_labels(args):
        return {}
    kwargs = dict(cond_weight=args.cond_weight)
    if args.cond != 'none':
        n = len(folder.class_names)
        kwargs['label_probs'] = (class_frequencies(folder.labels, n)
                                 if args.label_sampling == 'data' else [1.0 / n] * n)
    if args.cond_warmup:
        kwargs['cond_warmup'] = args.cond_warmup
    return kwargs


def balance_labels(args, folder):
    """Labels to balance real batches by (--label-sampling uniform), or None."""
    if args.cond != 'none' and args.label_sampling == 'uniform':
        return folder.labels
    return None


def summary_line(args, folder):
    """'# Classes: ...' for the start-of-training summary, or None."""
    if not uses_labels(args):
        return None
    method = ('--semi-supervised (G unconditional)' if args.semi_supervised
              else '--cond {}'.format(args.cond))
    extra = ''
    if args.cond != 'none':
        extra += '; fake labels: {}'.format(
            'class frequencies' if args.label_sampling == 'data'
            else 'uniform, real batches class-balanced')
    if args.cond_warmup:
        extra += '; conditioning ramped in over iterations {}-{}'.format(*args.cond_warmup)
    if args.cond != 'none':
        shown = shown_classes(len(folder.class_names), args.preview_rows)
        if len(shown) < len(folder.class_names):
            extra += '; preview rows show {} of the {} classes: {}'.format(
                len(shown), len(folder.class_names),
                ', '.join(folder.class_names[k] for k in shown))
    return 'Classes ({}, from {}): {}; {}{}'.format(
        len(folder.class_names), folder.source, summary(folder), method, extra)
