"""dcgan-train's Trainer extensions, one function per group of flags.

dcgan/cli/train.py calls these in this file's order. Extensions run by
priority (a guard before the writers, snapshots last), and in the order
they were added among equals, so keep the order when adding one.
"""
import sys

import numpy
from chainer.training import extensions

from dcgan.cli import console
from dcgan.cli.train_command import command_line
from dcgan.cli.walk import CPU_BATCH, GPU_BATCH
from dcgan.extensions.ema import GeneratorEMA, snapshot_ema
from dcgan.extensions.html_report import HTMLReport
from dcgan.extensions.lr_decay import LearningRateDecay
from dcgan.extensions.metric_plot import MetricPlot
from dcgan.extensions.nan_guard import NaNGuard
from dcgan.extensions.morph_gif import ClassMorphGif
from dcgan.extensions.nearest_grid import NearestGrid
from dcgan.extensions.preview import PreviewGrid
from dcgan.extensions.progress_gif import ProgressGif
from dcgan.extensions.snapshot import TrainerSnapshot
from dcgan.extensions.swd_report import SWDReport
from dcgan.extensions.walk_gif import LatentWalkGif
from dcgan.training.triggers import IntervalOrEnd

# What the printed report shows every --display_interval iterations.
REPORT_KEYS = ['epoch', 'iteration', 'gen/loss', 'dis/loss', 'dis/real', 'dis/fake']


def add_guards(trainer, args, gen, dis, updater, stop_iteration):
    """The NaN guard (on unless --no-nan-guard) and --lr-decay."""
    if args.nan_guard:
        trainer.extend(NaNGuard({'gen': gen, 'dis': dis}))
    if args.lr_decay:
        trainer.extend(LearningRateDecay(updater.get_all_optimizers(), stop_iteration,
                                         args.lr_decay))


def add_ema(trainer, args, gen, snapshot_trigger, save=True, stat_inputs=None):
    """--ema: an averaged generator, saved as gen_ema_iter_N.npz (unless not
    ``save``: on the ranks that write nothing; ``stat_inputs``: see
    GeneratorEMA, for a generator without z). Returns the generator
    previews, GIFs and checks sample from (the EMA's, or ``gen``)."""
    if not args.ema:
        return gen
    ema = GeneratorEMA(gen, decay=args.ema, warmup=args.ema_warmup, stat_inputs=stat_inputs)
    trainer.extend(ema)
    if save:
        trainer.extend(snapshot_ema(ema), trigger=snapshot_trigger, name='snapshot_gen_ema')
    if args.nan_guard:
        trainer.get_extension('nan_guard').models['gen_ema'] = ema.ema
    return ema.ema


def _check_trigger(interval, snapshot_trigger):
    # Unset: at every snapshot; 0: off.
    if interval is None:
        return snapshot_trigger
    return (interval, 'iteration') if interval else None


def add_quality_checks(trainer, args, sample_gen, images, snapshot_trigger, display_trigger,
                       labels=None):
    """swd (logged and plotted in swd.png) and nearest/nearest_iter_N.png.
    ``labels``: the images' classes, which a conditional generator's SWD
    samples follow. Returns the report keys they add."""
    keys = []
    trigger = _check_trigger(args.swd_interval, snapshot_trigger)
    if trigger is not None:
        trainer.extend(SWDReport(sample_gen, images, n_images=args.swd_samples, seed=0,
                                 labels=labels), trigger=trigger)
        trainer.extend(MetricPlot(['swd'], 'swd.png'), trigger=display_trigger,
                       name='swd_plot')
        keys.append('swd')
        if images.shape[2] % 4 == 0 and images.shape[3] % 4 == 0:
            trainer.extend(MetricPlot(['checker'], 'checker.png'), trigger=display_trigger,
                           name='checker_plot')
            keys.append('checker')
    trigger = _check_trigger(args.nearest_interval, snapshot_trigger)
    if trigger is not None:
        trainer.extend(NearestGrid(sample_gen, images, seed=args.seed, folder='nearest'),
                       trigger=trigger)
    return keys


