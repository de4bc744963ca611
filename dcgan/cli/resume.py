"""Finding and loading the snapshot a run continues from."""
import glob
import json
import os
import re
import zipfile

import chainer

from dcgan.cli.errors import UsageError

SNAPSHOT_PATTERN = re.compile(r'snapshot_iter_(\d+)\.npz$')
# Arguments that change the networks or the data: a snapshot made with other
# values cannot continue this run.
ARCHITECTURE_ARGS = ('n_hidden', 'ch', 'n_stages', 'channels', 'resolution')


def newest_snapshot(out):
    """The snapshot with the highest iteration in ``out``, or None."""
    best = None
    for path in glob.glob(os.path.join(glob.escape(out), 'snapshot_iter_*.npz')):
        m = SNAPSHOT_PATTERN.search(os.path.basename(path))
        if m and (best is None or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), path)
    return best[1] if best else None


def check_same_run(out, gen_config, dis_config):
    """UsageError when ``out/config.json`` records other networks."""
    path = os.path.join(out, 'config.json')
    if not os.path.exists(path):
        return
    try:
        with open(path) as f:
            recorded = json.load(f)
    except (OSError, ValueError):
        return
    for name, now in (('gen', gen_config), ('dis', dis_config)):
        before = recorded.get(name, {})
        diff = sorted(k for k in now if k in before and before[k] != now[k])
        if diff:
            raise UsageError(
                '{} holds a run with other {} settings ({}); choose another --out, '
                'or pass --no-auto-resume to start over there'.format(
                    out, name, ', '.join('{}={} now {}'.format(k, before[k], now[k])
                                         for k in diff)))


def load_snapshot(path, trainer):
    """Load a trainer snapshot; UsageError naming the file on any problem."""
    if not os.path.isfile(path):
        raise UsageError('--resume {}: no such file'.format(path))
    try:
        chainer.serializers.load_npz(path, trainer)
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise UsageError('{} is not a readable snapshot ({}); it may be truncated: '
                         'resume from an earlier snapshot_iter_N.npz'.format(path, e))
    except KeyError as e:
        raise UsageError('{} does not match this run: it has no entry {}; resume it with '
                         'the flags it was trained with (see config.json beside it)'
                         .format(path, e))
    except ValueError as e:
        raise UsageError('{} does not match this run ({}); resume it with the flags it '
                         'was trained with (see config.json beside it)'.format(path, e))
