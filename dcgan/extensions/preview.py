"""Sample grids from fixed noise: ``preview/imageNNNNNNNN.png``.

The names and the 10x10 layout are those of Chainer's example, and for the
same ``--seed`` the noise is the example's too (NumPy's legacy RandomState),
but the training RNG is never reseeded: the noise is drawn once, up front,
from a private generator.
"""
import os

import chainer
import numpy
from chainer.training import extension

from dcgan.io import imaging
from dcgan.models import conditional


def fixed_noise(n, n_hidden, seed):
    """The example's preview noise for ``seed``: uniform(-1, 1), float32."""
    rs = numpy.random.RandomState(seed)
    return rs.uniform(-1, 1, (n, n_hidden, 1, 1)).astype(numpy.float32)


def generate(gen, z, batchsize=50, labels=None):
    """Run ``gen`` on host array ``z`` in test mode; uint8 (N, C, H, W).

    ``labels`` (host class ids or (N, K) class weights, one per z) are
    required by a conditional generator; None there draws the classes in
    turn (:func:`dcgan.models.conditional.cycled_labels`)."""
    if getattr(gen, 'n_classes', 0) and labels is None:
        labels = conditional.cycled_labels(len(z), gen.n_classes)
    chunks = []
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(0, len(z), batchsize):
            z_i = gen.device.send(z[i:i + batchsize])
            if labels is None:
                x = gen(z_i)
            else:
                x = gen(z_i, gen.device.send(labels[i:i + batchsize]))
            chunks.append(imaging.to_uint8(x))
    return numpy.concatenate(chunks)


class PreviewGrid(extension.Extension):
    """Writes a rows x cols grid of ``gen``'s samples from fixed noise.

    A conditional generator gets one row per class (at most ``rows``;
    :attr:`classes` says which) with the same z down each column, so a
    column shows one z drawn as every class.
    """

    trigger = (1000, 'iteration')
    priority = extension.PRIORITY_WRITER

    def __init__(self, gen, rows=10, cols=10, seed=0, subdir='preview',
                 filename='image{:0>8}.png'):
        self.gen = gen
        self.rows, self.cols = rows, cols
        self.subdir, self.filename = subdir, filename
        self.classes = self.labels = None
        if getattr(gen, 'n_classes', 0):
            self.classes = conditional.shown_classes(gen.n_classes, rows)
            self.rows = len(self.classes)
            self.z = numpy.tile(fixed_noise(cols, gen.n_hidden, seed), (self.rows, 1, 1, 1))
            self.labels = numpy.repeat(self.classes, cols).astype(numpy.int32)
        else:
            self.z = fixed_noise(rows * cols, gen.n_hidden, seed)

    def render(self):
        """The current grid as an (H, W, C) uint8 image."""
        return imaging.tile(generate(self.gen, self.z, labels=self.labels),
                            self.rows, self.cols)

    def path_for(self, out, iteration):
        return os.path.join(out, self.subdir, self.filename.format(iteration))

    def __call__(self, trainer):
        imaging.save_png(self.path_for(trainer.out, trainer.updater.iteration),
                         self.render())
