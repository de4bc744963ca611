"""dcgan-pix2pix: paired image-to-image translation; argument parsing and wiring only.

``run`` reads top to bottom: flags, device, pairs, held-out split, models,
updater, trainer, extensions, summary, resume, config, train.
"""
import os
import sys
import warnings

from chainer.training import extensions

from dcgan import data
from dcgan.cli import console, distributed_options
from dcgan.cli.errors import UsageError
from dcgan.cli.pix2pix_args import parse_arguments
from dcgan.cli.train import (build_trainer, count_parameters, describe_snapshots, resume,
                             stop_iteration, train, use_device)
from dcgan.cli import train_extensions
from dcgan.cli.train_extensions import add_guards, add_snapshots
from dcgan.data import demo, pairs
from dcgan.extensions.metric_plot import MetricPlot
from dcgan.extensions.pair_grid import PairGrid
from dcgan.extensions.paired_report import PairedReport
from dcgan.io import model_files, unet_files
from dcgan.models import ArchitectureError
from dcgan.models.patchgan import PatchDiscriminator
from dcgan.models.unet import UNetGenerator
from dcgan.training import distributed, optimizers
from dcgan.training.iterators import make_iterator
from dcgan.training.pix2pix_updater import Pix2PixUpdater

REPORT_KEYS = ['epoch', 'iteration', 'gen/l1', 'gen/adv', 'dis/loss', 'dis/real', 'dis/fake',
               'val/l1', 'val/psnr', 'val/ssim']
DEMO_SOURCE = 'line art made from the built-in demo images'


def load_pairs(args):
    """The paired set (a data.pairs.PairedSet); warnings name skipped and unmatched files."""
    if not args.dataset:
        images = demo.make_demo_images(n=args.demo_images, resolution=args.load_size,
                                       channels=args.channels, seed=0)
        names = ['{}/{:04d}'.format(demo.DEMO_PATH_PREFIX, i) for i in range(len(images))]
        return pairs.derive_pairs(images, args.make_input, names, source=DEMO_SOURCE)
    background = data.parse_background(args.background)
    common = dict(load_size=args.load_size, channels=args.channels, background=background,
                  fit=args.fit, cache_dir=args.cache or None)
    input_channels = args.input_channels or args.channels
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            if args.make_input:
                found = pairs.load_derived(args.dataset, args.make_input, **common)
            elif pairs.looks_like_matched_folders(args.dataset):
                found = pairs.load_matched_folders(args.dataset, input_channels=input_channels,
                                                   **common)
            else:
                found = pairs.load_side_by_side(args.dataset, direction=args.direction,
                                                input_channels=input_channels, **common)
    except data.DatasetError as e:
        raise UsageError(str(e))
    for w in caught:
        if issubclass(w.category, (data.SkippedImageWarning, pairs.UnmatchedPairWarning)):
            print('warning: {}'.format(w.message), file=sys.stderr)
    return found


