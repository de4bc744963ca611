"""Triggers that also fire on the last iteration of training.

With the example's plain interval trigger a run of 2500 iterations and
snapshots every 1000 ends without saving its last 500 iterations.
"""


class IntervalOrEnd(object):
    """Fires every ``period`` iterations and once when training ends."""

    def __init__(self, period):
        self.period = int(period)

    def __call__(self, trainer):
        updater = trainer.updater
        if updater.iteration % self.period == 0:
            return True
        length = getattr(trainer.stop_trigger, 'get_training_length', None)
        if length is None:
            return False
        limit, unit = length()
        if unit == 'iteration':
            return updater.iteration >= limit
        return updater.is_new_epoch and updater.epoch_detail >= limit
