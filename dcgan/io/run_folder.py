"""What a training run's output folder holds, read without changing it.

:func:`read_run` gathers the recorded settings (``config.json``), the log
(``log``, Chainer's ``LogReport``), the preview grids, plots, GIFs and
nearest-neighbour grids that are present, as paths relative to the folder,
for the HTML report. File names are this project's and Chainer's example's
(``preview/image{:0>8}.png``); a file that is missing is simply absent.
"""
import glob
import json
import os
import re

import numpy

_DIGITS = re.compile(r'(\d+)(?!.*\d)')

PREVIEWS = 'preview/image*.png'
NEAREST = 'nearest/nearest_iter_*.png'
# Pictures drawn from the log, in the order a page shows them.
PLOTS = ('loss.png', 'dis_output.png', 'swd.png')
PROGRESS_GIF = 'progress.gif'
WALK_GIF = 'walk.gif'
MORPH_GIFS = 'morph*.gif'  # the latest of each; morph/ holds every snapshot's


class RunFolderError(Exception):
    """A folder that is not a run's output, or a record in it that cannot be read."""


def preview_iteration(path):
    """The iteration in a preview's file name (its last run of digits)."""
    match = _DIGITS.search(os.path.basename(path))
    return int(match.group(1)) if match else None


def evenly_spaced(items, limit):
    """At most ``limit`` items spread over ``items``, first and last kept."""
    if limit is None or len(items) <= limit:
        return list(items)
    if limit <= 1:
        return [items[-1]]
    picks = numpy.linspace(0, len(items) - 1, limit).round().astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]


class RunFolder(object):
    """One run's records. Paths in it are relative to ``path``, with ``/``.

    Attributes:
        path: the folder.
        config: ``config.json`` as a dict, or None.
        log: the log's entries (a list of dicts; empty without a log).
        previews, nearest: ``[(iteration, relative path)]``, oldest first.
        plots: the PNG plots present, by name.
        progress_gif, walk_gif: relative paths, or None.
        morph_gifs: relative paths of the ``morph*.gif`` at the top level.
    """

    def __init__(self, path, config, log, previews, nearest, plots, progress_gif,
                 walk_gif, morph_gifs):
        self.path = path
        self.config = config
        self.log = log
        self.previews = previews
        self.nearest = nearest
        self.plots = plots
        self.progress_gif = progress_gif
        self.walk_gif = walk_gif
        self.morph_gifs = morph_gifs

    @property
    def name(self):
        return os.path.basename(os.path.abspath(self.path))

    @property
    def args(self):
        """The recorded command-line settings (``config.json``'s ``args``)."""
        return dict((self.config or {}).get('args') or {})

    @property
    def data(self):
        """The recorded data summary (images, skipped, resolution, ...)."""
        return dict((self.config or {}).get('data') or {})

    def classes(self):
        """[(class name, image count or None)] of a labelled run, else [].

        Read from ``classes`` / ``class_counts`` in the data summary or at
        the top level of ``config.json``."""
        for record in (self.data, self.config or {}):
            names = record.get('classes')
            if names:
                counts = list(record.get('class_counts') or [])
                counts += [None] * (len(names) - len(counts))
                return list(zip((str(n) for n in names), counts))
        return []

    def logged_iteration(self):
        """The last iteration the log records, or 0."""
        return max([int(e['iteration']) for e in self.log if 'iteration' in e] or [0])

    def logged_elapsed(self):
        """(iteration, seconds) of the newest log entry with a time, or None."""
        timed = [e for e in self.log if 'iteration' in e and 'elapsed_time' in e]
        if not timed:
            return None
        last = max(timed, key=lambda e: e['iteration'])
        return int(last['iteration']), float(last['elapsed_time'])

    def iteration(self):
        """The newest iteration anything in the folder comes from."""
        return max([self.logged_iteration()] + [it for it, _ in self.previews])

    def series(self, key):
        """[(iteration, value)] of ``key`` in the log, finite values only."""
        points = []
        for entry in self.log:
            value = entry.get(key)
            if isinstance(value, (int, float)) and numpy.isfinite(value) and 'iteration' in entry:
                points.append((int(entry['iteration']), float(value)))
        return points


def _read_json(path, what):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise RunFolderError('{} cannot be read as the run\'s {} ({})'.format(path, what, e))


def _relative(folder, pattern, upto=None):
    """[(iteration, relative path)] of the files matching ``pattern``."""
    found = []
    for path in glob.glob(os.path.join(folder, pattern)):
        it = preview_iteration(path)
        if it is not None and (upto is None or it <= upto) and os.path.isfile(path):
            found.append((it, os.path.relpath(path, folder).replace(os.sep, '/')))
    return sorted(found)


def read_run(folder, upto=None, config_name='config.json', log_name='log'):
    """The :class:`RunFolder` of ``folder``.

    ``upto`` leaves out previews and grids of later iterations (a folder
    reused after resuming from an earlier snapshot may hold files from the
    abandoned future). Raises :class:`RunFolderError` when ``folder`` is not
    a folder, or when its config or log is not readable JSON.
    """
    if not os.path.isdir(folder):
        raise RunFolderError('{}: no such folder'.format(folder))
    config = _read_json(os.path.join(folder, config_name), 'settings')
    if config is not None and not isinstance(config, dict):
        raise RunFolderError('{} holds no settings object'.format(
            os.path.join(folder, config_name)))
    log = _read_json(os.path.join(folder, log_name), 'log')
    log = [e for e in log if isinstance(e, dict)] if isinstance(log, list) else []
    if upto is not None:
        log = [e for e in log if e.get('iteration', 0) <= upto]

    def present(name):
        return name if os.path.isfile(os.path.join(folder, name)) else None

    morphs = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, MORPH_GIFS))
                    if os.path.isfile(p))
    return RunFolder(
        folder, config, log,
        previews=_relative(folder, PREVIEWS, upto),
        nearest=_relative(folder, NEAREST, upto),
        plots={name: name for name in PLOTS if present(name)},
        progress_gif=present(PROGRESS_GIF), walk_gif=present(WALK_GIF),
        morph_gifs=morphs)
