"""dcgan-train: argument parsing and wiring only; the work is in dcgan/."""
import importlib
import json
import os
import sys
import types
import warnings

import numpy
from chainer import training
from chainer.training import extensions

from dcgan import data
from dcgan.data import demo
from dcgan.io import imaging
from dcgan.training import optimizers
from dcgan.cli import console
from dcgan.cli import resume as resuming
from dcgan.cli.devices import get_device
from dcgan.cli.errors import UsageError, fail
from dcgan.cli.train_args import build_parser, check_arguments
from dcgan.extensions.metric_plot import MetricPlot
from dcgan.extensions.nan_guard import TrainingDiverged
from dcgan.extensions.preview import PreviewGrid
from dcgan.training.iterators import make_iterator
from dcgan.ops.malloc import reuse_freed_memory
from dcgan.models.nets import ArchitectureError, Discriminator, Generator
from dcgan.training.triggers import IntervalOrEnd
from dcgan.training.updater import DCGANUpdater

# Option modules add their own flags and extensions (see their docstrings);
# a module not present yet is skipped, so features land independently.
OPTION_MODULE_NAMES = ('dcgan.cli.stabiliser_options', 'dcgan.cli.gif_options')


def option_modules():
    found = []
    for name in OPTION_MODULE_NAMES:
        try:
            found.append(importlib.import_module(name))
        except ImportError as e:
            if e.name != name:
                raise
    return found


def load_training_images(args):
    """The training set as a data.ImageFolder; warnings name skipped files."""
    if not args.dataset:
        return demo.demo_image_folder(
            resolution=args.resolution or 32, channels=args.channels,
            n=args.demo_images, seed=0)
    background = data.parse_background(args.background)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', data.SkippedImageWarning)
        folder = data.load_image_folder(
            args.dataset, resolution=args.resolution, channels=args.channels,
            background=background, fit=args.fit, cache_dir=args.cache or None)
    for w in caught:
        print('warning: {}'.format(w.message), file=sys.stderr)
    return folder


def make_optimizer(model, alpha, beta1, weight_decay):
    # Chainer's Adam + WeightDecay hook, computed in one threaded pass.
    optimizer = optimizers.Adam(alpha=alpha, beta1=beta1, weight_decay=weight_decay)
    optimizer.setup(model)
    return optimizer


def count_parameters(chain):
    return sum(p.size for p in chain.params())


def write_config(out, gen, dis, args, folder):
    config = {'gen': gen.config(), 'dis': dis.config(), 'args': vars(args),
              'data': {'images': len(folder.images), 'skipped': len(folder.skipped),
                       'resolution': folder.resolution, 'channels': folder.channels}}
    text = json.dumps(config, indent=2, sort_keys=True, default=str)

    def write(tmp):
        with open(tmp, 'w') as f:
            f.write(text + '\n')
    imaging.atomic_write(os.path.join(out, 'config.json'), write)


def print_summary(device, args, folder, gen, dis, stop, modules):
    source = args.dataset or 'built-in demo data ({} images)'.format(len(folder.images))
    print('Device: {}'.format(device))
    print('# Data: {}: {} images used, {} skipped'.format(
        source, len(folder.images), len(folder.skipped)))
    print('# Resolution: {0}x{0}, {1} channel(s); bottom_width {2}, {3} stride-2 stages'.format(
        folder.resolution, folder.channels, gen.bottom_width, gen.n_stages))
    print('# Parameters: generator {:,}, discriminator {:,}'.format(
        count_parameters(gen), count_parameters(dis)))
    print('# Minibatch-size: {}'.format(args.batchsize))
    print('# n_hidden: {}'.format(args.n_hidden))
    print('# Training: {} {}s; loss {}; output in {}'.format(stop[0], stop[1], args.loss, args.out))
    for module in modules:
        if hasattr(module, 'summary_lines'):
            for line in module.summary_lines(args):
                print('# ' + line)
    print('')
    sys.stdout.flush()


def build(args, modules):
    device = get_device(args.device)
    device.use()
    if device.xp is numpy:
        # Keep freed im2col/activation buffers for reuse instead of page
        # faulting fresh ones every step (see dcgan/ops/malloc.py).
        reuse_freed_memory()
    try:
        folder = load_training_images(args)
    except data.DatasetError as e:
        raise UsageError(str(e))
    if args.resolution is None:
        args.resolution = folder.resolution
    gen_kwargs = dict(n_hidden=args.n_hidden, resolution=folder.resolution, ch=args.ch,
                      out_channels=folder.channels, n_stages=args.n_stages,
                      init_seed=args.seed)
    dis_kwargs = dict(resolution=folder.resolution, ch=args.ch, in_channels=folder.channels,
                      n_stages=args.n_stages, noise_sigma=args.dis_noise,
                      init_seed=args.seed + 1)
    for module in modules:
        if hasattr(module, 'model_kwargs'):
            module.model_kwargs(args, gen_kwargs, dis_kwargs)
    try:
        gen, dis = Generator(**gen_kwargs), Discriminator(**dis_kwargs)
    except ArchitectureError as e:
        raise UsageError('--resolution/--n_stages/--ch: {}'.format(e))
    if len(folder.images) < args.batchsize:
        raise UsageError('--batchsize {} is larger than the {} training images; use '
                         '--batchsize {} or fewer'.format(
                             args.batchsize, len(folder.images), len(folder.images)))
    gen.to_device(device)
    dis.to_device(device)
    iterator = make_iterator(data.ImageArrayDataset(folder.images), args.batchsize,
                             seed=args.seed)
    updater_kwargs = dict(
        models=(gen, dis), iterator=iterator, device=device,
        optimizer={'gen': make_optimizer(gen, args.lr_gen, args.beta1_gen, args.weight_decay),
                   'dis': make_optimizer(dis, args.lr_dis, args.beta1_dis, args.weight_decay)},
        converter=data.to_float_batch, loss=args.loss, n_dis=args.n_dis,
        dis_every=args.dis_every, update_order=args.update_order, flip=args.flip,
        seed=args.seed)
    # One run length for every schedule (instance noise, --lr-decay), so
    # --epoch runs decay like --iteration runs.
    stop = stop_iteration(args, len(folder.images))
    for module in modules:
        if hasattr(module, 'updater_kwargs'):
            module.updater_kwargs(args, updater_kwargs, stop)
    return device, folder, gen, dis, DCGANUpdater(**updater_kwargs), stop


