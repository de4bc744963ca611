"""A folder of image files -> one uint8 (N, C, H, W) array, decoded once.

Files that cannot be used are skipped (each named in a SkippedImageWarning and
recorded), so one bad download does not stop a run; a folder that yields no
image at all is a :class:`DatasetError`. An optional on-disk cache lets a
re-run skip decoding entirely.
"""
import collections
import dataclasses
import numbers
import os
import re
import warnings

import numpy

from dcgan.data import cache, decode

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp')
MIN_RESOLUTION = 8
MAX_RESOLUTION = 2048
CHANNELS = (1, 3)

_SUPPORTED = ', '.join(ext[1:] for ext in IMAGE_EXTENSIONS)

_NAMED_COLOURS = {
    'black': (0, 0, 0),
    'white': (255, 255, 255),
    'gray': (128, 128, 128),
    'grey': (128, 128, 128),
}


class DatasetError(ValueError):
    """The image folder or a loading option cannot be used."""


class SkippedImageWarning(UserWarning):
    """One image file could not be used and was left out."""


@dataclasses.dataclass
class ImageFolder:
    """Images loaded from a folder.

    ``images`` is uint8 of shape (N, C, H, W) with H == W == ``resolution``;
    ``paths[i]`` is the file ``images[i]`` came from; ``skipped`` lists
    ``(path, reason)`` for each file that could not be used.
    """
    images: numpy.ndarray
    paths: list
    skipped: list
    resolution: int
    channels: int


def find_image_files(root):
    """All image files under ``root`` (recursive), sorted.

    Extensions are matched case-insensitively; hidden files and folders
    (names starting with '.') are ignored.
    """
    _check_folder(root)
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith('.'))
        for name in files:
            if name.startswith('.'):
                continue
            if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                found.append(os.path.join(folder, name))
    # Sort on the path relative to root so the order does not depend on how
    # root was spelled.
    return sorted(found, key=lambda p: os.path.relpath(p, root).split(os.sep))


def parse_background(text):
    """Parse a background colour: a name, '#rrggbb' or 'r,g,b' -> (r, g, b).

    Names: black (the default), white, gray/grey.
    """
    if text is None:
        return _NAMED_COLOURS['black']
    value = str(text).strip().lower()
    if value in _NAMED_COLOURS:
        return _NAMED_COLOURS[value]
    if re.fullmatch(r'#[0-9a-f]{6}', value):
        return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
    parts = value.split(',')
    if len(parts) == 3 and all(re.fullmatch(r'\s*\d{1,3}\s*', p)
                               for p in parts):
        rgb = tuple(int(p) for p in parts)
        if all(0 <= c <= 255 for c in rgb):
            return rgb
    raise DatasetError(
        'background {!r} is not a colour: use black, white, gray, '
        '#rrggbb (e.g. #ff8800) or r,g,b with values 0-255 '
        '(e.g. 255,136,0)'.format(text))


def load_image_folder(root, resolution=None, channels=3, background=(0, 0, 0),
                      fit='pad', cache_dir=None):
    """Load every usable image under ``root`` into memory.

    Args:
        root: folder searched recursively (see :func:`find_image_files`).
        resolution: side of the square output images; None uses the size of
            the images if they are all square and of one size.
        channels: 3 for RGB, 1 for luminance.
        background: (r, g, b) or a string for :func:`parse_background`;
            transparent pixels and padding get this colour.
        fit: 'pad' (fit inside the square, pad, keep aspect) or 'crop'
            (centre square, then resize).
        cache_dir: folder for an .npz cache keyed by the files (paths, sizes,
            modification times) and these options; None disables it.

    Returns:
        :class:`ImageFolder`.

    Raises:
        DatasetError: the folder or an option cannot be used.
    """
    resolution = _check_resolution(resolution)
    channels = _check_channels(channels)
    background = _check_background(background)
    if fit not in decode.FITS:
        raise DatasetError('fit must be pad or crop, not {!r}'.format(fit))
    files = find_image_files(root)
    if not files:
        raise DatasetError(
            '{} contains no image file (searched it and its subfolders for '
            '{}; hidden files are ignored)'.format(root, _SUPPORTED))
    options = {'resolution': resolution, 'channels': channels,
               'background': list(background), 'fit': fit}

    cache_path = None
    if cache_dir is not None:
        cache_path = cache.cache_path(cache_dir, files, options)
        cached = cache.read(cache_path, files, channels)
        if cached is not None:
            folder = ImageFolder(channels=channels, **cached)
            _warn_skipped(folder.skipped, stacklevel=3)
            return folder

    folder = _decode_all(root, files, resolution, channels, background, fit)
    if cache_path is not None:
        cache.write(cache_path, folder, files)
    return folder


