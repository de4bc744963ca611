"""Stop training the moment a loss or a weight stops being a finite number.

A GAN that diverges produces NaN losses and then NaN weights, and every
snapshot written afterwards is useless (and, with "keep the last N"
policies, may push out the good ones). The guard runs first among the
extensions of an iteration and raises :class:`TrainingDiverged` before any
snapshot, preview or log of that iteration is written, so the files from
earlier iterations are left exactly as they were.
"""
import math

import chainer
from chainer.training import extension


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite loss or weight; the message says where."""

    def __init__(self, message, iteration=None, culprit=None):
        super(TrainingDiverged, self).__init__(message)
        self.iteration = iteration
        self.culprit = culprit


def _as_float(value):
    value = getattr(value, 'array', value)
    if hasattr(value, 'item') and getattr(value, 'size', 1) == 1:
        return float(chainer.backend.CpuDevice().send(value).item())
    return float(value)


def _nonfinite_param(model):
    """Name of the first parameter of ``model`` holding a NaN/inf, or None."""
    for name, param in model.namedparams():
        if param.array is None:
            continue
        xp = chainer.backend.get_array_module(param.array)
        if not bool(xp.isfinite(param.array).all()):
            return name
    return None


class NaNGuard(extension.Extension):
    """Raise :class:`TrainingDiverged` when training stops being finite.

    Args:
        models: dict ``{name: chain}`` whose parameters are checked after
            every update (a weight can turn NaN while the loss just
            reported was still finite).
        keys: observation keys to check; None checks every reported key
            whose name contains 'loss'.
    """

    name = 'nan_guard'
    trigger = (1, 'iteration')
    # Before everything else, writers included.
    priority = extension.PRIORITY_WRITER + 100

    def __init__(self, models=None, keys=None):
        self.models = dict(models or {})
        self.keys = keys

    def __call__(self, trainer):
        self.check(trainer.observation, trainer.updater.iteration)

    def check(self, observation, iteration):
        keys = self.keys
        if keys is None:
            keys = sorted(k for k in observation if 'loss' in k)
        for key in keys:
            if key not in observation:
                continue
            value = _as_float(observation[key])
            if not math.isfinite(value):
                raise TrainingDiverged(
                    'training diverged at iteration {}: {} is {}; stopped before '
                    'writing anything for this iteration, so earlier snapshots are '
                    'untouched (try a lower learning rate, --spectral-norm or '
                    '--r1-gamma)'.format(iteration, key, value), iteration, key)
        for model_name, model in sorted(self.models.items()):
            param = _nonfinite_param(model)
            if param is not None:
                raise TrainingDiverged(
                    'training diverged at iteration {}: weight {}{} is not '
                    'finite; stopped before writing anything for this iteration, so '
                    'earlier snapshots are untouched'.format(
                        iteration, model_name, param),
                    iteration, model_name + param)
