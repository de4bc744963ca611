"""Held-out (and a few training) pairs as input | output | target rows:
``preview/pairs_iter_N.png``.

One row per pair, the held-out pairs first, then a gap, then training
pairs: a model that copies its training pairs but not the held-out ones
shows it here. One-channel images are drawn gray. The generator runs as
``dcgan.evaluation.paired.translate`` runs it (its own seeded dropout, batch
statistics put back), so the grid leaves training untouched and successive
grids differ only by what G learned.
"""
import os

import numpy
from chainer.training import extension

from dcgan.evaluation.paired import translate
from dcgan.io import imaging


def as_rgb(images):
    """uint8 (N, 1 or 3, H, W) -> (N, 3, H, W)."""
    return numpy.repeat(images, 3, axis=1) if images.shape[1] == 1 else images


def pair_rows(inputs, outputs, targets):
    """(3 N, 3, H, W) uint8: each pair's input, output and target in turn."""
    cells = [as_rgb(numpy.asarray(x)) for x in (inputs, imaging.to_uint8(outputs), targets)]
    return numpy.stack(cells, axis=1).reshape((-1,) + cells[0].shape[1:])


def pair_grid(gen, inputs, targets, test_mode='paper', seed=0, gap=2, batchsize=1):
    """(H, W, 3) uint8 picture of ``gen`` on uint8 ``inputs`` beside ``targets``."""
    outputs = translate(gen, inputs, test_mode, seed, batchsize)
    return imaging.tile(pair_rows(inputs, outputs, targets), len(inputs), 3, gap=gap,
                        gap_value=255)


class PairGrid(extension.Extension):
    """Writes ``preview/pairs_iter_N.png``: ``held`` pairs, then ``train`` pairs.

    ``held`` and ``train`` are (inputs, targets) uint8 arrays at the training
    size (centre crops); ``train`` may be None.
    """

    trigger = (1000, 'iteration')
    priority = extension.PRIORITY_WRITER

    def __init__(self, gen, held, train=None, test_mode='paper', seed=0, subdir='preview',
                 filename='pairs_iter_{}.png', batchsize=1):
        self.gen, self.held, self.train = gen, held, train
        self.test_mode, self.seed, self.batchsize = test_mode, seed, batchsize
        self.subdir, self.filename = subdir, filename

    def render(self):
        parts = [self._grid(*self.held)]
        if self.train is not None and len(self.train[0]):
            below = self._grid(*self.train)
            gap = numpy.full((8, parts[0].shape[1], 3), 255, numpy.uint8)
            parts += [gap, below]
        return numpy.concatenate(parts, axis=0)

    def _grid(self, inputs, targets):
        return pair_grid(self.gen, inputs, targets, self.test_mode, self.seed,
                         batchsize=self.batchsize)

    def path_for(self, out, iteration):
        return os.path.join(out, self.subdir, self.filename.format(iteration))

    def __call__(self, trainer):
        imaging.save_png(self.path_for(trainer.out, trainer.updater.iteration), self.render())
