"""Report the sliced Wasserstein distance to the training images as ``swd``.

At its trigger the extension draws a fixed set of latent vectors (its own
seeded RNG: the training random stream is not touched), runs the generator
in test mode without backprop, and reports ``swd`` (x 1e3, lower is better,
see :mod:`dcgan.evaluation.swd`) so it shows in LogReport, PrintReport and
plots, and ``checker``, the same samples' checkerboard energy over the real
images' in dB (:mod:`dcgan.evaluation.checkerboard`).
"""
import chainer
import numpy
from chainer.training import extension

from dcgan.evaluation.checkerboard import CheckerboardReference
from dcgan.evaluation.swd import SWDReference
from dcgan.extensions import preview


def generate_images(gen, n, seed=0, batchsize=64, labels=None):
    """``n`` uint8 (N, C, H, W) samples of ``gen`` from fixed z (``seed``);
    a conditional ``gen`` draws ``labels`` (host class ids), or every class
    in turn when None."""
    rng = numpy.random.default_rng(seed)
    z = rng.uniform(-1, 1, (n, gen.n_hidden, 1, 1)).astype(numpy.float32)
    return preview.generate(gen, z, batchsize, labels)


class SWDReport(extension.Extension):
    """Reports ``swd`` of ``gen``'s samples against ``images`` (uint8 NCHW).

    ``n_images`` generated images (and as many patches per level as the
    reference) from z seeded by ``seed``; the reference descriptors are
    computed once, on the first call. For a conditional generator,
    ``labels`` are the training images' classes: the samples' classes are
    drawn from them (seeded), so both sides hold the classes alike.
    """

    name = 'swd'
    trigger = (1000, 'iteration')
    # Before LogReport (a reader) collects the iteration's observation.
    priority = extension.PRIORITY_WRITER

    def __init__(self, gen, images, n_images=256, seed=0, key='swd', labels=None,
                 checker_key='checker'):
        self.gen = gen
        # The checkerboard number (dcgan.evaluation.checkerboard) of the same
        # samples, where the side allows it; None: not reported.
        sides_fit = images.shape[2] % 4 == 0 and images.shape[3] % 4 == 0
        self.checker_key = checker_key if sides_fit else None
        self._checker = None
        self.labels = None
        if getattr(gen, 'n_classes', 0) and labels is not None:
            self.labels = numpy.random.default_rng([int(seed), 1]).choice(
                numpy.asarray(labels, dtype=numpy.int32), int(n_images))
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

    def samples(self):
        return generate_images(self.gen, self.n_images, seed=self.seed, labels=self.labels)

    def evaluate(self, fake=None):
        """SWD x 1e3 of the generator now (or of the samples ``fake``)."""
        return self.reference.distance(self.samples() if fake is None else fake)

    def __call__(self, trainer=None):
        fake = self.samples()
        observation = {self.key: self.evaluate(fake)}
        if self.checker_key:
            if self._checker is None:
                self._checker = CheckerboardReference(self.images)
            observation[self.checker_key] = self._checker.db(fake)
        chainer.report(observation)
