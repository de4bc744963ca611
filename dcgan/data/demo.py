"""Built-in demo images: "sushi-like blobs", drawn procedurally, no download.

Each image is one soft-edged round thing on a contrasting background: a
coloured disc, a ring, or a maki roll (dark rim, white rice, coloured
centre), of varying colour, size and position, on a plain or gradient
background. The structure is simple enough that a small DCGAN learns it at
32 px within a few CPU minutes, and varied enough that mode collapse shows.
"""
import numpy

from dcgan.data.folder import (MAX_RESOLUTION, MIN_RESOLUTION, DatasetError,
                                ImageFolder)

DEMO_PATH_PREFIX = '<demo>'

# Pixels of blur at the shapes' edges (at any resolution the edge stays soft
# but not smeared).
_EDGE_PIXELS = 1.2
# Images drawn at once; bounds memory at large resolutions.
_CHUNK = 32
# What each value of the drawn `kind` is (see _draw_parameters).
_KIND_NAMES = ('disc', 'ring', 'maki')
# Labels the demo images can carry: their shape, or the hue family of the
# shape's colour (red within 1/6 of hue 0, green around 1/3, blue around
# 2/3). Colour is what a GAN learns first, so a conditional run shows its
# classes within minutes; shapes take longer.
LABELLINGS = ('shape', 'hue')
_HUE_NAMES = ('red', 'green', 'blue')


def make_demo_images(n=256, resolution=32, channels=3, seed=0):
    """Return ``n`` demo images as uint8 of shape (n, channels, res, res).

    Deterministic for a given ``seed`` (NumPy's RandomState, whose streams do
    not change between NumPy versions).
    """
    return _make(n, resolution, channels, seed)[0]


def make_demo_labelled(n=256, resolution=32, channels=3, seed=0, by='shape'):
    """The demo images with a label: ``(images, labels, names)``.

    ``by='shape'`` labels each image disc, maki or ring; ``by='hue'`` by the
    hue family of its shape's colour (blue, green, red). ``images`` are
    exactly :func:`make_demo_images`'s for the same arguments; ``labels``
    (int32, shape (n,)) index ``names``, which are sorted as a labelled
    folder's sub-folders are, so the ids match those of the folder
    ``datasets/make_demo.py --labelled`` writes.
    """
    if by not in LABELLINGS:
        raise DatasetError('demo labels are by {}, not {!r}'.format(
            ' or '.join(LABELLINGS), by))
    images, params = _make(n, resolution, channels, seed)
    if by == 'hue':
        family = numpy.floor((params['hue'] * 6 + 1) % 6 / 2).astype(int)  # 0 red 1 green 2 blue
        drawn, own = family, _HUE_NAMES
    else:
        drawn, own = params['kind'], _KIND_NAMES
    names = sorted(own)
    to_label = numpy.array([names.index(k) for k in own], numpy.int32)
    return images, to_label[drawn], names


def _make(n, resolution, channels, seed):
    """The images and the parameters drawn for them (``kind`` indexes
    _KIND_NAMES, ``hue`` is the shape colour's hue in [0, 1))."""
    if isinstance(n, bool) or not isinstance(n, (int, numpy.integer)) or n < 1:
        raise DatasetError('demo image count must be a positive whole '
                           'number, not {!r}'.format(n))
    if (isinstance(resolution, bool)
            or not isinstance(resolution, (int, numpy.integer))
            or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION):
        raise DatasetError(
            'demo resolution {!r} cannot be used: give a whole number from '
            '{} to {}'.format(resolution, MIN_RESOLUTION, MAX_RESOLUTION))
    if channels not in (1, 3):
        raise DatasetError('demo channels must be 3 (RGB) or 1 (grayscale), '
                           'not {!r}'.format(channels))
    params = _draw_parameters(numpy.random.RandomState(seed), int(n))
    out = numpy.empty((n, channels, resolution, resolution), numpy.uint8)
    for start in range(0, n, _CHUNK):
        chunk = {k: v[start:start + _CHUNK] for k, v in params.items()}
        rgb = _render(chunk, resolution)  # (m, H, W, 3) float in [0, 1]
        if channels == 1:
            pixels = (rgb @ numpy.array([0.299, 0.587, 0.114]))[:, None]
        else:
            pixels = rgb.transpose(0, 3, 1, 2)
        out[start:start + _CHUNK] = numpy.rint(
            numpy.clip(pixels, 0, 1) * 255)
    return out, params


