"""Held-out L1 / PSNR / SSIM of a pix2pix generator: ``val/l1``, ``val/psnr``, ``val/ssim``.

The held-out pairs are never trained on. The generator runs as
``dcgan.evaluation.paired.translate`` runs it (test mode of the run, its own
seeded dropout, batch-norm statistics put back), so training is untouched.
"""
import chainer
from chainer.training import extension

from dcgan.evaluation.paired import scores, translate


class PairedReport(extension.Extension):
    """Reports ``{prefix}/l1``, ``/psnr`` and ``/ssim`` on ``inputs`` -> ``targets``."""

    name = 'paired_report'
    trigger = (1000, 'iteration')
    priority = extension.PRIORITY_WRITER  # before LogReport collects the observation

    def __init__(self, gen, inputs, targets, test_mode='paper', seed=0, prefix='val', batchsize=1):
        self.gen, self.inputs, self.targets = gen, inputs, targets
        self.test_mode, self.seed, self.prefix = test_mode, seed, prefix
        self.batchsize = batchsize

    def evaluate(self):
        outputs = translate(self.gen, self.inputs, self.test_mode, self.seed, self.batchsize)
        return scores(outputs, self.targets)

    def __call__(self, trainer=None):
        chainer.report({'{}/{}'.format(self.prefix, k): v for k, v in self.evaluate().items()})
