"""dcgan-train: argument parsing and wiring only; the work is in dcgan/.

``run`` reads top to bottom: flags, device, data, models, updater, trainer,
extensions, summary, resume, train.
"""
import os
import sys
import warnings

import numpy
from chainer import training

from dcgan import data
from dcgan.cli import resume as resuming
from dcgan.cli import cond_options, distributed_options, stabiliser_options
from dcgan.cli.devices import get_device
from dcgan.cli.errors import UsageError
from dcgan.cli.train_args import parse_arguments
from dcgan.cli.train_extensions import (add_ema, add_gifs, add_guards, add_html_report,
                                        add_preview, add_quality_checks, add_reports,
                                        add_snapshots)
from dcgan.data import demo
from dcgan.io import model_files
from dcgan.models import ArchitectureError, Discriminator, Generator
from dcgan.ops.malloc import reuse_freed_memory
from dcgan.training import DCGANUpdater, distributed, make_iterator, optimizers
from dcgan.training.triggers import IntervalOrEnd


def use_device(spec):
    """The Chainer device for --device/--gpu, made current."""
    device = get_device(spec)
    device.use()
    if device.xp is numpy:
        # Keep freed im2col/activation buffers for reuse instead of page
        # faulting fresh ones every step (see dcgan/ops/malloc.py).
        reuse_freed_memory()
    return device