def demo_image_folder(resolution=32, channels=3, n=256, seed=0):
    """The demo images as an :class:`ImageFolder` (paths '<demo>/0000', ...)."""
    images = make_demo_images(n=n, resolution=resolution, channels=channels,
                              seed=seed)
    return ImageFolder(
        images=images,
        paths=['{}/{:04d}'.format(DEMO_PATH_PREFIX, i) for i in range(n)],
        skipped=[], resolution=int(resolution), channels=int(channels))


def _draw_parameters(rng, n):
    """All random choices for n images, drawn up front in a fixed order."""
    light_background = rng.rand(n) < 0.5
    base = numpy.where(light_background[:, None],
                       rng.uniform(0.65, 1.0, (n, 3)),
                       rng.uniform(0.0, 0.35, (n, 3)))
    # Gradient backgrounds fade from `base` to a nearby shade along a random
    # direction; plain ones have zero gradient.
    gradient = rng.rand(n) < 0.5
    shade = numpy.clip(base + rng.uniform(-0.25, 0.25, (n, 3)), 0, 1)
    angle = rng.uniform(0, 2 * numpy.pi, n)
    # Foreground: a saturated colour, bright on dark backgrounds and dark on
    # light ones, so the shape always stands out.
    hue = rng.rand(n)
    saturation = rng.uniform(0.6, 1.0, n)
    value = numpy.where(light_background, rng.uniform(0.25, 0.55, n),
                        rng.uniform(0.75, 1.0, n))
    return {
        'base': base,
        'shade': numpy.where(gradient[:, None], shade, base),
        'angle': angle,
        'colour': _hsv_to_rgb(hue, saturation, value),
        'hue': hue,
        'kind': rng.randint(0, 3, n),  # 0 disc, 1 ring, 2 maki
        'centre': rng.uniform(0.32, 0.68, (n, 2)),
        'radius': rng.uniform(0.16, 0.3, n),
        'inner': rng.uniform(0.45, 0.65, n),  # ring hole / maki filling size
    }


def _render(p, resolution):
    m = len(p['kind'])
    coords = (numpy.arange(resolution) + 0.5) / resolution
    y = coords[None, :, None]
    x = coords[None, None, :]

    def col(v):  # per-image scalar -> broadcastable over (m, H, W)
        return v[:, None, None]

    def rgb(v):  # per-image colour -> broadcastable over (m, H, W, 3)
        return v[:, None, None, :]

    # Background: plain or linear gradient.
    t = (numpy.cos(col(p['angle'])) * (x - 0.5)
         + numpy.sin(col(p['angle'])) * (y - 0.5) + 0.5)
    t = numpy.clip(t, 0, 1)[..., None]
    image = rgb(p['base']) * (1 - t) + rgb(p['shade']) * t

    distance = numpy.sqrt((x - col(p['centre'][:, 0])) ** 2
                          + (y - col(p['centre'][:, 1])) ** 2)
    edge = _EDGE_PIXELS / resolution

    def coverage(radius):  # soft-edged disc of `radius`, (m, H, W, 1)
        return numpy.clip((radius - distance) / edge + 0.5, 0, 1)[..., None]

    def paint(image, alpha, colour):
        return image * (1 - alpha) + colour * alpha

    radius = col(p['radius'])
    inner = radius * col(p['inner'])
    kind = p['kind'][:, None, None, None]
    colour = rgb(p['colour'])
    nori = numpy.array([0.08, 0.14, 0.09])
    rice = numpy.array([0.96, 0.95, 0.9])

    disc = paint(image, coverage(radius), colour)
    ring = paint(image, coverage(radius) - coverage(inner), colour)
    maki = paint(image, coverage(radius), nori)
    maki = paint(maki, coverage(radius * 0.85), rice)
    maki = paint(maki, coverage(inner * 0.85), colour)
    assert image.shape == (m, resolution, resolution, 3)
    return numpy.where(kind == 0, disc, numpy.where(kind == 1, ring, maki))


def _hsv_to_rgb(h, s, v):
    i = numpy.floor(h * 6).astype(int) % 6
    f = h * 6 - numpy.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v),
               (v, p, q)]
    out = numpy.empty((len(h), 3))
    for k, (r, g, b) in enumerate(choices):
        sel = i == k
        out[sel] = numpy.stack([r[sel], g[sel], b[sel]], axis=1)
    return out
