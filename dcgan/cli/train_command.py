"""The dcgan-train command line that gives a run's recorded settings.

config.json records every setting, defaults included; a report shows the
flags that differ from the defaults, which is what one would type to train
the run again. Defaults are those of the same preset (``--small-data``),
so a preset run reads as ``--small-data`` plus what was given beside it.
"""
import json
import shlex

from dcgan.cli import train_args
from dcgan.cli.walk import grid_shape


def _as_recorded(values):
    # Tuples become lists, paths strings: compare as config.json stores them.
    return json.loads(json.dumps(values, default=str))


def _words(action, value):
    """The words that set ``action``'s destination to ``value``, or []."""
    option = next((o for o in action.option_strings if o.startswith('--')),
                  action.option_strings[0])
    if action.nargs == 0:  # a switch: --flip, --no-walk-gif, --spectral-norm
        return [option] if value == action.const else []
    if value is None:
        return []
    if action.type is grid_shape and isinstance(value, list):
        return [option, 'x'.join(str(v) for v in value)]
    return [option, str(value)]


def command_line(recorded, program='dcgan-train'):
    """``program`` and the flags whose ``recorded`` value (config.json's
    ``args``, or ``vars(args)``) is not the default, as one shell line."""
    recorded = _as_recorded(recorded)
    base = ['--small-data'] if recorded.get('small_data') else []
    defaults = _as_recorded(vars(train_args.parse_arguments(base)))
    words = [program] + base
    seen = {'help', 'small_data'}
    for action in train_args.build_parser()._actions:
        dest = action.dest
        if dest in seen or not action.option_strings or dest not in recorded:
            continue
        seen.add(dest)  # --gpu after --device: one flag per setting
        # As words, so --gpu -1 (recorded as -1) is the default --device '-1'.
        if _words(action, recorded[dest]) != _words(action, defaults.get(dest)):
            words += _words(action, recorded[dest])
    return ' '.join(shlex.quote(w) for w in words)
