"""Finding and loading the snapshot a run continues from."""
import json
import os
import pickle
import sys
import zipfile
import zlib

import chainer
import numpy

from dcgan.cli.errors import UsageError
from dcgan.extensions.snapshot import snapshot_files
from dcgan.training.distributed import PROCESSES_KEY

# Arguments that shape the optimisation but not the networks: a snapshot
# continues under new values, which a user should hear about (a resume that
# forgot --small-data silently drops the EMA generator).
TRAINING_ARGS = ('batchsize', 'seed', 'flip', 'loss', 'n_dis', 'dis_every', 'lr_gen', 'lr_dis',
                 'beta1_gen', 'beta1_dis', 'weight_decay', 'update_order', 'augment', 'ema',
                 'ema_warmup', 'r1_gamma', 'r1_interval', 'label_smoothing', 'instance_noise',
                 'instance_noise_iterations', 'feature_matching', 'lr_decay', 'joint_batch',
                 'ada', 'aug_p', 'aug_ops', 'ada_target', 'ada_interval', 'ada_kimg')

# Network settings a config.json leaves out when they have their default
# value (a run made before --upsample existed, or with the example's).
NET_DEFAULTS = {'gen': {'upsample': 'deconv'}, 'dis': {}}


def newest_snapshot(out):
    """The snapshot with the highest iteration in ``out``, or None."""
    found = snapshot_files(out)
    return found[-1][1] if found else None


def _recorded_config(folder):
    """The config.json a run wrote in ``folder``, or {} if none is readable."""
    try:
        with open(os.path.join(folder, 'config.json')) as f:
            recorded = json.load(f)
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def changed_training_settings(folder, args):
    """[(name, recorded, now)] for each of TRAINING_ARGS whose value in
    ``args`` differs from the one ``folder/config.json`` records."""
    recorded = _recorded_config(folder).get('args', {})
    now = vars(args)
    changed = []
    for name in TRAINING_ARGS:
        if name in recorded and name in now:
            # Compare as config.json stores it (tuples become lists, ...).
            value = json.loads(json.dumps(now[name], default=str))
            if value != recorded[name]:
                changed.append((name, recorded[name], value))
    return changed


def check_same_run(out, gen_config, dis_config):
    """UsageError when ``out/config.json`` records other networks, naming
    every setting that differs, G's and D's."""
    recorded = _recorded_config(out)
    diffs = []
    for name, now in (('gen', gen_config), ('dis', dis_config)):
        before = recorded.get(name, {})
        if before:
            before = dict(NET_DEFAULTS[name], **before)
            now = dict(NET_DEFAULTS[name], **now)
        diffs += ['{} {}={} now {}'.format(name, k, before[k], now[k])
                  for k in sorted(now) if k in before and before[k] != now[k]]
    if diffs:
        raise UsageError(
            '{} holds a run with other network settings ({}); give the flags it was trained '
            'with (its config.json records them), choose another --out, or pass '
            '--no-auto-resume to start over there'.format(out, ', '.join(diffs)))


class UnreadableSnapshot(UsageError):
    """A snapshot file that cannot be read at all (truncated, not a zip)."""


def recorded_processes(path):
    """How many processes wrote the trainer snapshot ``path`` (1: no mpiexec)."""
    with zipfile.ZipFile(path) as f:  # BadZipFile for a truncated file, as load_npz
        name = PROCESSES_KEY + '.npy'
        if name not in f.namelist():
            return 1
        with f.open(name) as entry:
            return int(numpy.load(entry))


def load_snapshot(path, trainer, processes=1):
    """Load a trainer snapshot written by as many ``processes`` as this run
    has; UsageError naming the file on any problem."""
    if not os.path.isfile(path):
        raise UsageError('--resume {}: no such file'.format(path))
    try:
        written_by = recorded_processes(path)
        if written_by != processes:
            raise UsageError(
                '{} was written by {} and this run has {}, and the global batch and the '
                'random streams depend on that number: resume it with {}, or pass '
                '--no-auto-resume or another --out to start over'.format(
                    path, _processes(written_by), _processes(processes),
                    'mpiexec -n {} ... --communicator NAME'.format(written_by) if written_by > 1
                    else 'one process (without mpiexec and --communicator)'))
        chainer.serializers.load_npz(path, trainer)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, pickle.UnpicklingError) as e:
        # numpy.load takes a file that is not a zip for a pickle.
        raise UnreadableSnapshot('{} is not a readable snapshot ({}); it may be truncated: '
                                 'resume from an earlier snapshot_iter_N.npz'.format(path, e))
    except KeyError as e:
        raise UsageError('{} does not match this run: it has no entry {}; resume it with '
                         'the flags it was trained with (see config.json beside it)'
                         .format(path, e))
    except ValueError as e:
        raise UsageError('{} does not match this run ({}); resume it with the flags it '
                         'was trained with (see config.json beside it)'.format(path, e))


def _processes(n):
    return '1 process' if n == 1 else '{} processes'.format(n)


def load_newest_snapshot(out, trainer, processes=1):
    """Load the newest readable snapshot in ``out`` and return its path.

    A newest file that cannot be read (say, cut short by a full disk) is
    named and skipped for the one before it: that is why a run keeps more
    than one. Every entry of the trainer is loaded again from the file that
    succeeds, so a partly read file leaves nothing behind.
    """
    found = snapshot_files(out)
    for _, path in reversed(found):
        try:
            load_snapshot(path, trainer, processes)
            return path
        except UnreadableSnapshot as e:
            print('warning: {}; trying the one before it'.format(e), file=sys.stderr)
    raise UsageError('none of the {} snapshot_iter_N.npz in {} is readable; pass '
                     '--no-auto-resume to start over there, or another --out'.format(
                         len(found), out))