def load_training_images(args):
    """The training set as a data.ImageFolder (a data.LabelledFolder when
    labels are used); warnings name skipped files and thin classes."""
    labelled = cond_options.uses_labels(args)
    try:
        if not args.dataset:
            return _demo_folder(args, labelled)
        background = data.parse_background(args.background)
        options = dict(resolution=args.resolution, channels=args.channels,
                       background=background, fit=args.fit, cache_dir=args.cache or None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always', data.SkippedImageWarning)
            warnings.simplefilter('always', data.LabelWarning)
            if labelled:
                folder = data.load_labelled_folder(
                    args.dataset, label_file=args.labels,
                    allow_unlabelled=args.semi_supervised, **options)
            else:
                folder = data.load_image_folder(args.dataset, **options)
    except data.DatasetError as e:
        raise UsageError(str(e))
    for w in caught:
        print('warning: {}'.format(w.message), file=sys.stderr)
    if not labelled and data.looks_labelled(args.dataset):
        names = data.labels.class_folders(args.dataset)
        print('Note: {} has {} class sub-folders ({}); they are used as one unlabelled '
              'set: pass --cond proj to train on their labels'.format(
                  args.dataset, len(names), ', '.join(names[:5]) + (
                      ', ...' if len(names) > 5 else '')))
    return folder


def _demo_folder(args, labelled):
    resolution = args.resolution or 32
    if not labelled:
        return demo.demo_image_folder(resolution=resolution, channels=args.channels,
                                      n=args.demo_images, seed=0)
    by = args.demo_labels or 'shape'
    images, labels, names = demo.make_demo_labelled(
        n=args.demo_images, resolution=resolution, channels=args.channels, seed=0, by=by)
    return data.LabelledFolder(
        images=images, labels=labels, class_names=names,
        paths=['{}/{:04d}'.format(demo.DEMO_PATH_PREFIX, i) for i in range(len(images))],
        skipped=[], resolution=resolution, channels=args.channels,
        source='the built-in demo {}s'.format(by))


def build_models(args, folder, device):
    """Generator and Discriminator sized from the images, on ``device``."""
    try:
        gen = Generator(n_hidden=args.n_hidden, resolution=folder.resolution, ch=args.ch,
                        out_channels=folder.channels, n_stages=args.n_stages,
                        init_seed=args.seed, **stabiliser_options.gen_kwargs(args),
                        **cond_options.gen_kwargs(args, folder))
        dis = Discriminator(resolution=folder.resolution, ch=args.ch,
                            in_channels=folder.channels, n_stages=args.n_stages,
                            noise_sigma=args.dis_noise, init_seed=args.seed + 1,
                            **stabiliser_options.dis_kwargs(args),
                            **cond_options.dis_kwargs(args, folder))
    except ArchitectureError as e:
        raise UsageError('--resolution/--n_stages/--ch: {}'.format(e))
    gen.to_device(device)
    dis.to_device(device)
    return gen, dis


def make_optimizer(model, alpha, beta1, weight_decay):
    # Chainer's Adam + WeightDecay hook, computed in one threaded pass.
    optimizer = optimizers.Adam(alpha=alpha, beta1=beta1, weight_decay=weight_decay)
    optimizer.setup(model)
    return optimizer


def stop_iteration(args, n_images, processes=1):
    """The iteration training stops at (--iteration, or where --epoch ends;
    each iteration takes --batchsize images on each of ``processes``)."""
    if args.iteration:
        return args.iteration
    return -(-args.epoch * n_images // (args.batchsize * processes))


def build_trainer(args, updater, gen, dis, comm):
    """The Trainer over --iteration or --epoch in --out (created on rank 0),
    with every rank's RankState under a communicator. Returns (trainer,
    length, snapshot trigger, display trigger)."""
    length = (args.iteration, 'iteration') if args.iteration else (args.epoch, 'epoch')
    if distributed_options.is_root(comm):
        os.makedirs(args.out, exist_ok=True)
    trainer = training.Trainer(updater, length, out=args.out)
    snapshot_trigger = IntervalOrEnd(args.snapshot_interval)
    display_trigger = (args.display_interval, 'iteration')
    if comm is not None:  # every rank: averaged reports, per-rank state in snapshots
        trainer.extend(distributed.RankState(comm, updater, (gen, dis), snapshot_trigger,
                                             args.sync_bn))
    return trainer, length, snapshot_trigger, display_trigger


def build_updater(args, gen, dis, folder, device, last_iteration, comm=None):
    """The DCGANUpdater over a seeded shuffle of ``folder``'s images (with
    their labels when used); schedules (the instance noise) end at
    ``last_iteration``. With ``comm``, one of its data-parallel ranks."""
    images = folder.images
    processes = distributed_options.processes(comm)
    if len(images) < args.batchsize * processes:
        raise UsageError('--batchsize {}{} is larger than the {} training images; use '
                         '--batchsize {} or fewer'.format(
                             args.batchsize, ' x {} processes'.format(processes)
                             if processes > 1 else '', len(images), len(images) // processes))
    if cond_options.uses_labels(args):
        dataset, converter = data.LabelledArrayDataset(images, folder.labels), \
            data.to_labelled_batch
    else:
        dataset, converter = data.ImageArrayDataset(images), data.to_float_batch
    iterator = make_iterator(dataset, args.batchsize * processes, seed=args.seed,
                             balance_labels=cond_options.balance_labels(args, folder))
    updater = DCGANUpdater(
        models=(gen, dis), iterator=iterator, device=device,
        optimizer={'gen': make_optimizer(gen, args.lr_gen, args.beta1_gen, args.weight_decay),
                   'dis': make_optimizer(dis, args.lr_dis, args.beta1_dis, args.weight_decay)},
        converter=converter, loss=args.loss, n_dis=args.n_dis,
        dis_every=args.dis_every, update_order=args.update_order, flip=args.flip,
        seed=args.seed, **stabiliser_options.updater_kwargs(args, last_iteration),
        **cond_options.updater_kwargs(args, folder))
    if comm is not None:
        distributed.parallelize(updater, comm, args.random_streams, args.sync_bn)
    return updater


def count_parameters(chain):
    return sum(p.size for p in chain.params())


def describe_snapshots(args):
    kept = ('the newest {} snapshot_iter_N.npz kept (--keep-snapshots)'.format(
        args.keep_snapshots) if args.keep_snapshots else 'every snapshot_iter_N.npz kept')
    return 'Snapshots: every {} iterations and at the end; {}; gen_iter_N.npz and ' \
           'dis_iter_N.npz all kept'.format(args.snapshot_interval, kept)


def print_summary(device, args, folder, gen, dis, length, comm=None):
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
    print('# Training: {} {}s; loss {}; output in {}'.format(length[0], length[1], args.loss,
                                                          args.out))
    print('# ' + describe_snapshots(args))
    print('# ' + stabiliser_options.summary_line(args))
    classes = cond_options.summary_line(args, folder)
    if classes:
        print('# ' + classes)
    processes = distributed_options.summary_line(args, comm)
    if processes:
        print('# ' + processes)
    print('')
    sys.stdout.flush()


def write_config(out, gen, dis, args, folder, comm=None):
    record = {'images': len(folder.images), 'skipped': len(folder.skipped),
              'resolution': folder.resolution, 'channels': folder.channels}
    if cond_options.uses_labels(args):
        record.update(classes=list(folder.class_names),
                      class_counts=[int(c) for c in folder.counts],
                      unlabelled=folder.n_unlabelled, labels_from=folder.source)
    model_files.save_config(
        os.path.join(out, 'config.json'), gen, dis,
        args=distributed_options.recorded(cond_options.recorded_args(args), comm), data=record)


def warn_changed_settings(folder, args):
    changed = resuming.changed_training_settings(folder, args)
    if changed:
        print('Note: continuing with other training settings than {} records: {}; give the '
              'earlier values to continue the run unchanged'.format(
                  os.path.join(folder, 'config.json'),
                  ', '.join('{} {} -> {}'.format(k, a, b) for k, a, b in changed)))


def resume(trainer, args, gen, dis, comm=None):
    """Continue from --resume, else (unless --no-auto-resume) from the newest
    readable snapshot in --out. Returns the file, or None for a fresh start.
    With ``comm``, rank 0 chooses and reads it and every rank loads it."""
    path = None
    if distributed_options.is_root(comm):
        processes = distributed_options.processes(comm)
        if args.resume:
            resuming.load_snapshot(args.resume, trainer, processes)
            path = args.resume
        elif args.auto_resume and resuming.newest_snapshot(args.out):
            resuming.check_same_run(args.out, gen.config(), dis.config())
            path = resuming.load_newest_snapshot(args.out, trainer, processes)
        if path:
            print('Resuming from {} (iteration {}); --no-auto-resume starts over'.format(
                path, trainer.updater.iteration))
            warn_changed_settings(os.path.dirname(path) or '.', args)
    if comm is not None:
        distributed_options.load_on_other_ranks(comm, path, trainer)
    return path


def train(trainer, args):
    try:
        trainer.run(show_loop_exception_msg=False)
    except KeyboardInterrupt:
        last = resuming.newest_snapshot(args.out)
        print('\nInterrupted at iteration {}. Run the same command again to continue{}.'
              .format(trainer.updater.iteration, ' from ' + last if last else ''),
              file=sys.stderr)
        return 130
    return 0


def run(argv=None):
    args = parse_arguments(argv)
    comm = distributed_options.make_communicator(args)  # None: one process, no MPI
    root = distributed_options.is_root(comm)  # prints and writes the files
    device = use_device(distributed_options.device_spec(args, comm))
    folder = distributed.share(comm, lambda: load_training_images(args))
    if args.resolution is None:
        args.resolution = folder.resolution  # recorded in config.json
    gen, dis = build_models(args, folder, device)
    # One run length for every schedule (instance noise, --lr-decay), so
    # --epoch runs decay like --iteration runs.
    last_iteration = stop_iteration(args, len(folder.images),
                                    distributed_options.processes(comm))
    updater = build_updater(args, gen, dis, folder, device, last_iteration, comm)

    trainer, length, snapshot_trigger, display_trigger = build_trainer(
        args, updater, gen, dis, comm)
    add_guards(trainer, args, gen, dis, updater, last_iteration)
    sample_gen = add_ema(trainer, args, gen, snapshot_trigger, save=root)
    if root:  # the files, from rank 0 alone
        report_keys = add_quality_checks(trainer, args, sample_gen, folder.images,
                                         snapshot_trigger, display_trigger,
                                         labels=getattr(folder, 'labels', None))
        add_gifs(trainer, args, sample_gen, device, snapshot_trigger)
        add_snapshots(trainer, args, gen, dis, snapshot_trigger)
        add_reports(trainer, args, report_keys, display_trigger)
        add_preview(trainer, args, sample_gen, snapshot_trigger)
        add_html_report(trainer, args, last_iteration, snapshot_trigger)
        print_summary(device, args, folder, gen, dis, length, comm)
    resume(trainer, args, gen, dis, comm)
    if root:
        write_config(args.out, gen, dis, args, folder, comm)
    return train(trainer, args)


def main(argv=None):
    return distributed_options.run_training(run, argv)


if __name__ == '__main__':
    sys.exit(main())