def extend(trainer, args, ctx, modules):
    for module in modules:
        if hasattr(module, 'extend_trainer'):
            module.extend_trainer(trainer, args, ctx)
    snap = ctx.snapshot_trigger
    trainer.extend(extensions.snapshot(filename='snapshot_iter_{.updater.iteration}.npz'),
                   trigger=snap)
    trainer.extend(extensions.snapshot_object(ctx.gen, 'gen_iter_{.updater.iteration}.npz'),
                   trigger=snap)
    trainer.extend(extensions.snapshot_object(ctx.dis, 'dis_iter_{.updater.iteration}.npz'),
                   trigger=snap)
    trainer.extend(extensions.LogReport(trigger=ctx.display_trigger))
    keys = ['epoch', 'iteration', 'gen/loss', 'dis/loss', 'dis/real', 'dis/fake']
    keys += getattr(ctx, 'extra_report_keys', [])
    # A progress bar only on a terminal; in a log file it would be noise.
    progress_bar = args.progress_bar and console.is_terminal()
    out = sys.stdout if progress_bar else console.PlainText(sys.stdout)
    trainer.extend(extensions.PrintReport(keys + ['elapsed_time'], out=out),
                   trigger=ctx.display_trigger)
    trainer.extend(MetricPlot(['gen/loss', 'dis/loss'], 'loss.png'), trigger=ctx.display_trigger)
    trainer.extend(MetricPlot(['dis/real', 'dis/fake'], 'dis_output.png'),
                   trigger=ctx.display_trigger)
    if progress_bar:
        trainer.extend(extensions.ProgressBar(update_interval=10))
    trainer.extend(PreviewGrid(ctx.sample_gen, args.preview_rows, args.preview_cols, args.seed),
                   trigger=snap)


def warn_changed_settings(folder, args):
    changed = resuming.changed_training_settings(folder, args)
    if changed:
        print('Note: continuing with other training settings than {} records: {}; give the '
              'earlier values to continue the run unchanged'.format(
                  os.path.join(folder, 'config.json'),
                  ', '.join('{} {} -> {}'.format(k, a, b) for k, a, b in changed)))


def stop_iteration(args, n_images):
    """The iteration training stops at (--iteration, or where --epoch ends)."""
    if args.iteration:
        return args.iteration
    return -(-args.epoch * n_images // args.batchsize)


def run(argv=None):
    modules = option_modules()
    parser = build_parser(modules)
    args = parser.parse_args(argv)
    check_arguments(args, parser, modules)
    device, folder, gen, dis, updater, last_iteration = build(args, modules)
    stop = (args.iteration, 'iteration') if args.iteration else (args.epoch, 'epoch')
    os.makedirs(args.out, exist_ok=True)
    resume_from = args.resume
    if not resume_from and args.auto_resume:
        resume_from = resuming.newest_snapshot(args.out) or ''
        if resume_from:
            resuming.check_same_run(args.out, gen.config(), dis.config())
    trainer = training.Trainer(updater, stop, out=args.out)
    ctx = types.SimpleNamespace(
        gen=gen, dis=dis, updater=updater, device=device, out=args.out,
        images=folder.images, resolution=folder.resolution, channels=folder.channels,
        seed=args.seed, sample_gen=gen, extra_report_keys=[],
        stop_iteration=last_iteration,
        snapshot_trigger=IntervalOrEnd(args.snapshot_interval),
        display_trigger=(args.display_interval, 'iteration'))
    extend(trainer, args, ctx, modules)
    print_summary(device, args, folder, gen, dis, stop, modules)
    if resume_from:
        resuming.load_snapshot(resume_from, trainer)
        print('Resuming from {} (iteration {}); --no-auto-resume starts over'.format(
            resume_from, updater.iteration))
        warn_changed_settings(os.path.dirname(resume_from) or '.', args)
    write_config(args.out, gen, dis, args, folder)
    try:
        trainer.run(show_loop_exception_msg=False)
    except KeyboardInterrupt:
        last = resuming.newest_snapshot(args.out)
        print('\nInterrupted at iteration {}. Run the same command again to continue{}.'
              .format(updater.iteration, ' from ' + last if last else ''), file=sys.stderr)
        return 130
    return 0


def main(argv=None):
    try:
        return run(argv)
    except (UsageError, TrainingDiverged) as e:
        # TrainingDiverged: the NaN guard's sentence (the iteration and what
        # went non-finite); earlier snapshots are untouched.
        fail(str(e))


if __name__ == '__main__':
    sys.exit(main())