def add_gifs(trainer, args, sample_gen, device, snapshot_trigger):
    """walk/walk_iter_N.gif + walk.gif and progress.gif (both on by default);
    for a conditional generator also morph/morph_iter_N.gif + morph.gif."""
    if args.walk_gif:
        trigger = IntervalOrEnd(args.walk_interval) if args.walk_interval else snapshot_trigger
        on_cpu = device is None or device.xp is numpy
        batch_size = CPU_BATCH if on_cpu else GPU_BATCH
        trainer.extend(LatentWalkGif(
            sample_gen, n_keypoints=args.walk_keypoints,
            frames_per_segment=args.walk_frames, grid=args.walk_grid,
            method=args.walk_interp, seed=args.seed,
            batch_size=batch_size, duration_ms=args.walk_duration), trigger=trigger)
        if sample_gen.n_classes:
            trainer.extend(ClassMorphGif(
                sample_gen, frames_per_segment=args.walk_frames, grid=args.walk_grid,
                seed=args.seed, batch_size=batch_size, duration_ms=args.walk_duration),
                trigger=trigger)
    if args.progress_gif:
        # Rebuilt whenever the preview grids are written (at snapshots).
        trainer.extend(ProgressGif(duration_ms=args.progress_duration,
                                   max_frames=args.progress_max_frames),
                       trigger=snapshot_trigger)


def add_snapshots(trainer, args, gen, dis, snapshot_trigger):
    """The example's files: snapshot_iter_N.npz (the newest --keep-snapshots
    of them), gen_iter_N.npz and dis_iter_N.npz (all)."""
    trainer.extend(TrainerSnapshot(keep=args.keep_snapshots), trigger=snapshot_trigger)
    trainer.extend(extensions.snapshot_object(gen, 'gen_iter_{.updater.iteration}.npz'),
                   trigger=snapshot_trigger)
    trainer.extend(extensions.snapshot_object(dis, 'dis_iter_{.updater.iteration}.npz'),
                   trigger=snapshot_trigger)


def add_reports(trainer, args, extra_keys, display_trigger):
    """log, the printed report, loss.png, dis_output.png (augment.png with
    --ada/--aug-p) and the progress bar."""
    trainer.extend(extensions.LogReport(trigger=display_trigger))
    # A progress bar only on a terminal; in a log file it would be noise.
    progress_bar = args.progress_bar and console.is_terminal()
    out = sys.stdout if progress_bar else console.PlainText(sys.stdout)
    adaptive = ['dis/aug_p', 'dis/rt'] if (args.ada or args.aug_p) else []
    trainer.extend(extensions.PrintReport(REPORT_KEYS + adaptive + extra_keys + ['elapsed_time'],
                                          out=out), trigger=display_trigger)
    if adaptive:
        trainer.extend(MetricPlot(adaptive, 'augment.png'), trigger=display_trigger,
                       name='augment_plot')
    trainer.extend(MetricPlot(['gen/loss', 'dis/loss'], 'loss.png'), trigger=display_trigger)
    trainer.extend(MetricPlot(['dis/real', 'dis/fake'], 'dis_output.png'),
                   trigger=display_trigger)
    if progress_bar:
        trainer.extend(extensions.ProgressBar(update_interval=10))


def add_preview(trainer, args, sample_gen, snapshot_trigger):
    """preview/imageNNNNNNNN.png, the example's grid from fixed noise."""
    trainer.extend(PreviewGrid(sample_gen, args.preview_rows, args.preview_cols, args.seed),
                   trigger=snapshot_trigger)


def add_html_report(trainer, args, stop_iteration, snapshot_trigger):
    """report.html (unless --no-report), after the files it shows."""
    if args.report:
        trainer.extend(HTMLReport(command=command_line(vars(args)),
                                  stop_iteration=stop_iteration), trigger=snapshot_trigger)
