"""Generated arrays -> pictures: uint8 conversion, grids, atomic PNG/GIF.

The generator's output is float32 in [0, 1] (it ends in a sigmoid); this
module is the one place that turns it into 8-bit pixels.
"""
import os
import tempfile

import numpy

# Read once: os.umask can only be read by setting it, which is not safe to
# do while other threads may be creating files.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def to_uint8(x):
    """float images in [0, 1] (any device, Variable or array) -> uint8 numpy."""
    x = getattr(x, 'array', x)
    if not isinstance(x, numpy.ndarray):
        import chainer
        x = chainer.backend.CpuDevice().send(x)
    x = numpy.asarray(x, dtype=numpy.float32)
    return numpy.clip(numpy.rint(x * 255.0), 0, 255).astype(numpy.uint8)


def tile(images, rows, cols, gap=0, gap_value=0):
    """(rows*cols, C, H, W) uint8 -> one (H', W', C) grid image, row-major.

    Missing cells (fewer images than rows*cols) stay ``gap_value``.
    """
    images = numpy.asarray(images)
    n, c, h, w = images.shape
    if n > rows * cols:
        raise ValueError('{} images do not fit a {}x{} grid'.format(n, rows, cols))
    grid = numpy.full((rows * (h + gap) - gap, cols * (w + gap) - gap, c),
                      gap_value, dtype=images.dtype)
    for i in range(n):
        r, k = divmod(i, cols)
        y, x = r * (h + gap), k * (w + gap)
        grid[y:y + h, x:x + w] = images[i].transpose(1, 2, 0)
    return grid


def upscale(image, factor):
    """Nearest-neighbour upscaling of an (H, W, C) image by an integer."""
    if factor == 1:
        return image
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def _pil_image(hwc):
    from PIL import Image
    if hwc.shape[2] == 1:
        return Image.fromarray(hwc[:, :, 0], mode='L')
    return Image.fromarray(hwc, mode='RGB')


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then move the result to ``path``.

    A crash mid-write leaves the previous file (or nothing), never a torn
    one. The temporary file keeps ``path``'s extension so writers that pick
    a format from it still work.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the mode any other
        # new file here would get.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def save_text(path, text):
    """Write ``text`` as UTF-8, atomically (JSON records, HTML pages)."""
    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
    return atomic_write(path, write)


def save_png(path, hwc):
    """Write an (H, W, C) uint8 image (C = 1 or 3) as PNG, atomically."""
    return atomic_write(path, lambda tmp: _pil_image(hwc).save(tmp, format='PNG'))


def save_gif(path, frames, duration_ms=100, loop=0):
    """Write (H, W, C) uint8 frames as an animated GIF, atomically.

    Colours are quantised to one shared 256-colour palette built from all
    frames (so colours do not flicker between frames), without dithering
    noise that would make the file large; ``loop=0`` repeats forever.
    """
    frames = [numpy.asarray(f) for f in frames]
    if not frames:
        raise ValueError('a GIF needs at least one frame')
    pil = [_pil_image(f).convert('RGB') for f in frames]
    palette = _shared_palette(pil)
    from PIL import Image
    quantised = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in pil]

    def write(tmp):
        quantised[0].save(tmp, format='GIF', save_all=True,
                          append_images=quantised[1:], duration=duration_ms,
                          loop=loop, optimize=False, disposal=1)
    return atomic_write(path, write)


def _shared_palette(images, max_pixels=1 << 20):
    """A 256-colour palette fitted to (a sample of) all frames together."""
    from PIL import Image
    step = max(1, len(images) * images[0].width * images[0].height // max_pixels)
    sample = images[::step] if step < len(images) else images[:1]
    w, h = sample[0].size
    strip = Image.new('RGB', (w, h * len(sample)))
    for i, im in enumerate(sample):
        strip.paste(im, (0, i * h))
    return strip.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
