"""One image file -> one 8-bit RGB or L picture, fitted into a square.

Everything Pillow can hand us (palette, grayscale, CMYK, 16-bit, alpha,
rotated-by-EXIF photos) is reduced here to plain 8-bit RGB (channels=3) or
luminance L (channels=1). Transparency is composited onto a background colour
*before* resizing, so cut-out edges do not pick up a halo from whatever colour
hides under the transparent pixels.

Failures are reported as :class:`UnreadableImageError` whose message is the
short reason; the folder loader turns those into skipped files.
"""
import os
import struct
import warnings
import zlib

import numpy
from PIL import Image, ImageOps, UnidentifiedImageError

# Files with more pixels than this are refused before their pixels are decoded
# (decompression-bomb guard). It is the size at which Pillow itself refuses to
# open a file, so photos from 100-megapixel phones still load.
MAX_PIXELS = 178956970

# High-quality resampling: Pillow's LANCZOS widens its kernel when shrinking,
# so downscaling is antialiased.
RESAMPLE = Image.Resampling.LANCZOS

FITS = ('pad', 'crop')


class UnreadableImageError(Exception):
    """The file cannot be used as a training image; ``str()`` is the reason."""


def decode_image(path, channels=3, background=(0, 0, 0), draft_size=None):
    """Decode ``path`` into a Pillow image of mode ``'RGB'`` or ``'L'``.

    EXIF orientation is applied, an animated file gives its first frame,
    high-bit-depth pixels are scaled to 8 bits and alpha is composited onto
    ``background`` (an ``(r, g, b)`` tuple). ``draft_size`` lets JPEG decode
    at a reduced scale that still keeps both sides at least that many pixels.
    Raises :class:`UnreadableImageError` for anything that is not a usable
    image.
    """
    try:
        if os.path.getsize(path) == 0:
            raise UnreadableImageError('empty file (0 bytes)')
        with warnings.catch_warnings():
            # Our own MAX_PIXELS check below is the limit that counts; Pillow's
            # softer warning (half its refusal size) would only add noise.
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                _check_pixel_count(opened.size)
                if draft_size:
                    opened.draft(None, (draft_size, draft_size))
                opened.load()
                image = ImageOps.exif_transpose(opened)
        image = _to_8_bits(image)
        return _composite_and_convert(image, channels, background)
    except UnreadableImageError:
        raise
    except UnidentifiedImageError:
        raise UnreadableImageError('not an image Pillow can read')
    except Image.DecompressionBombError as e:
        raise UnreadableImageError('too many pixels (decompression bomb '
                                   'guard): {}'.format(e))
    except (OSError, EOFError) as e:
        if 'truncated' in str(e) or isinstance(e, EOFError):
            raise UnreadableImageError('truncated file ({})'.format(e))
        raise UnreadableImageError('cannot be read ({})'.format(e))
    except (ValueError, SyntaxError, struct.error, zlib.error,
            IndexError, KeyError, TypeError) as e:
        # Malformed files make Pillow's plugins fail in many ways.
        raise UnreadableImageError('corrupt or unsupported image ({}: {})'
                                   .format(type(e).__name__, e))


def _check_pixel_count(size):
    width, height = size
    if width * height > MAX_PIXELS:
        raise UnreadableImageError(
            'too many pixels ({}x{} = {} > limit {}; decompression bomb guard):'
            ' downscale it first'.format(width, height, width * height,
                                         MAX_PIXELS))


def _to_8_bits(image):
    """Return an equivalent image of mode L, LA, RGB or RGBA."""
    mode = image.mode
    if mode in ('L', 'RGB') and 'transparency' in image.info:
        # PNG/GIF "this one colour is transparent" (tRNS chunk).
        return image.convert('RGBA')
    if mode in ('L', 'LA', 'RGB', 'RGBA'):
        return image
    if mode.startswith('I;16') or mode == 'I':
        # 16-bit (and 32-bit integer, which is how Pillow hands over some
        # 16-bit files) cover 0..65535: scale, do not clip, to 0..255.
        pixels = numpy.asarray(image).astype(numpy.int64)
        pixels = numpy.clip(pixels, 0, 65535)
        return Image.fromarray(
            ((pixels * 255 + 32767) // 65535).astype(numpy.uint8))
    if mode == 'F':
        # Floating point files usually hold 0..1; otherwise assume 0..255.
        pixels = numpy.asarray(image, dtype=numpy.float64)
        if pixels.size and numpy.nanmax(pixels) <= 1.0:
            pixels = pixels * 255.0
        pixels = numpy.nan_to_num(pixels)
        return Image.fromarray(
            numpy.clip(numpy.rint(pixels), 0, 255).astype(numpy.uint8))
    if mode in ('P', 'PA', 'RGBa'):
        # Palette images may carry transparency in the palette or in
        # info['transparency']; converting to RGBA honours both.
        return image.convert('RGBA')
    if mode == 'La':
        return image.convert('LA')
    if mode == '1':
        return image.convert('L')
    # CMYK, YCbCr, LAB, HSV, ...
    return image.convert('RGB')


def _composite_and_convert(image, channels, background):
    """Composite alpha onto ``background`` and return mode RGB or L."""
    if image.mode in ('RGBA', 'LA'):
        rgba = image.convert('RGBA')
        canvas = Image.new('RGB', rgba.size, tuple(background))
        canvas.paste(rgba, mask=rgba.getchannel('A'))
        image = canvas
    target = 'RGB' if channels == 3 else 'L'
    if image.mode != target:
        image = image.convert(target)
    return image


def background_fill(mode, background):
    """The fill value of ``background`` in an image of ``mode`` (RGB or L)."""
    if mode == 'RGB':
        return tuple(background)
    # Same luminance formula as Pillow's RGB -> L conversion.
    return Image.new('RGB', (1, 1), tuple(background)).convert('L').getpixel(
        (0, 0))


def fit_square(image, resolution, fit='pad', background=(0, 0, 0)):
    """Resize ``image`` to ``resolution`` x ``resolution``.

    ``fit='pad'`` keeps the aspect ratio and pads the short side (centred)
    with ``background``; ``fit='crop'`` takes the centred square and scales
    it.
    """
    width, height = image.size
    if (width, height) == (resolution, resolution):
        return image
    if fit == 'crop':
        # Crop first so the resampling kernel sees nothing outside the square.
        side = min(width, height)
        left = (width - side) // 2
        top = (height - side) // 2
        image = image.crop((left, top, left + side, top + side))
        if side == resolution:
            return image
        return image.resize((resolution, resolution), RESAMPLE)
    if fit != 'pad':
        raise ValueError('fit must be one of {}, not {!r}'.format(FITS, fit))
    scale = resolution / float(max(width, height))
    new_size = (max(1, int(round(width * scale))),
                max(1, int(round(height * scale))))
    if new_size != (width, height):
        image = image.resize(new_size, RESAMPLE)
    if new_size == (resolution, resolution):
        return image
    canvas = Image.new(image.mode, (resolution, resolution),
                       background_fill(image.mode, background))
    canvas.paste(image, ((resolution - new_size[0]) // 2,
                         (resolution - new_size[1]) // 2))
    return canvas


def to_chw(image):
    """An RGB or L Pillow image as a uint8 array of shape (C, H, W)."""
    pixels = numpy.asarray(image, dtype=numpy.uint8)
    if pixels.ndim == 2:
        pixels = pixels[None]
    else:
        pixels = pixels.transpose(2, 0, 1)
    return numpy.ascontiguousarray(pixels)
