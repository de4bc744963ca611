"""The decoded-image cache (``--cache DIR``): a re-run skips decoding.

One ``.npz`` per set of files and loading options, keyed by the files'
paths, sizes and modification times, the options, Pillow's version and
CACHE_VERSION. Anything wrong with a cache file only means decoding again.
"""
import hashlib
import json
import os
import tempfile
import warnings

import numpy
import PIL

from dcgan.data import decode

# Bump when decoding changes so that old cache files are not reused.
CACHE_VERSION = 1


def cache_path(cache_dir, files, options):
    """The cache file for these files (paths, sizes, modification times) and
    loading options, in ``cache_dir``."""
    return os.path.join(cache_dir, 'imagefolder-{}.npz'.format(_key(files, options)))


def _key(files, options):
    entries = []
    for path in files:
        try:
            st = os.stat(path)
            entries.append([os.path.abspath(path), st.st_size, st.st_mtime_ns])
        except OSError:
            entries.append([os.path.abspath(path), -1, -1])
    description = {
        'version': CACHE_VERSION,
        'pillow': PIL.__version__,
        'max_pixels': decode.MAX_PIXELS,
        'options': options,
        'files': entries,
    }
    text = json.dumps(description, sort_keys=True)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def read(cache_path, files, channels):
    """The cached folder as ImageFolder's fields (images, paths, skipped,
    resolution), or None if absent, unreadable or inconsistent."""
    if not os.path.isfile(cache_path):
        return None
    try:
        with numpy.load(cache_path, allow_pickle=False) as data:
            images = data['images']
            used = data['used'].astype(numpy.int64)
            skipped_index = data['skipped_index'].astype(numpy.int64)
            reasons = [str(r) for r in data['skipped_reason']]
            resolution = int(data['resolution'])
    except Exception:  # any damage at all: rebuild rather than fail
        return None
    n = len(files)
    consistent = (
        images.dtype == numpy.uint8 and images.ndim == 4
        and images.shape == (len(used), channels, resolution, resolution)
        and len(skipped_index) == len(reasons)
        and len(used) + len(skipped_index) == n
        and all(0 <= i < n for i in used)
        and all(0 <= i < n for i in skipped_index))
    if not consistent:
        return None
    return dict(images=images, paths=[files[i] for i in used],
                skipped=[(files[i], r) for i, r in zip(skipped_index, reasons)],
                resolution=resolution)


def write(cache_path, folder, files):
    """Write ``folder`` (an ImageFolder) to the cache atomically; a failure
    only costs the next run time."""
    index = {path: i for i, path in enumerate(files)}
    cache_dir = os.path.dirname(cache_path) or '.'
    tmp_path = None
    try:
        os.makedirs(cache_dir, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(
            dir=cache_dir, prefix='.imagefolder-', suffix='.tmp')
        with os.fdopen(fd, 'wb') as f:
            numpy.savez(
                f, images=folder.images,
                used=numpy.array([index[p] for p in folder.paths],
                                 dtype=numpy.int64),
                skipped_index=numpy.array(
                    [index[p] for p, _ in folder.skipped], dtype=numpy.int64),
                skipped_reason=numpy.array(
                    [r for _, r in folder.skipped], dtype=numpy.str_),
                resolution=numpy.int64(folder.resolution))
        os.replace(tmp_path, cache_path)
    except OSError as e:
        if tmp_path is not None and os.path.exists(tmp_path):
            os.remove(tmp_path)
        warnings.warn('could not write the image cache {} ({}); the images '
                      'were loaded and will be decoded again next time'
                      .format(cache_path, e), stacklevel=3)
