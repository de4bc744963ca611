"""The pieces both report pages share: the page shell and its style, image
and link tags, durations, and a run's progress (:class:`RunStatus`).

Everything is static HTML and CSS: no script, no fonts or files from
outside, links relative to the page, so a page opens from the folder (or a
zipped copy) as a file. The style follows the reader's light or dark
setting.
"""
import html
import os
import posixpath
import time
from urllib.parse import quote

from dcgan.io import svg_chart

# Light and dark series colours, each legible on its own background.
_LIGHT = ('#1f6fb4', '#c8372d', '#2b8a3e', '#8a4fbf', '#b8590b', '#0f8a8a', '#b5338a', '#5f6b00')
_DARK = ('#6cb4f0', '#ff7b6e', '#6fd07f', '#c49bff', '#ffad5c', '#4fd6d6', '#ff85c8', '#c8d64f')

_STYLE = """
:root { color-scheme: light dark; --bg: #f7f7f5; --fg: #1c1c1c; --muted: #5b5f66;
  --line: #cfd2d6; --card: #ffffff; %(light)s }
@media (prefers-color-scheme: dark) {
  :root { --bg: #141517; --fg: #e6e6e6; --muted: #a4a9b0; --line: #3b3f45; --card: #1e2023;
    %(dark)s }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1120px; padding: 12px 16px 40px; background: var(--bg);
  color: var(--fg); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.5em; margin: .4em 0 .2em; overflow-wrap: anywhere; }
h2 { font-size: 1.15em; margin: 1.6em 0 .5em; border-bottom: 1px solid var(--line); }
a { color: var(--c0); }
.status { font-size: 1.05em; }
.muted, figcaption, footer { color: var(--muted); }
figure { margin: 0; }
figcaption { font-size: .9em; }
img { max-width: 100%%; height: auto; vertical-align: top; }
img.px { image-rendering: pixelated; image-rendering: crisp-edges; }
.large img { background: var(--card); }
.row { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
.strip { display: flex; gap: 10px; overflow-x: auto; padding-bottom: 6px; }
.strip figure { flex: 0 0 auto; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(290px, 1fr)); gap: 16px; }
.charts figure { background: var(--card); border: 1px solid var(--line); padding: 8px; }
svg.chart { width: 100%%; height: auto; display: block; }
svg .frame { fill: none; stroke: var(--line); }
svg .grid { stroke: var(--line); stroke-width: .6; }
svg .tick { fill: var(--muted); font-size: 12px; font-family: system-ui, sans-serif; }
svg .line { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
svg .d1 { stroke-dasharray: 6 4; }
.legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap;
  gap: 2px 14px; font-size: .9em; }
.key { display: inline-block; width: 22px; border-top: 3px solid; margin-right: 6px;
  vertical-align: middle; }
.key.d1 { border-top-style: dashed; }
table { border-collapse: collapse; font-size: .95em; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left;
  vertical-align: top; }
td { overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--card);
  border: 1px solid var(--line); padding: 8px 10px; font-size: .9em; }
details { margin: .6em 0; }
summary { cursor: pointer; }
"""


def _colour_rules():
    light = ' '.join('--c%d: %s;' % (i, c) for i, c in enumerate(_LIGHT))
    dark = ' '.join('--c%d: %s;' % (i, c) for i, c in enumerate(_DARK))
    rules = [_STYLE % {'light': light, 'dark': dark}]
    for i in range(svg_chart.COLOURS):
        rules.append('svg .s%d { stroke: var(--c%d); } svg .dot.s%d { fill: var(--c%d); } '
                     '.key.s%d { border-color: var(--c%d); }' % ((i,) * 6))
    return '\n'.join(rules)


STYLE = _colour_rules()


def esc(value):
    return html.escape(str(value))


def page(title, body, refresh_seconds=None):
    """A whole HTML document; ``refresh_seconds`` makes it reload itself."""
    refresh = ('<meta http-equiv="refresh" content="{}">\n'.format(int(refresh_seconds))
               if refresh_seconds else '')
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '{}<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}\n'
            '<footer><p>Written by dcgan on {}.</p></footer>\n</body>\n</html>\n').format(
                refresh, esc(title), STYLE, body, time.strftime('%Y-%m-%d %H:%M:%S'))