def _check_folder(root):
    if not os.path.exists(root):
        raise DatasetError(
            'image folder {} does not exist: give the path of a folder that '
            'holds image files ({})'.format(root, _SUPPORTED))
    if not os.path.isdir(root):
        raise DatasetError(
            '{} is not a folder: give the folder that holds the image files, '
            'not a single file'.format(root))


def _check_resolution(resolution):
    if resolution is None:
        return None
    if (isinstance(resolution, bool)
            or not isinstance(resolution, numbers.Integral)
            or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION):
        raise DatasetError(
            'resolution {!r} cannot be used: give a whole number of pixels '
            'from {} to {} (e.g. 32, 64 or 128)'.format(
                resolution, MIN_RESOLUTION, MAX_RESOLUTION))
    return int(resolution)


def _check_channels(channels):
    if isinstance(channels, bool) or channels not in CHANNELS:
        raise DatasetError(
            'channels {!r} cannot be used: give 3 (RGB) or 1 (grayscale)'
            .format(channels))
    return int(channels)


def _check_background(background):
    if background is None or isinstance(background, str):
        return parse_background(background)
    try:
        rgb = tuple(int(c) for c in background)
    except (TypeError, ValueError):
        rgb = ()
    if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
        raise DatasetError(
            'background {!r} is not a colour: give (r, g, b) with values '
            '0-255 or a string such as "white" or "#ff8800"'.format(background))
    return rgb


def _warn_skipped(skipped, stacklevel=4):
    for path, reason in skipped:
        warnings.warn(SkippedImageWarning(
            'skipped {}: {}'.format(path, reason)), stacklevel=stacklevel)


def _decode_all(root, files, resolution, channels, background, fit):
    arrays = []
    paths = []
    skipped = []
    sizes = collections.Counter()
    # JPEG can decode at a reduced scale; keep 2x headroom for quality.
    draft_size = 2 * resolution if resolution else None
    for path in files:
        try:
            image = decode.decode_image(path, channels, background,
                                              draft_size)
        except decode.UnreadableImageError as e:
            skipped.append((path, str(e)))
            _warn_skipped([(path, str(e))])
            continue
        paths.append(path)
        if resolution is None:
            # Keep pixels only while every image so far is one square size;
            # otherwise we are going to raise and only need the sizes.
            sizes[image.size] += 1
            if len(sizes) == 1 and image.size[0] == image.size[1]:
                arrays.append(decode.to_chw(image))
            else:
                arrays = []
        else:
            arrays.append(decode.to_chw(decode.fit_square(
                image, resolution, fit, background)))

    if not paths:
        first_path, first_reason = skipped[0]
        raise DatasetError(
            '{} contains no usable image: {} file{} skipped (first: {}: {}). '
            'Supported: {}'.format(
                root, len(skipped), ' was' if len(skipped) == 1 else 's were',
                os.path.relpath(first_path, root), first_reason, _SUPPORTED))
    if resolution is None:
        resolution = _inferred_resolution(root, sizes)
    return ImageFolder(images=numpy.stack(arrays), paths=paths,
                       skipped=skipped, resolution=resolution,
                       channels=channels)


def _inferred_resolution(root, sizes):
    width, height = next(iter(sizes)) if len(sizes) == 1 else (None, None)
    if width is not None and width == height:
        if not MIN_RESOLUTION <= width <= MAX_RESOLUTION:
            raise DatasetError(
                'the images in {} are {}x{}, outside {}..{}: give a '
                'resolution (--resolution) to resize them'.format(
                    root, width, height, MIN_RESOLUTION, MAX_RESOLUTION))
        return width
    found = ', '.join('{}x{} ({})'.format(w, h, n)
                      for (w, h), n in sizes.most_common(6))
    if len(sizes) > 6:
        found += ', ...'
    raise DatasetError(
        'the images in {} are not all square and of one size (found {}): '
        'give a resolution (e.g. --resolution 64) to resize them'.format(
            root, found))
