"""Paired sets for image-to-image translation: inputs A aligned with targets B.

Three sources, every file through ``decode.py`` as any other image (EXIF,
palette, 16-bit, alpha onto ``background``, ``fit`` into a square):

- :func:`load_side_by_side`: files holding A|B side by side, split at the
  middle (``direction='BtoA'`` takes the right half as the input);
- :func:`load_matched_folders`: a folder with sub-folders ``A/`` and ``B/``
  whose files are matched by relative path without extension; unmatched
  files are listed, and a folder where nothing matches is refused;
- :func:`load_derived`: one folder of ordinary images whose inputs a rule of
  ``dcgan.data.make_input`` makes (line art, gray, downscaled, masked).

Pairs are loaded at ``load_size`` (at least the training ``resolution``);
:func:`crop_and_flip` then cuts the same window, and flips the same way,
both halves of each pair, so they stay aligned pixel for pixel.
:func:`holdout_split` sets a seeded held-out part aside once.
"""
import dataclasses
import os
import warnings

import chainer
import numpy

from dcgan.data import cache, decode, make_input
from dcgan.data.folder import (DatasetError, ImageFolder, SkippedImageWarning,
                               _check_background, _check_channels, _check_resolution,
                               find_image_files, load_image_folder)

DIRECTIONS = ('AtoB', 'BtoA')


class UnmatchedPairWarning(UserWarning):
    """Files in A/ or B/ without a partner of the same name were left out."""


@dataclasses.dataclass
class PairedSet:
    """Aligned pairs in memory.

    ``inputs`` uint8 (N, Ca, S, S) and ``targets`` uint8 (N, Cb, S, S) at the
    load size S; ``names[i]`` is pair i's file (or relative name);
    ``skipped`` lists (path, reason); ``unmatched`` the relative paths of A/
    and B/ files that had no partner; ``source`` says where pairs came from.
    """
    inputs: numpy.ndarray
    targets: numpy.ndarray
    names: list
    skipped: list
    unmatched: list
    source: str
    make_input: str = None

    @property
    def load_size(self):
        return self.targets.shape[2]

    def subset(self, index):
        index = numpy.asarray(index, dtype=numpy.int64)
        return dataclasses.replace(self, inputs=self.inputs[index], targets=self.targets[index],
                                   names=[self.names[i] for i in index])


def _options(load_size, input_channels, channels, background, fit):
    return dict(resolution=_check_resolution(load_size),
                input_channels=_check_channels(input_channels),
                channels=_check_channels(channels),
                background=_check_background(background), fit=fit)


def _warn_skipped(path, reason):
    warnings.warn(SkippedImageWarning('skipped {}: {}'.format(path, reason)), stacklevel=4)


def _as_chw(image, channels, size, fit, background):
    image = image.convert('L' if channels == 1 else 'RGB')
    return decode.to_chw(decode.fit_square(image, size, fit, background))


def _cached(cache_dir, files, options, decode_all):
    """A and B joined on the channel axis, through the decoded-image cache."""
    channels = options['input_channels'] + options['channels']
    path = None
    if cache_dir:
        key = dict(options, background=list(options['background']), paired=decode_all.__name__)
        path = cache.cache_path(cache_dir, files, key)
        found = cache.read(path, files, channels)
        if found is not None:
            for p, reason in found['skipped']:
                _warn_skipped(p, reason)
            return found['images'], found['paths'], found['skipped']
    images, used, skipped = decode_all()
    if path is not None and len(used):
        cache.write(path, ImageFolder(images=images, paths=used, skipped=skipped,
                                      resolution=options['resolution'], channels=channels),
                    files)
    return images, used, skipped


def _split(joined, input_channels):
    return (numpy.ascontiguousarray(joined[:, :input_channels]),
            numpy.ascontiguousarray(joined[:, input_channels:]))


def _none_usable(root, skipped):
    path, reason = skipped[0]
    return DatasetError('{} contains no usable pair: {} file(s) skipped (first: {}: {})'.format(
        root, len(skipped), os.path.relpath(path, root), reason))


