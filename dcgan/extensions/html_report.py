"""``report.html``: the run at a glance, kept current while it trains.

The page (:mod:`dcgan.io.run_report`) is built from the files the other
extensions wrote in the trainer's output folder, so it is written after them
(at the lowest priority) and shows what is on disk. It is written when
training starts, at each trigger and when training ends; until the end it
reloads itself every ``refresh_seconds``, and the last write, after the run
finished or stopped, does not, so a page left open does not keep reloading a
run that is over. Training is untouched: nothing here reads a model or a
random stream.
"""
import os
import warnings

from chainer import training

from dcgan.io import imaging, run_folder
from dcgan.io.report_html import RunStatus
from dcgan.io.run_report import run_page


def stop_iteration(trainer):
    """The iteration training stops at, from its stop trigger, or None."""
    length = getattr(trainer.stop_trigger, 'get_training_length', None)
    if length is None:
        return None
    limit, unit = length()
    if unit == 'iteration':
        return int(limit)
    updater = trainer.updater
    # Epochs: the iterations per epoch so far give the run's length.
    if updater.epoch_detail > 0 and updater.iteration > 0:
        return int(round(updater.iteration * limit / updater.epoch_detail))
    return None


class HTMLReport(training.Extension):
    """Write ``filename`` (``report.html``) in the trainer's output folder.

    Args:
        command (str): the command line shown under the settings, if any.
        stop_iteration (int): where training ends, for the time left
            (default: from the trainer's stop trigger).
        refresh_seconds (int): how often the page reloads while training.
    """

    trigger = (1, 'epoch')
    priority = -200  # after the previews, plots, GIFs and snapshots it links to

    def __init__(self, filename='report.html', command=None, stop_iteration=None,
                 refresh_seconds=30):
        self.filename = filename
        self.command = command
        self.stop_iteration = stop_iteration
        self.refresh_seconds = refresh_seconds
        self._trainer = None

    def initialize(self, trainer):
        self._trainer = trainer
        self.write(trainer)

    def __call__(self, trainer):
        self._trainer = trainer
        self.write(trainer)

    def finalize(self):
        if self._trainer is not None:
            self.write(self._trainer, final=True)

    def status(self, trainer, final=False):
        iteration = trainer.updater.iteration
        stop = self.stop_iteration or stop_iteration(trainer)
        try:
            elapsed = trainer.elapsed_time
        except RuntimeError:  # not started
            elapsed = None
        if not final:
            state = 'running'
        else:
            state = 'finished' if stop is not None and iteration >= stop else 'stopped'
        return RunStatus(iteration, stop, elapsed, state)

    def write(self, trainer, final=False):
        """Write the page; returns its path (None if the folder cannot be read)."""
        status = self.status(trainer, final)
        try:
            run = run_folder.read_run(trainer.out, upto=status.iteration)
        except run_folder.RunFolderError as e:
            # A hand-edited config.json must not stop training.
            warnings.warn('{} not written: {}'.format(self.filename, e))
            return None
        text = run_page(run, status, self.command,
                        None if final else self.refresh_seconds)
        return imaging.save_text(os.path.join(trainer.out, self.filename), text)
