"""The models: DCGAN nets sized from the resolution, and their pieces.

``nets`` holds the Chainer example's Generator and Discriminator (the same
parameter names and shapes), ``layers`` sends each layer to the fast CPU
kernels in ``dcgan.ops`` or to Chainer's functions, ``dis_options`` the
optional discriminator pieces, and ``latent`` points and paths in the
generator's input space. A new model family gets a module of its own here.
"""
from dcgan.models.nets import ArchitectureError, Discriminator, Generator

__all__ = ['ArchitectureError', 'Discriminator', 'Generator']