def split_pairs(args, found, processes=1):
    """(training pairs, held-out pairs), held out by --seed."""
    n = len(found.names)
    n_holdout = args.holdout if args.holdout is not None else min(16, n // 5)
    try:
        train_index, held_index = pairs.holdout_split(n, n_holdout, args.seed)
    except data.DatasetError as e:
        raise UsageError('--holdout: {}'.format(e))
    if len(train_index) < args.batchsize * processes:
        raise UsageError('--batchsize {}{} is larger than the {} training pairs; use --batchsize '
                         '{} or fewer'.format(args.batchsize, ' x {} processes'.format(processes)
                                              if processes > 1 else '', len(train_index),
                                              len(train_index) // processes))
    return found.subset(train_index), found.subset(held_index)


def build_models(args, found, device):
    size = (args.resolution, args.resolution)
    a_channels, b_channels = found.inputs.shape[1], found.targets.shape[1]
    try:
        gen = UNetGenerator(a_channels, b_channels, size, ngf=args.ngf, n_down=args.n_down,
                            norm=args.norm, dropout=args.dropout, init_seed=args.seed)
        dis = PatchDiscriminator(a_channels + b_channels, ndf=args.ndf, patch=args.patch,
                                 norm=args.norm, resolution=size, init_seed=args.seed + 1)
    except ArchitectureError as e:
        raise UsageError('--resolution/--n_down/--patch: {}'.format(e))
    gen.to_device(device)
    dis.to_device(device)
    return gen, dis


def make_optimizer(model, alpha, beta1, beta2, weight_decay):
    optimizer = optimizers.Adam(alpha=alpha, beta1=beta1, beta2=beta2,
                                weight_decay=weight_decay)
    optimizer.setup(model)
    return optimizer


def build_updater(args, gen, dis, train_pairs, device, comm=None):
    dataset = pairs.PairedArrayDataset(train_pairs.inputs, train_pairs.targets)
    iterator = make_iterator(dataset, args.batchsize * distributed_options.processes(comm),
                             seed=args.seed)
    updater = Pix2PixUpdater(
        models=(gen, dis), iterator=iterator, device=device,
        optimizer={'gen': make_optimizer(gen, args.lr_gen, args.beta1_gen, args.beta2_gen,
                                         args.weight_decay),
                   'dis': make_optimizer(dis, args.lr_dis, args.beta1_dis, args.beta2_dis,
                                         args.weight_decay)},
        loss=args.loss, lambda_l1=args.lambda_l1, lambda_gan=args.lambda_gan,
        n_dis=args.n_dis, dis_every=args.dis_every, crop=args.resolution, flip=args.flip,
        augment=args.augment or None, seed=args.seed)
    if comm is not None:  # one of comm.size data-parallel ranks (docs/distributed.md)
        distributed.parallelize(updater, comm, args.random_streams, args.sync_bn)
    return updater


def shown_pairs(found, n, size):
    return (pairs.centre_crop(found.inputs[:n], size), pairs.centre_crop(found.targets[:n], size))


def add_ema(trainer, args, gen, train_pairs, snapshot_trigger, save=True):
    """--ema: the averaged U-Net (statistics from centre crops of training inputs)."""
    if not args.ema:
        return gen
    size = (args.resolution, args.resolution)
    inputs = shown_pairs(train_pairs, 64, size)[0]

    def stat_inputs(k):
        return data.to_float_batch(inputs[(k * 16) % len(inputs):][:16])
    return train_extensions.add_ema(trainer, args, gen, snapshot_trigger, save, stat_inputs)


def add_previews(trainer, args, sample_gen, train_pairs, held_pairs, snapshot_trigger,
                 display_trigger):
    """preview/pairs_iter_N.png and val/l1, val/psnr, val/ssim (logged, val.png)."""
    size = (args.resolution, args.resolution)
    held = shown_pairs(held_pairs, len(held_pairs.names), size)
    if not len(held[0]):
        return
    trainer.extend(PairedReport(sample_gen, held[0], held[1], args.test_mode, args.seed,
                                batchsize=args.batchsize), trigger=snapshot_trigger)
    shown = (held[0][:args.preview_held], held[1][:args.preview_held])
    trainer.extend(PairGrid(sample_gen, shown, shown_pairs(train_pairs, args.preview_train, size),
                            args.test_mode, args.seed, batchsize=args.batchsize),
                   trigger=snapshot_trigger)
    trainer.extend(MetricPlot(['val/l1'], 'val_l1.png'), trigger=display_trigger,
                   name='val_l1_plot')
    trainer.extend(MetricPlot(['val/psnr'], 'val_psnr.png'), trigger=display_trigger,
                   name='val_psnr_plot')
    trainer.extend(MetricPlot(['val/ssim'], 'val_ssim.png'), trigger=display_trigger,
                   name='val_ssim_plot')


def add_reports(trainer, args, display_trigger):
    """log, the printed report, loss.png, l1.png, dis_output.png and the progress bar."""
    trainer.extend(extensions.LogReport(trigger=display_trigger))
    progress_bar = args.progress_bar and console.is_terminal()
    out = sys.stdout if progress_bar else console.PlainText(sys.stdout)
    trainer.extend(extensions.PrintReport(REPORT_KEYS + ['elapsed_time'], out=out),
                   trigger=display_trigger)
    trainer.extend(MetricPlot(['gen/adv', 'dis/loss'], 'loss.png'), trigger=display_trigger)
    trainer.extend(MetricPlot(['gen/l1', 'val/l1'], 'l1.png'), trigger=display_trigger,
                   name='l1_plot')
    trainer.extend(MetricPlot(['dis/real', 'dis/fake'], 'dis_output.png'),
                   trigger=display_trigger, name='dis_output_plot')
    if progress_bar:
        trainer.extend(extensions.ProgressBar(update_interval=10))


def print_summary(device, args, found, train_pairs, held_pairs, gen, dis, length, comm=None):
    print('Device: {}'.format(device))
    print('# Data: {}: {}; {} pairs ({} held out by --seed {}), {} skipped, {} unmatched'.format(
        args.dataset or 'demo', found.source, len(found.names), len(held_pairs.names), args.seed,
        len(found.skipped), len(found.unmatched)))
    print('# Pairs: {} -> {} channel(s); loaded at {} px, random {} px crops{}'.format(
        found.inputs.shape[1], found.targets.shape[1], args.load_size, args.resolution,
        ', flipped' if args.flip else ''))
    print('# U-Net: {} stride-2 layers ({}x{} px bottleneck), ngf {}, norm {}, dropout {:g}; '
          '{:,} parameters'.format(gen.n_down, args.resolution // 2 ** gen.n_down,
                                   args.resolution // 2 ** gen.n_down, args.ngf, args.norm,
                                   args.dropout, count_parameters(gen)))
    print('# PatchGAN: {} px patches, ndf {}; {:,} parameters'.format(
        args.patch, args.ndf, count_parameters(dis)))
    print('# Loss: {:g} x {} cGAN + {:g} x L1; D every {} iteration(s), {} step(s); '
          'minibatch {}'.format(args.lambda_gan, args.loss, args.lambda_l1, args.dis_every,
                                args.n_dis, args.batchsize))
    print('# Training: {} {}s; output in {}'.format(length[0], length[1], args.out))
    print('# ' + describe_snapshots(args))
    processes = distributed_options.summary_line(args, comm)
    if processes:
        print('# ' + processes)
    print('')
    sys.stdout.flush()


def write_config(args, gen, dis, found, held_pairs, comm=None):
    record = {'pairs': len(found.names), 'source': found.source,
              'skipped': len(found.skipped), 'unmatched': found.unmatched,
              'make_input': found.make_input, 'load_size': args.load_size,
              'heldout': held_pairs.names}
    model_files.save_config(os.path.join(args.out, 'config.json'), gen, dis,
                            model=unet_files.MODEL,
                            args=distributed_options.recorded(vars(args), comm), data=record)


def run(argv=None):
    args = parse_arguments(argv)
    comm = distributed_options.make_communicator(args)  # None: one process, no MPI
    root = distributed_options.is_root(comm)  # prints and writes the files
    processes = distributed_options.processes(comm)
    device = use_device(distributed_options.device_spec(args, comm))
    found = distributed.share(comm, lambda: load_pairs(args))
    train_pairs, held_pairs = split_pairs(args, found, processes)
    gen, dis = build_models(args, found, device)
    updater = build_updater(args, gen, dis, train_pairs, device, comm)

    last_iteration = stop_iteration(args, len(train_pairs.names), processes)
    trainer, length, snapshot_trigger, display_trigger = build_trainer(
        args, updater, gen, dis, comm)
    add_guards(trainer, args, gen, dis, updater, last_iteration)
    sample_gen = add_ema(trainer, args, gen, train_pairs, snapshot_trigger, save=root)
    if root:  # the files, from rank 0 alone
        add_previews(trainer, args, sample_gen, train_pairs, held_pairs, snapshot_trigger,
                     display_trigger)
        add_snapshots(trainer, args, gen, dis, snapshot_trigger)
        add_reports(trainer, args, display_trigger)
        print_summary(device, args, found, train_pairs, held_pairs, gen, dis, length, comm)
    resume(trainer, args, gen, dis, comm)
    if root:
        write_config(args, gen, dis, found, held_pairs, comm)
    return train(trainer, args)


def main(argv=None):
    return distributed_options.run_training(run, argv)


if __name__ == '__main__':
    sys.exit(main())
