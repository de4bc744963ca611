"""Line charts as inline SVG, for pages that must open with no script and no
network. Colours come from the page's CSS (classes ``s0``..``s7`` for the
series, ``d1`` for a dashed line), so one chart reads on a light and on a
dark background.
"""
import html
import math

WIDTH, HEIGHT = 400, 240
# Room for the tick labels left and below.
LEFT, RIGHT, TOP, BOTTOM = 48, 18, 10, 34
COLOURS = 8


class Series(object):
    """One line: ``points`` [(x, y)], drawn in colour ``colour`` (0-7), dashed
    when ``dashed``."""

    def __init__(self, label, points, colour=0, dashed=False):
        self.label = label
        self.points = sorted(points)
        self.colour = colour % COLOURS
        self.dashed = dashed


def nice_ticks(low, high, count=5):
    """Round tick values covering [low, high], about ``count`` of them."""
    if not high > low:
        return [low]
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _label(value):
    return '{:g}'.format(value) if abs(value) < 1e5 else '{:.2g}'.format(value)


def _span(values):
    low, high = min(values), max(values)
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def line_chart(series, title, x_range=None, x_label='iteration'):
    """An ``<svg>`` element (a string) plotting ``series`` on one pair of
    axes, or None when no series has a point. ``x_range`` (low, high) puts
    several charts on the same x axis."""
    series = [s for s in series if s.points]
    if not series:
        return None
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    x_low, x_high = x_range or (min(xs), max(xs))
    if x_high <= x_low:
        x_low, x_high = x_low - 1, x_high + 1
    y_low, y_high = _span(ys)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x):
        return LEFT + (x - x_low) / (x_high - x_low) * plot_w

    def py(y):
        return TOP + (y_high - y) / (y_high - y_low) * plot_h

    parts = ['<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'.format(
        WIDTH, HEIGHT, html.escape(title))]
    parts.append('<rect class="frame" x="{}" y="{}" width="{}" height="{}"/>'.format(
        LEFT, TOP, plot_w, plot_h))
    for y in nice_ticks(y_low, y_high):
        if y_low <= y <= y_high:
            parts.append('<line class="grid" x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}"/>'
                         '<text class="tick" x="{3}" y="{4:.1f}" text-anchor="end">{5}</text>'
                         .format(LEFT, LEFT + plot_w, py(y), LEFT - 5, py(y) + 4, _label(y)))
    for x in nice_ticks(x_low, x_high):
        if x_low <= x <= x_high:
            parts.append('<line class="grid" x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}"/>'
                         '<text class="tick" x="{0:.1f}" y="{3}" text-anchor="middle">{4}</text>'
                         .format(px(x), TOP, TOP + plot_h, TOP + plot_h + 15, _label(x)))
    parts.append('<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>'.format(
        LEFT + plot_w / 2, HEIGHT - 3, html.escape(x_label)))
    for s in series:
        points = ' '.join('{:.1f},{:.1f}'.format(px(x), py(y)) for x, y in s.points)
        css = 's{}{}'.format(s.colour, ' d1' if s.dashed else '')
        if len(s.points) == 1:
            (x, y), = s.points
            parts.append('<circle class="dot {}" cx="{:.1f}" cy="{:.1f}" r="3"/>'.format(
                css, px(x), py(y)))
        else:
            parts.append('<polyline class="line {}" points="{}"/>'.format(css, points))
    parts.append('</svg>')
    return ''.join(parts)


def legend(series):
    """The chart's key as HTML (it wraps on a narrow screen, unlike SVG text)."""
    items = ''.join('<li><span class="key s{}{}"></span>{}</li>'.format(
        s.colour, ' d1' if s.dashed else '', html.escape(s.label)) for s in series if s.points)
    return '<ul class="legend">{}</ul>'.format(items)
