"""A page comparing several runs: the settings that differ, the curves on
shared axes, and the latest grids side by side (how one chooses between,
say, ``--small-data`` variants)."""
import json
import os

from dcgan.io.report_html import esc, href, linked_image, page, table
from dcgan.io.run_report import chart_figures

# Settings that name the run rather than shape it.
IGNORED = ('out',)


def flat_settings(run):
    """{name: value} of everything ``config.json`` records: the flags by
    their names, the networks and data as ``gen.ch``, ``data.images``, ..."""
    config = run.config or {}
    flat = {k: v for k, v in run.args.items() if k not in IGNORED}
    for section, values in sorted(config.items()):
        if section == 'args':
            continue
        if isinstance(values, dict):
            flat.update(('{}.{}'.format(section, k), v) for k, v in values.items())
        else:
            flat[section] = values
    return flat


def _shown(value):
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


def differing_settings(runs):
    """[(name, [value or None per run])] of the settings not the same in all
    ``runs``, and the number that are."""
    flats = [flat_settings(run) for run in runs]
    names = sorted(set().union(*flats))
    differ, same = [], 0
    for name in names:
        values = [f.get(name) for f in flats]
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) > 1:
            differ.append((name, values))
        else:
            same += 1
    return differ, same


def run_labels(runs, page_folder):
    """Each run's folder name, or its path from the page where names repeat."""
    names = [run.name for run in runs]
    if len(set(names)) == len(names):
        return names
    return [os.path.relpath(run.path, page_folder).replace(os.sep, '/') for run in runs]


def _swd(run):
    points = run.series('swd')
    if not points:
        return '', ''
    best = min(points, key=lambda p: p[1])
    return '{:.1f}'.format(points[-1][1]), '{:.1f} (iteration {})'.format(best[1], best[0])


def comparison_page(runs, statuses, page_folder, reports=None):
    """The comparison page (an HTML string) for ``runs`` (RunFolders) with
    their ``statuses``, to be written in ``page_folder``; ``reports`` are the
    runs' own pages (relative to each run's folder) to link to."""
    prefixes = [os.path.relpath(run.path, page_folder).replace(os.sep, '/') for run in runs]
    labels = run_labels(runs, page_folder)
    rows = []
    for i, (run, status) in enumerate(zip(runs, statuses)):
        name = esc(labels[i])
        if reports and reports[i]:
            name = '<a href="{}">{}</a>'.format(href(prefixes[i], reports[i]), name)
        rows.append((name, esc(status.sentence())) + tuple(esc(v) for v in _swd(run)))
    body = ['<header><h1>Comparing {} runs</h1></header>'.format(len(runs)),
            table(rows, header=('run', 'progress', 'last SWD', 'lowest SWD'))]

    differ, same = differing_settings(runs)
    body.append('<h2>Settings that differ</h2>')
    if differ:
        body.append(table([(esc(name),) + tuple('' if v is None else esc(_shown(v))
                                                 for v in values)
                           for name, values in differ], header=('setting',) + tuple(
                               esc(label) for label in labels)))
    else:
        body.append('<p>None: every recorded setting is the same.</p>')
    body.append('<p class="muted">{} other recorded settings are the same in every run.</p>'
                .format(same))

    charts = chart_figures(runs, prefixes, labels)
    if charts:
        body.append('<h2>Curves</h2><p class="muted">One colour per run; the dashed line is '
                    'the second value of a chart.</p>' + charts)

    width = max(240, min(960, 1040 // max(1, len(runs))))
    grids = []
    for run, prefix, label in zip(runs, prefixes, labels):
        if run.previews:
            it, path = run.previews[-1]
            grids.append(linked_image(run.path, path, width, prefix, caption='{}, iteration {}'
                                      .format(esc(label), it)))
    if grids:
        body.append('<h2>Latest previews</h2><div class="row">{}</div>'.format(''.join(grids)))
    return page('Comparing ' + ', '.join(labels), '\n'.join(body))
