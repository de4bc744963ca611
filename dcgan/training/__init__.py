"""The training stage: iterator, updater, losses, stabilisers, optimizers.

The iterator feeds uint8 batches from ``dcgan.data`` to the ``DCGANUpdater``,
which turns them into float32 on the device and takes the D and G steps;
every random draw comes from one serializable ``TrainingRandom`` so a
resumed run continues exactly. A new model family adds its updater here.
"""
from dcgan.training.iterators import make_iterator
from dcgan.training.updater import DCGANUpdater

__all__ = ['DCGANUpdater', 'make_iterator']