def load_side_by_side(root, load_size=256, direction='AtoB', input_channels=3, channels=3,
                      background=(0, 0, 0), fit='crop', cache_dir=None):
    """A folder of A|B files (each half one image) -> :class:`PairedSet`."""
    if direction not in DIRECTIONS:
        raise DatasetError('direction must be AtoB or BtoA, not {!r}'.format(direction))
    options = _options(load_size, input_channels, channels, background, fit)
    files = find_image_files(root)
    if not files:
        raise DatasetError('{} contains no image file'.format(root))

    def side_by_side():
        joined, used, skipped = [], [], []
        for path in files:
            try:
                image = decode.decode_image(path, 3, options['background'])
            except decode.UnreadableImageError as e:
                skipped.append((path, str(e)))
                _warn_skipped(path, str(e))
                continue
            width, height = image.size
            if width < 2:
                skipped.append((path, 'too narrow to hold two halves ({} px)'.format(width)))
                _warn_skipped(path, skipped[-1][1])
                continue
            half = width // 2
            left, right = image.crop((0, 0, half, height)), image.crop((half, 0, 2 * half, height))
            a, b = (left, right) if direction == 'AtoB' else (right, left)
            joined.append(numpy.concatenate([
                _as_chw(a, options['input_channels'], options['resolution'], fit,
                        options['background']),
                _as_chw(b, options['channels'], options['resolution'], fit,
                        options['background'])]))
            used.append(path)
        return _stack(joined, options), used, skipped

    key = dict(options, direction=direction)
    images, used, skipped = _cached(cache_dir, files, key, side_by_side)
    if not used:
        raise _none_usable(root, skipped)
    a, b = _split(images, options['input_channels'])
    return PairedSet(a, b, list(used), list(skipped), [], 'side-by-side A|B files ({})'.format(
        direction))


def _stack(arrays, options):
    if arrays:
        return numpy.stack(arrays)
    channels = options['input_channels'] + options['channels']
    size = options['resolution']
    return numpy.empty((0, channels, size, size), numpy.uint8)


def looks_like_matched_folders(root):
    return all(os.path.isdir(os.path.join(root, name)) for name in ('A', 'B'))


def _by_stem(folder):
    found = {}
    for path in find_image_files(folder):
        stem = os.path.splitext(os.path.relpath(path, folder))[0].replace(os.sep, '/')
        found.setdefault(stem, path)
    return found


def match_folders(root):
    """([(name, A file, B file)], [unmatched relative paths]) of ``root/A``, ``root/B``."""
    a, b = _by_stem(os.path.join(root, 'A')), _by_stem(os.path.join(root, 'B'))
    common = sorted(set(a) & set(b))
    unmatched = sorted(['A/' + os.path.relpath(a[s], os.path.join(root, 'A')) for s in a
                        if s not in b]
                       + ['B/' + os.path.relpath(b[s], os.path.join(root, 'B')) for s in b
                          if s not in a])
    if not common:
        raise DatasetError(
            '{}: no file in A/ has a partner of the same name in B/ (A/ holds {}, B/ holds {});'
            ' name each pair alike, e.g. A/0001.png and B/0001.jpg'.format(
                root, _some(sorted(a)), _some(sorted(b))))
    return [(s, a[s], b[s]) for s in common], unmatched


def _some(names, limit=4):
    if not names:
        return 'nothing'
    shown = ', '.join(names[:limit])
    return shown + (', ... ({} in all)'.format(len(names)) if len(names) > limit else '')


