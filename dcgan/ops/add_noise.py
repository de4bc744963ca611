"""x + Gaussian noise, the noise drawn and added piece by piece.

The discriminator of Chainer's example adds N(0, sigma^2) noise to the
input of every layer. ``TrainingRandom.add_normal`` adds each piece of
noise while it is still in the cache; this node puts that in the graph.
The gradient is the identity.
"""
from chainer import function_node

from dcgan.ops import _common


class AddNoise(function_node.FunctionNode):

    def __init__(self, rng, sigma):
        self.rng = rng
        self.sigma = sigma

    def forward(self, inputs):
        x, = inputs
        _common.check_numpy(x)
        return self.rng.add_normal(x, self.sigma),

    def backward(self, indexes, grad_outputs):
        return grad_outputs


def add_noise(x, rng, sigma):
    """``x + sigma * N(0, 1)`` with noise from ``rng`` (a TrainingRandom),
    the same numbers as ``x + rng.normal_like(x, sigma)``."""
    y, = AddNoise(rng, sigma).apply((x,))
    return y
