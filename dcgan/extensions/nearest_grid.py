"""Trainer extension writing ``nearest/nearest_iter_N.png`` (memorisation check).

Each row: a generated sample (fixed z from its own seeded RNG), then its
nearest training images (see :mod:`dcgan.evaluation.nearest`).
"""
import os

from chainer.training import extension

from dcgan.io import imaging
from dcgan.extensions.swd_report import generate_images
from dcgan.evaluation.nearest import nearest_grid


class NearestGrid(extension.Extension):

    name = 'nearest_grid'
    trigger = (1000, 'iteration')
    priority = extension.PRIORITY_READER

    def __init__(self, gen, images, n_samples=8, k=4, seed=0, folder='nearest',
                 scale=2):
        self.gen = gen
        self.images = images
        self.n_samples = int(n_samples)
        self.k = int(k)
        self.seed = int(seed)
        self.folder = folder
        self.scale = int(scale)

    def render(self):
        samples = generate_images(self.gen, self.n_samples, seed=self.seed + 7919)
        return imaging.upscale(nearest_grid(samples, self.images, self.k), self.scale)

    def __call__(self, trainer):
        path = os.path.join(trainer.out, self.folder,
                            'nearest_iter_{}.png'.format(trainer.updater.iteration))
        imaging.save_png(path, self.render())