def load_matched_folders(root, load_size=256, input_channels=3, channels=3,
                         background=(0, 0, 0), fit='crop', cache_dir=None):
    """``root/A`` and ``root/B`` matched by relative name -> :class:`PairedSet`."""
    options = _options(load_size, input_channels, channels, background, fit)
    matched, unmatched = match_folders(root)
    if unmatched:
        warnings.warn(UnmatchedPairWarning('{} file(s) without a partner of the same name were '
                                           'left out: {}'.format(len(unmatched),
                                                                 _some(unmatched, 10))),
                      stacklevel=2)
    files = [p for _, a, b in matched for p in (a, b)]

    def matched_folders():
        joined, used, skipped = [], [], []
        for name, a_path, b_path in matched:
            halves = []
            for path, ch in ((a_path, options['input_channels']), (b_path, options['channels'])):
                try:
                    image = decode.decode_image(path, ch, options['background'])
                except decode.UnreadableImageError as e:
                    skipped.append((path, str(e)))
                    _warn_skipped(path, str(e))
                    break
                halves.append(_as_chw(image, ch, options['resolution'], fit,
                                      options['background']))
            if len(halves) == 2:
                joined.append(numpy.concatenate(halves))
                used.append(a_path)
        return _stack(joined, options), used, skipped

    images, used, skipped = _cached(cache_dir, files, options, matched_folders)
    if not used:
        raise _none_usable(root, skipped)
    names = {a: name for name, a, _ in matched}
    a, b = _split(images, options['input_channels'])
    return PairedSet(a, b, [names.get(p, p) for p in used], list(skipped), unmatched,
                     'A/ and B/ matched by name')


def derive_pairs(targets, rule, names, skipped=(), source=None):
    """A :class:`PairedSet` whose inputs ``rule`` makes from uint8 ``targets``."""
    return PairedSet(make_input.make_inputs(targets, rule), targets, list(names), list(skipped),
                     [], source or 'inputs made by --make-input {}'.format(rule), rule)


def load_derived(root, rule, load_size=256, channels=3, background=(0, 0, 0), fit='crop',
                 cache_dir=None):
    """One folder of ordinary images; the inputs are made by ``rule``."""
    make_input.check_rule(rule)
    folder = load_image_folder(root, resolution=load_size, channels=channels,
                               background=background, fit=fit, cache_dir=cache_dir)
    return derive_pairs(folder.images, rule, folder.paths, folder.skipped)


def holdout_split(n, n_holdout, seed=0):
    """(training indices, held-out indices), both sorted: ``n_holdout`` of
    ``n`` pairs chosen by ``seed``, the same every time."""
    n_holdout = int(n_holdout)
    if not 0 <= n_holdout < n:
        raise DatasetError('cannot hold out {} of {} pairs: at least one must be left to '
                           'train on (use a held-out count below {})'.format(n_holdout, n, n))
    order = numpy.random.default_rng([int(seed), 19]).permutation(n)
    return numpy.sort(order[n_holdout:]), numpy.sort(order[:n_holdout])


def crop_and_flip(a, b, size, tops, lefts, flips):
    """The same ``size`` (h, w) window and horizontal flip for both halves.

    ``a``, ``b``: (N, C, S, S') arrays; ``tops``/``lefts``: N window corners;
    ``flips``: N booleans. Returns two new C-contiguous arrays.
    """
    h, w = size
    n = len(a)
    out_a = numpy.empty((n, a.shape[1], h, w), a.dtype)
    out_b = numpy.empty((n, b.shape[1], h, w), b.dtype)
    for i in range(n):
        t, l = int(tops[i]), int(lefts[i])
        step = -1 if flips[i] else 1
        out_a[i] = a[i, :, t:t + h, l:l + w][..., ::step]
        out_b[i] = b[i, :, t:t + h, l:l + w][..., ::step]
    return out_a, out_b


def centre_crop(images, size):
    """The centred (h, w) window of (N, C, S, S') images."""
    h, w = size
    top, left = (images.shape[2] - h) // 2, (images.shape[3] - w) // 2
    return numpy.ascontiguousarray(images[:, :, top:top + h, left:left + w])


class PairedArrayDataset(chainer.dataset.DatasetMixin):
    """A Chainer dataset whose examples are ``(input, target)`` uint8 views."""

    def __init__(self, inputs, targets):
        if inputs.dtype != numpy.uint8 or targets.dtype != numpy.uint8 \
                or len(inputs) != len(targets) or inputs.shape[2:] != targets.shape[2:]:
            raise DatasetError('PairedArrayDataset needs uint8 inputs and targets of one size, '
                               'one per pair; got {} {} and {} {}'.format(
                                   inputs.dtype, inputs.shape, targets.dtype, targets.shape))
        self.inputs, self.targets = inputs, targets

    def __len__(self):
        return len(self.inputs)

    def get_example(self, i):
        return self.inputs[i], self.targets[i]
