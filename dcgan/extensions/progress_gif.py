"""A GIF of the preview grids over training: watching the generator learn.

The frames are the preview images a preview extension writes from fixed
noise (this project's, or Chainer's example's ``preview/image{:0>8}.png``),
so the animation shows exactly what the run showed, and nothing is rendered
twice. The files on disk are the state: a resumed run picks up the earlier
frames by itself, and only previews up to the current iteration are used
(a folder reused after resuming from an earlier snapshot may hold previews
from the abandoned future). Decoded frames are cached in memory.
"""
import glob
import os

import numpy
from chainer import training

from dcgan.io import imaging
from dcgan.io.run_folder import evenly_spaced, preview_iteration


class ProgressGif(training.Extension):
    """Assemble the preview images into ``filename`` (``progress.gif``).

    Rewrites the GIF at each trigger from every preview written so far, and
    once more when training ends (``finalize``), so the last preview is in
    it. ``pattern`` is a glob under the trainer's output folder.
    ``max_frames`` keeps long runs' GIFs small by spacing frames evenly;
    ``max_side`` shrinks large grids. Previews that cannot be decoded (or
    differ in size from the first) are skipped.
    """

    trigger = (1, 'epoch')
    # After the preview writers of the same trigger.
    priority = training.PRIORITY_READER - 50

    def __init__(self, pattern='preview/image*.png', filename='progress.gif',
                 duration_ms=200, loop=0, max_frames=200, max_side=1024):
        self.pattern = pattern
        self.filename = filename
        self.duration_ms = duration_ms
        self.loop = loop
        self.max_frames = max_frames
        self.max_side = max_side
        self.written = None  # the previews in the GIF last written
        self._cache = {}
        self._trainer = None

    def initialize(self, trainer):
        self._trainer = trainer

    def __call__(self, trainer):
        self._trainer = trainer
        self.write(trainer.out, trainer.updater.iteration)

    def finalize(self):
        if self._trainer is not None:
            self.write(self._trainer.out, self._trainer.updater.iteration)

    def previews(self, out, iteration):
        """Preview files to use, oldest first, up to ``iteration``."""
        found = []
        for path in glob.glob(os.path.join(out, self.pattern)):
            it = preview_iteration(path)
            if it is not None and it <= iteration:
                found.append((it, path))
        found.sort()
        return evenly_spaced([p for _, p in found], self.max_frames)

    def write(self, out, iteration):
        """Write the GIF if the previews changed; returns its path or None."""
        paths = self.previews(out, iteration)
        frames, used = [], []
        for path in paths:
            frame = self._frame(path)
            if frame is None or (frames and frame.shape != frames[0].shape):
                continue
            frames.append(frame)
            used.append(path)
        key = [(p, self._cache[p][0]) for p in used]
        if not frames or key == self.written:
            return None
        target = os.path.join(out, self.filename)
        imaging.save_gif(target, frames, self.duration_ms, self.loop)
        self.written = key
        return target

    def _frame(self, path):
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        from PIL import Image
        try:
            with Image.open(path) as im:
                im = im.convert('RGB')
                if self.max_side and max(im.size) > self.max_side:
                    im.thumbnail((self.max_side, self.max_side), Image.Resampling.BOX)
                frame = numpy.asarray(im, dtype=numpy.uint8)
        except (OSError, ValueError):
            return None
        self._cache[path] = (stamp, frame)
        return frame
