"""Latent walks as GIFs: rendering z in batches, and a trainer extension.

:func:`render` runs the generator over many z in batches (one call per
batch, not per frame), in test mode and without building a graph.
:func:`walk_frames` lays the images of each frame out as a grid.
:class:`LatentWalkGif` writes a walk through fixed keypoints at a trigger, so
successive GIFs show the same walk getting better.
"""
import os
import shutil

import numpy
from chainer import training

from dcgan.io import imaging
from dcgan.models import latent
from dcgan.extensions import preview


def render(gen, z, batch_size=64, labels=None):
    """Images for z (N, n_hidden): uint8 numpy (N, C, H, W).

    Runs with ``train=False`` (batch norm uses its running averages, which
    stay untouched) and with backprop off, ``batch_size`` z per call.
    ``labels``: one class id (or (K,) weights row) per z, for a conditional
    generator (see :func:`dcgan.extensions.preview.generate`).
    """
    return preview.generate(gen, latent.as_generator_input(z), max(1, int(batch_size)),
                            labels)


def tile_labels(gen, n_frames, tiles, classes=None):
    """Class ids of a conditional walk's images in frame-major order: tile
    ``i`` walks within ``classes[i % len(classes)]`` (all classes in turn by
    default); None for an unconditional generator."""
    if not getattr(gen, 'n_classes', 0):
        return None
    classes = list(range(gen.n_classes)) if classes is None else list(classes)
    per_tile = numpy.array([classes[i % len(classes)] for i in range(tiles)], numpy.int32)
    return numpy.tile(per_tile, n_frames)


def walk_frames(images, rows=1, cols=1, scale=1, gap=0):
    """Images in frame-major order (frames * rows * cols, C, H, W) -> list of
    (H', W', C) frames, each a rows x cols grid, upscaled by ``scale``."""
    per_frame = rows * cols
    if len(images) % per_frame:
        raise ValueError('{} images do not split into frames of {}x{}'.format(
            len(images), rows, cols))
    frames = []
    for start in range(0, len(images), per_frame):
        grid = imaging.tile(images[start:start + per_frame], rows, cols, gap=gap)
        frames.append(imaging.upscale(grid, scale))
    return frames


def auto_scale(side, min_side=128):
    """The smallest whole upscaling that makes ``side`` px at least
    ``min_side`` px: small images get big enough to see, grids stay as
    they are."""
    return max(1, -(-int(min_side) // int(side)))


def walk_z(keypoints, frames_per_segment, method='slerp', closed=True):
    """z of every image of a (grid) walk in frame-major order, and the
    number of frames. ``keypoints``: (K, D) or (walks, K, D)."""
    keypoints = numpy.asarray(keypoints, dtype=numpy.float32)
    if keypoints.ndim == 2:
        keypoints = keypoints[None]
    paths = latent.grid_walk_paths(keypoints, frames_per_segment, method, closed)
    return paths.reshape(-1, paths.shape[-1]), len(paths)


class LatentWalkGif(training.Extension):
    """Write a GIF of a walk through fixed latent keypoints.

    At each trigger it writes ``filename`` (formatted with ``iteration``)
    under the trainer's output folder, and copies it to ``latest``. The
    keypoints come from ``seed`` alone (its own RNG), so every GIF of a run,
    and of a resumed run, walks the same path. ``grid=(rows, cols)`` shows
    that many independent walks side by side. With ``at_end`` the final
    weights get a walk too when training ends between triggers.

    Nothing about training changes: the generator runs in test mode without
    backprop, and no training RNG is touched.
    """

    trigger = (1, 'epoch')
    priority = training.PRIORITY_READER

    def __init__(self, gen, n_keypoints=4, frames_per_segment=12, grid=(1, 1),
                 method='slerp', seed=0, keypoints=None,
                 filename='walk/walk_iter_{iteration}.gif', latest='walk.gif',
                 batch_size=64, scale=None, gap=2, duration_ms=80, loop=0,
                 at_end=True):
        self.gen = gen
        self.rows, self.cols = (int(v) for v in grid)
        if keypoints is None:
            # A seed sequence of its own, so the keypoints are not the first
            # z the training run draws from the same seed.
            keypoints = latent.sample_keypoints(
                self.rows * self.cols, n_keypoints, gen.n_hidden,
                seed=[int(seed or 0), 0x77616c6b])
        self.keypoints = latent.as_keypoints(keypoints, gen.n_hidden)
        if self.keypoints.ndim == 2:
            self.keypoints = self.keypoints[None]
        if len(self.keypoints) != self.rows * self.cols:
            raise latent.LatentError('{} walks do not fill a {}x{} grid'.format(
                len(self.keypoints), self.rows, self.cols))
        latent.interpolate(0, 0, 0, method)  # fail now on an unknown name
        self.frames_per_segment = int(frames_per_segment)
        self.method = method
        self.filename = filename
        self.latest = latest
        self.batch_size = batch_size
        side = min(self.rows, self.cols) * gen.resolution
        self.scale = auto_scale(side) if scale is None else int(scale)
        self.gap = gap
        self.duration_ms = duration_ms
        self.loop = loop
        self.at_end = at_end
        self.last_iteration = None
        self.last_path = None
        self._trainer = None

    def initialize(self, trainer):
        self._trainer = trainer

    def frames(self):
        """The walk's frames for the generator's current weights (a
        conditional generator's tiles walk within the classes in turn)."""
        z, n_frames = walk_z(self.keypoints, self.frames_per_segment, self.method)
        labels = tile_labels(self.gen, n_frames, self.rows * self.cols)
        images = render(self.gen, z, self.batch_size, labels)
        return walk_frames(images, self.rows, self.cols, self.scale, self.gap)

    def __call__(self, trainer):
        self._trainer = trainer
        iteration = trainer.updater.iteration
        path = os.path.join(trainer.out, self.filename.format(iteration=iteration))
        imaging.save_gif(path, self.frames(), self.duration_ms, self.loop)
        if self.latest:
            latest = os.path.join(trainer.out, self.latest)
            imaging.atomic_write(latest, lambda tmp: shutil.copyfile(path, tmp))
        self.last_iteration = iteration
        self.last_path = path

    def finalize(self):
        # Only when training reached its end: after an error or Ctrl-C the
        # user wants control back, not another render.
        trainer = self._trainer
        if (self.at_end and trainer is not None and training_finished(trainer)
                and trainer.updater.iteration != self.last_iteration):
            self(trainer)


def training_finished(trainer):
    """Whether the trainer's stop trigger's length has been reached."""
    length = getattr(trainer.stop_trigger, 'get_training_length', None)
    if length is None:
        return False
    limit, unit = length()
    updater = trainer.updater
    if unit == 'iteration':
        return updater.iteration >= limit
    return updater.epoch_detail >= limit
