"""Linear decay of the learning rates to zero at the end of training.

On a small dataset GAN training does not settle: the generator keeps
circling, and the quality of the final weights depends on where in that
circle the run happens to stop (on 250 images SWD swings by 50-100 between
checkpoints 500 iterations apart). Shrinking both Adam step sizes to zero
over the last part of the run is meant to damp the circling so the run
ends settled rather than at a random point of it. On the demo data it made
runs more alike but not better (README, "Small datasets").

The factor for the update that produces iteration ``i`` (1-based) is
``min(1, (end - i + 1) / (fraction * end))``: 1 until the last
``fraction`` of the run, then a straight line down to ``1 / (fraction *
end)`` at the last update. It is computed from the iteration alone, so a
resumed run continues the same schedule without saved state.
"""
from chainer.training import extension


def decay_factor(iteration, end_iteration, fraction):
    """Learning-rate factor of the update that produces ``iteration``."""
    if fraction <= 0:
        return 1.0
    span = fraction * end_iteration
    return max(0.0, min(1.0, (end_iteration - iteration + 1) / span))


class LearningRateDecay(extension.Extension):
    """Sets ``alpha`` of each optimizer to ``base * decay_factor`` before
    every update (runs after update ``t``, setting the rate of ``t + 1``).

    ``optimizers``: {name: optimizer}; the base rates are their ``alpha``
    when the extension is made.
    """

    name = 'lr_decay'
    trigger = (1, 'iteration')
    priority = extension.PRIORITY_WRITER

    def __init__(self, optimizers, end_iteration, fraction):
        if not 0.0 < fraction <= 1.0:
            raise ValueError('learning-rate decay fraction must be in (0, 1], got {}'
                             .format(fraction))
        if end_iteration < 1:
            raise ValueError('end iteration must be positive, got {}'.format(end_iteration))
        self.optimizers = dict(optimizers)
        self.base = {name: opt.alpha for name, opt in self.optimizers.items()}
        self.end_iteration = int(end_iteration)
        self.fraction = float(fraction)

    def set_rates(self, next_iteration):
        factor = decay_factor(next_iteration, self.end_iteration, self.fraction)
        for name, opt in self.optimizers.items():
            opt.alpha = self.base[name] * factor

    def initialize(self, trainer):
        # Also right after a resume: the schedule depends on the iteration only.
        self.set_rates(trainer.updater.iteration + 1)

    def __call__(self, trainer):
        self.set_rates(trainer.updater.iteration + 1)
