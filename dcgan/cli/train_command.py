"""The dcgan-train command line that gives a run's recorded settings.

config.json records every setting, defaults included; a report shows the
fewest flags that give them, which is what one would type to train the run
again. Flags a preset implies (``--small-data``'s EMA, ``--cond``'s label
sampling) are left out: each flag is dropped when the command without it
still gives the same settings.
"""
import json
import shlex

from dcgan.cli import train_args
from dcgan.cli.walk import grid_shape


class _Refused(Exception):
    pass


def _as_recorded(values):
    # Tuples become lists, paths strings: compare as config.json stores them.
    return json.loads(json.dumps(values, default=str))


def _settings(words):
    """The recorded settings ``words`` give, or None if dcgan-train refuses them."""
    parser = train_args.build_parser()

    def refuse(message):
        raise _Refused(message)
    parser.error = refuse  # quietly: a refused try is just not a shorter command
    try:
        args = parser.parse_args(words)
        train_args.check_arguments(args, parser)
    except (_Refused, SystemExit):
        return None
    return _as_recorded(vars(args))


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
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 40 and 40.0 alike: the preset's int, the flag's float
    return [option, str(value)]


def _flag_actions():
    """(destination, action) of each setting, its first flag only (--device, not --gpu)."""
    found, seen = [], {'help'}
    for action in train_args.build_parser()._actions:
        if action.dest not in seen and action.option_strings:
            seen.add(action.dest)
            found.append((action.dest, action))
    return found


def command_line(recorded, program='dcgan-train'):
    """``program`` and the fewest flags that give ``recorded`` (config.json's
    ``args``, or ``vars(args)``), as one shell line."""
    recorded = _as_recorded(recorded)
    actions = [(d, a) for d, a in _flag_actions() if d in recorded]

    def spelt(settings):
        # As words, so --gpu -1 (recorded as -1) is the default --device '-1'.
        return [_words(a, settings.get(d)) for d, a in actions]
    wanted = spelt(recorded)

    def differing(words):
        """Indices whose setting ``words`` do not give (all when refused)."""
        got = _settings([w for i in words for w in wanted[i]])
        given = spelt(got) if got is not None else [None] * len(wanted)
        return [i for i, w in enumerate(wanted) if w and given[i] != w]

    kept = set(differing([]))
    if _settings([w for i in sorted(kept) for w in wanted[i]]) is not None:
        # Back what a preset changes (--small-data with D's noise given as 0.2).
        kept |= set(differing(sorted(kept)))
    # Then drop each flag the others imply; again, as a refused set (--cond
    # proj with --cond-weight) becomes one that trains once a flag is gone.
    for _ in range(3):
        before = set(kept)
        for i in sorted(kept):
            if not differing(sorted(kept - {i})):
                kept.discard(i)
        if kept == before:
            break
    return ' '.join(shlex.quote(w) for w in [program] + [w for i in sorted(kept)
                                                         for w in wanted[i]])