def href(prefix, relative):
    """A link to ``relative`` (a run folder's path) from a page ``prefix`` away."""
    return quote(posixpath.join(prefix, relative) if prefix else relative, safe='/')


def image_size(path):
    """(width, height) of a picture file, or None."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError):
        return None


def image(folder, relative, target, prefix='', alt=''):
    """An ``<img>`` of ``folder/relative`` about ``target`` px wide: small
    pictures are enlarged by a whole factor and drawn without blur, large ones
    shrunk to fit, and the browser shrinks both further on a narrow screen."""
    size = image_size(os.path.join(folder, relative))
    attrs = ''
    css = 'px'
    if size:
        w, h = size
        if w <= target:
            scale = max(1, target // w)
            w, h = w * scale, h * scale
        else:
            w, h, css = target, max(1, round(h * target / w)), ''
        attrs = ' width="{}" height="{}"'.format(w, h)
    return '<img class="{}" src="{}" alt="{}"{}>'.format(
        css, href(prefix, relative), esc(alt or relative), attrs)


def linked_image(folder, relative, target, prefix='', alt='', caption=''):
    """A figure: the picture, linked to itself, with a caption."""
    caption = '<figcaption>{}</figcaption>'.format(caption) if caption else ''
    return '<figure><a href="{}">{}</a>{}</figure>'.format(
        href(prefix, relative), image(folder, relative, target, prefix, alt), caption)


def duration(seconds):
    """'1:02:03' or '2:03' from seconds."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return '{}:{:02d}:{:02d}'.format(hours, minutes, secs) if hours else '{}:{:02d}'.format(
        minutes, secs)


def table(rows, header=None):
    """A table of already-escaped cells."""
    head = '<tr>{}</tr>'.format(''.join('<th>{}</th>'.format(h) for h in header)) if header else ''
    body = ''.join('<tr>{}</tr>'.format(''.join('<td>{}</td>'.format(c) for c in row))
                   for row in rows)
    return '<div class="scroll"><table>{}{}</table></div>'.format(head, body)


class RunStatus(object):
    """Where a run is: ``iteration`` of ``stop_iteration`` after ``elapsed``
    seconds (at ``timed_iteration``, if the time is from an earlier point),
    and ``state``: 'running', 'finished', 'stopped' (training ended early) or
    'unknown' (read from the files; it may still be going)."""

    def __init__(self, iteration, stop_iteration=None, elapsed=None, state='unknown',
                 timed_iteration=None):
        self.iteration = int(iteration)
        self.stop_iteration = stop_iteration
        self.elapsed = elapsed
        self.state = state
        self.timed_iteration = self.iteration if timed_iteration is None else timed_iteration

    @property
    def rate(self):
        """Iterations per second over the whole run, or None."""
        if self.elapsed and self.timed_iteration:
            return self.timed_iteration / self.elapsed
        return None

    @property
    def seconds_left(self):
        if self.rate and self.stop_iteration and self.state != 'finished':
            return max(0, self.stop_iteration - self.iteration) / self.rate
        return None

    def sentence(self):
        """One line for the top of a page."""
        of = ' of {}'.format(self.stop_iteration) if self.stop_iteration else ''
        percent = (' ({:.0f} %)'.format(100.0 * self.iteration / self.stop_iteration)
                   if self.stop_iteration else '')
        timing = []
        if self.elapsed is not None:
            timing.append('elapsed {}'.format(duration(self.elapsed)))
        if self.rate:
            timing.append('{:.3g} it/s'.format(self.rate))
        if self.seconds_left is not None and self.state != 'stopped':
            timing.append('about {} left'.format(duration(self.seconds_left)))
        timing = '; ' + ', '.join(timing) if timing else ''
        if self.state == 'finished':
            return 'Finished: {} iterations{}.'.format(self.iteration, timing)
        if self.state == 'running':
            return 'Training: iteration {}{}{}{}.'.format(self.iteration, of, percent, timing)
        if self.state == 'stopped':
            return ('Stopped at iteration {}{}{}{}; run the same command again to '
                    'continue.'.format(self.iteration, of, percent, timing))
        return 'Iteration {}{}{}{} (a run still training rewrites this page at its next ' \
               'snapshot).'.format(self.iteration, of, percent, timing)
