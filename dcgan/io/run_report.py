"""One run's HTML report: progress, the latest grid, curves, GIFs, data and
settings, from what its output folder holds (:mod:`dcgan.io.run_folder`).

The curves are drawn as inline SVG from the log (so they follow a dark page
and share axes with other runs on the comparison page); the PNG plots are
linked beside them.
"""
import os

from dcgan.io import svg_chart
from dcgan.io.report_html import esc, href, image, linked_image, page, table
from dcgan.io.run_folder import evenly_spaced

# (title, log keys, the PNG plot of the same keys).
CHARTS = (
    ('Losses', ('gen/loss', 'dis/loss'), 'loss.png'),
    ("D's mean output on real and generated batches", ('dis/real', 'dis/fake'),
     'dis_output.png'),
    ('Quality: SWD x1e3 to the training images (lower is better)', ('swd',), 'swd.png'),
)
LARGE = 960   # px, the latest grid
SMALL = 160   # px, the earlier grids
GIF = 320     # px, the animations


def chart_figures(runs, prefixes, labels=None):
    """One figure per chart with a line per run and log key, all on one x
    axis; ``labels`` name the runs (one run: keys only)."""
    xs = [x for run in runs for _, keys, _ in CHARTS for key in keys
          for x, _ in run.series(key)]
    x_range = (min(xs), max(xs)) if xs else None
    figures = []
    for title, keys, png in CHARTS:
        series = []
        for i, run in enumerate(runs):
            for j, key in enumerate(keys):
                label = key if labels is None else '{}: {}'.format(labels[i], key)
                colour = j if len(runs) == 1 else i
                series.append(svg_chart.Series(label, run.series(key), colour,
                                               dashed=len(runs) > 1 and j > 0))
        svg = svg_chart.line_chart(series, title, x_range)
        pngs = [(run, prefix, png if labels is None else labels[i])
                for i, (run, prefix) in enumerate(zip(runs, prefixes)) if png in run.plots]
        if svg is None and not (len(runs) == 1 and pngs):
            continue
        if svg is None:  # a log without these keys, but the PNG exists
            run, prefix, _ = pngs[0]
            svg = image(run.path, png, 480, prefix, alt=title)
        links = ', '.join('<a href="{}">{}</a>'.format(href(prefix, png), esc(text))
                          for _, prefix, text in pngs)
        figures.append('<figure><figcaption>{}</figcaption>{}{}{}</figure>'.format(
            esc(title), svg, svg_chart.legend(series),
            '<p class="muted">{}: {}</p>'.format('PNG' if labels is None else esc(png), links)
            if links else ''))
    return '<div class="charts">{}</div>'.format(''.join(figures)) if figures else ''


def _latest(run):
    if not run.previews:
        return '<p class="muted">No preview grid yet: the first comes with the first ' \
               'snapshot.</p>'
    it, path = run.previews[-1]
    return '<h2>Latest preview (iteration {})</h2><div class="large">{}</div>'.format(
        it, linked_image(run.path, path, LARGE, alt='preview grid at iteration {}'.format(it)))


def _history(run, count):
    earlier = evenly_spaced(run.previews[:-1], count)
    if not earlier:
        return ''
    figures = ''.join(linked_image(run.path, path, SMALL, caption='iteration {}'.format(it))
                      for it, path in earlier)
    return '<h2>Earlier previews</h2><div class="strip">{}</div>'.format(figures)


def _animations(run):
    gifs = []
    if run.progress_gif:
        gifs.append((run.progress_gif, 'progress.gif: the previews over training'))
    if run.walk_gif:
        gifs.append((run.walk_gif, 'walk.gif: a walk through fixed latent points'))
    gifs += [(path, path) for path in run.morph_gifs]
    if not gifs:
        return ''
    return '<h2>Animations</h2><div class="row">{}</div>'.format(''.join(
        linked_image(run.path, path, GIF, caption=esc(caption)) for path, caption in gifs))


def _nearest(run):
    if not run.nearest:
        return ''
    it, path = run.nearest[-1]
    return ('<h2>Nearest training images (iteration {})</h2><p class="muted">Each sample '
            'beside its nearest training images: copies show up as twins.</p>{}').format(
                it, linked_image(run.path, path, LARGE))


def data_rows(run):
    """(name, value) rows of the data summary."""
    data, args = run.data, run.args
    rows = []
    if args:
        rows.append(('source', args.get('dataset') or 'built-in demo data'))
    for key, name in (('images', 'images used'), ('skipped', 'images skipped'),
                      ('unlabelled', 'images without a label'), ('labels_from', 'labels from'),
                      ('resolution', 'resolution (px)'), ('channels', 'channels')):
        if key in data:
            rows.append((name, data[key]))
    return rows


def _data(run):
    rows = data_rows(run)
    classes = run.classes()
    if not rows and not classes:
        return ''
    text = '<h2>Data</h2>' + table([(esc(k), esc(v)) for k, v in rows])
    if classes:
        text += '<h3>{} classes</h3>'.format(len(classes)) + table(
            [(esc(name), esc('' if n is None else n)) for name, n in classes],
            header=('class', 'images'))
    return text


def _settings(run, command):
    config = run.config or {}
    text = ''
    if command:
        text += '<p>The command with these settings:</p><pre><code>{}</code></pre>'.format(
            esc(command))
    nets = [(esc(name), esc(', '.join('{}={}'.format(k, v) for k, v in sorted(config[name].items()))))
            for name in ('gen', 'dis') if isinstance(config.get(name), dict)]
    if nets:
        text += table(nets)
    if run.args:
        text += '<details><summary>Every recorded setting (config.json)</summary>{}</details>' \
            .format(table([(esc(k), esc(v)) for k, v in sorted(run.args.items())]))
    files = ' '.join('<a href="{0}">{0}</a>'.format(name) for name in ('config.json', 'log')
                     if os.path.isfile(os.path.join(run.path, name)))
    if files:
        text += '<p class="muted">Records: {}</p>'.format(files)
    return '<h2>Settings</h2>' + text if text else ''


def run_page(run, status, command=None, refresh_seconds=None, history=8):
    """The report page of one run (an HTML string), for ``report.html`` in
    its folder. ``status`` is a :class:`RunStatus`; ``command`` the command
    line to show; ``refresh_seconds`` reloads the page while training goes."""
    body = [
        '<header><h1>{}</h1><p class="status">{}{}</p></header>'.format(
            esc(run.name), esc(status.sentence()),
            ' This page reloads every {} s.'.format(refresh_seconds) if refresh_seconds else ''),
        _latest(run),
    ]
    charts = chart_figures([run], [''])
    if charts:
        body.append('<h2>Curves</h2>' + charts)
    body += [_history(run, history), _animations(run), _nearest(run), _data(run),
             _settings(run, command)]
    title = '{}: iteration {}'.format(run.name, status.iteration)
    return page(title, '\n'.join(part for part in body if part), refresh_seconds)
