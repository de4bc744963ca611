"""Trainer snapshots that keep only the newest few on disk.

Chainer's example keeps every ``snapshot_iter_N.npz``. Each holds both nets'
weights and Adam state (about 200 MB at 96 px with ch 512), so the sushi
article's 25,000 iterations at the example's interval leave about 5 GB, of
which only the newest is needed to resume. ``TrainerSnapshot`` writes the
same file in the same format, then deletes the oldest ones beyond ``keep``.

Deleting comes strictly after the new file is complete: Chainer's writer
saves into a temporary folder and renames the finished file into place, so
a write that is interrupted leaves the earlier snapshots whole.
"""
import os
import re
import warnings

from chainer.training import extension, extensions

FILENAME = 'snapshot_iter_{.updater.iteration}.npz'
PATTERN = re.compile(r'^snapshot_iter_(\d+)\.npz$')
DEFAULT_KEEP = 3


def snapshot_files(folder):
    """[(iteration, path)] of the trainer snapshots in ``folder``, oldest
    first (by the iteration in the name, not by modification time)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        m = PATTERN.match(name)
        if m and os.path.isfile(os.path.join(folder, name)):
            found.append((int(m.group(1)), os.path.join(folder, name)))
    return sorted(found)


def stale_snapshots(folder, iteration, keep):
    """Paths to delete once ``snapshot_iter_{iteration}`` is written: the
    snapshots up to ``iteration`` beyond the newest ``keep``. Snapshots of a
    later iteration (a run resumed from an earlier file) are left alone."""
    upto = [path for it, path in snapshot_files(folder) if it <= iteration]
    return upto[:-keep] if keep and len(upto) > keep else []


class TrainerSnapshot(extension.Extension):
    """``extensions.snapshot`` of the whole trainer, keeping the newest ``keep``.

    Args:
        keep (int or None): how many ``snapshot_iter_N.npz`` files to keep
            in ``trainer.out``; ``None`` or 0 keeps every one, as Chainer's
            example does.
    """

    priority = -100  # Chainer's snapshot priority: after every other extension

    def __init__(self, keep=DEFAULT_KEEP):
        if keep is not None and keep < 0:
            raise ValueError('keep must be None, 0 (keep all) or a positive number, '
                             'got {}'.format(keep))
        self.keep = keep or None
        self._write = extensions.snapshot(filename=FILENAME)

    def initialize(self, trainer):
        self._write.initialize(trainer)

    def __call__(self, trainer):
        self._write(trainer)
        if self.keep:
            for path in stale_snapshots(trainer.out, trainer.updater.iteration, self.keep):
                try:
                    os.remove(path)
                except OSError as e:
                    # Disk use is a convenience; a file we cannot delete must
                    # not stop training.
                    warnings.warn('could not delete the old snapshot {}: {}'.format(path, e))

    def finalize(self):
        self._write.finalize()
