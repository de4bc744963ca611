"""Report the sliced Wasserstein distance to the training images as ``swd``.

At its trigger the extension draws a fixed set of latent vectors (its own
seeded RNG: the training random stream is not touched), runs the generator
in test mode without backprop, and reports ``swd`` (x 1e3, lower is better,
see :mod:`dcgan.evaluation.swd`) so it shows in LogReport, PrintReport and plots.
"""
import chainer
import numpy
from chainer.training import extension

from dcgan.io import imaging
from dcgan.evaluation.swd import SWDReference


def generate_images(gen, n, seed=0, batchsize=64):
    """``n`` uint8 (N, C, H, W) samples of ``gen`` from fixed z (``seed``)."""
    rng = numpy.random.default_rng(seed)
    z = rng.uniform(-1, 1, (n, gen.n_hidden, 1, 1)).astype(numpy.float32)
    out = []
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for start in range(0, n, batchsize):
            x = gen(gen.device.send(z[start:start + batchsize]))
            out.append(imaging.to_uint8(x))
    return numpy.concatenate(out)


class SWDReport(extension.Extension):
    """Reports ``swd`` of ``gen``'s samples against ``images`` (uint8 NCHW).

    ``n_images`` generated images (and as many patches per level as the
    reference) from z seeded by ``seed``; the reference descriptors are
    computed once, on the first call.
    """

    name = 'swd'
    trigger = (1000, 'iteration')
    # Before LogReport (a reader) collects the iteration's observation.
    priority = extension.PRIORITY_WRITER

    def __init__(self, gen, images, n_images=256, seed=0, key='swd'):
        self.gen = gen
        self.images = images
        self.n_images = int(n_images)
        self.seed = int(seed)
        self.key = key
        self._reference = None

    @property
    def reference(self):
        if self._reference is None:
            self._reference = SWDReference(self.images, n_images=self.n_images,
                                           seed=self.seed)
        return self._reference

    def evaluate(self):
        """SWD x 1e3 of the generator now."""
        fake = generate_images(self.gen, self.n_images, seed=self.seed)
        return self.reference.distance(fake)

    def __call__(self, trainer=None):
        chainer.report({self.key: self.evaluate()})
