"""Labelled image sets: classes from sub-folders or from a label file.

A folder whose immediate sub-folders hold images is a labelled set
(torchvision's ImageFolder rules): class = sub-folder, ids from the sorted
names (never from a set or os.listdir order, so ids are the same on every
run and machine), images found recursively inside each. A label file gives
the classes instead: Chainer's ``LabeledImageDataset`` text (``relpath
label`` per line) or StyleGAN2-ADA's ``dataset.json`` (``{"labels":
[[relpath, int], ...]}``), paths relative to the folder.

Images are decoded once by :func:`dcgan.data.folder.load_image_folder`
(EXIF, transparency, ``--fit``, the cache, bad files skipped and named);
labels are then attached by path. Unlabelled images (label -1) are kept
only when asked for (semi-supervised training).
"""
import dataclasses
import hashlib
import json
import os
import warnings

import numpy

from dcgan.data.folder import (DatasetError, IMAGE_EXTENSIONS, find_image_files,
                               load_image_folder)

UNLABELLED = -1
# Warn below this many images in a class, or when the largest class is
# this many times the smallest (the research note's suggestion: conditioning
# is reported to collapse below ~100 images a class).
FEW_IMAGES = 20
IMBALANCE = 5


class LabelWarning(UserWarning):
    """Something about the classes a user should know before training."""


@dataclasses.dataclass
class LabelledFolder:
    """Images with class ids.

    ``labels[i]`` is the class id of ``images[i]`` (an index into
    ``class_names``) or -1 when unlabelled; the other fields are those of
    :class:`dcgan.data.folder.ImageFolder`. ``source`` says where the labels
    came from ('folders' or the label file's path).
    """
    images: numpy.ndarray
    labels: numpy.ndarray
    class_names: list
    paths: list
    skipped: list
    resolution: int
    channels: int
    source: str

    @property
    def counts(self):
        """Images in each class, in class-id order."""
        return numpy.bincount(self.labels[self.labels >= 0],
                              minlength=len(self.class_names))

    @property
    def n_unlabelled(self):
        return int((self.labels < 0).sum())


def class_folders(root):
    """Sorted names of ``root``'s non-hidden sub-folders that hold images."""
    if not os.path.isdir(root):
        return []
    names = sorted(d for d in os.listdir(root)
                   if not d.startswith('.') and os.path.isdir(os.path.join(root, d)))
    return [d for d in names if _holds_images(os.path.join(root, d))]


def _holds_images(folder):
    for _, subfolders, files in os.walk(folder):
        subfolders[:] = [d for d in subfolders if not d.startswith('.')]
        if any(not f.startswith('.') and os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS
               for f in files):
            return True
    return False


def looks_labelled(root):
    """True when ``root`` has two or more class sub-folders (for a hint)."""
    return len(class_folders(root)) >= 2


def _relative(path, root):
    return os.path.relpath(path, root).replace(os.sep, '/')


def labels_from_folders(root, allow_unlabelled=False):
    """{relative path: class name} and the sorted class names of ``root``.

    Refuses (DatasetError) fewer than two classes, an empty class folder,
    and images lying beside the class folders unless ``allow_unlabelled``
    (then they are unlabelled).
    """
    files = find_image_files(root)
    subfolders = sorted(d for d in os.listdir(root)
                        if not d.startswith('.') and os.path.isdir(os.path.join(root, d)))
    names = [d for d in subfolders if _holds_images(os.path.join(root, d))]
    empty = [d for d in subfolders if d not in names]
    if empty:
        raise DatasetError(
            'class folder{} {} in {} hold{} no image: add images or remove {}'.format(
                's' if len(empty) > 1 else '', ', '.join(empty), root,
                '' if len(empty) > 1 else 's', 'them' if len(empty) > 1 else 'it'))
    if len(names) < 2:
        raise DatasetError(
            '{} has {} class sub-folder{} ({}); labelled training needs two or more '
            '(one folder of images per class), or a label file (--labels)'.format(
                root, len(names), '' if len(names) == 1 else 's', ', '.join(names) or 'none'))
    labels = {}
    loose = []
    for path in files:
        rel = _relative(path, root)
        if '/' in rel:
            labels[rel] = rel.split('/', 1)[0]
        else:
            loose.append(rel)
    if loose and not allow_unlabelled:
        raise DatasetError(
            '{} has {} image{} beside its class folders ({}{}): move {} into a class '
            'folder, or use --semi-supervised to train on {} unlabelled'.format(
                root, len(loose), 's' if len(loose) > 1 else '', ', '.join(loose[:3]),
                ', ...' if len(loose) > 3 else '', 'them' if len(loose) > 1 else 'it',
                'them' if len(loose) > 1 else 'it'))
    return labels, names


def read_label_file(path):
    """{relative path: class name} and the sorted class names of a label file.

    Text: ``relpath label`` per line (Chainer's LabeledImageDataset; the
    label is the last field, so paths may hold spaces; '#' starts a
    comment). JSON: StyleGAN2-ADA's ``{"labels": [[relpath, int], ...]}``.
    Integer labels sort by value, others by name.
    """
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError('label file {} cannot be read ({})'.format(path, e)) from None
    if path.lower().endswith('.json'):
        pairs = _json_pairs(path, text)
    else:
        pairs = _text_pairs(path, text)
    if not pairs:
        raise DatasetError('label file {} lists no image'.format(path))
    labels = {}
    for rel, label in pairs:
        rel = rel.replace('\\', '/')
        if rel.startswith('./'):
            rel = rel[2:]
        if rel in labels and labels[rel] != label:
            warnings.warn(LabelWarning(
                '{} is listed in {} with two labels ({} and {}); the first is used'
                .format(rel, path, labels[rel], label)), stacklevel=3)
            continue
        labels[rel] = label
    values = set(labels.values())
    if all(_is_int(v) for v in values):
        names = [str(v) for v in sorted(int(v) for v in values)]
        labels = {rel: str(int(v)) for rel, v in labels.items()}
    else:
        names = sorted(str(v) for v in values)
        labels = {rel: str(v) for rel, v in labels.items()}
    if len(names) < 2:
        raise DatasetError('label file {} names {} class ({}); labelled training needs '
                           'two or more'.format(path, len(names), ', '.join(names)))
    return labels, names


def _is_int(value):
    try:
        return str(int(value)) == str(value).strip() or isinstance(value, int)
    except (TypeError, ValueError):
        return False


def _text_pairs(path, text):
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        parts = line.rsplit(None, 1)
        if len(parts) != 2:
            raise DatasetError(
                '{} line {}: expected "relative/path.png label", found {!r}'.format(
                    path, number, line))
        pairs.append((parts[0], parts[1]))
    return pairs


def _json_pairs(path, text):
    try:
        data = json.loads(text)
    except ValueError as e:
        raise DatasetError('label file {} is not valid JSON ({})'.format(path, e)) from None
    labels = data.get('labels') if isinstance(data, dict) else None
    if not isinstance(labels, list) or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], str)
            and isinstance(p[1], (int, str)) and not isinstance(p[1], bool)
            for p in labels):
        raise DatasetError(
            'label file {} should hold {{"labels": [["relative/path.png", 0], ...]}} '
            '(StyleGAN2-ADA\'s dataset.json, one integer class per image)'.format(path))
    return [(p[0], p[1]) for p in labels]


def load_labelled_folder(root, label_file=None, allow_unlabelled=False, **load_options):
    """Load ``root``'s images with their classes.

    Classes come from ``label_file`` when given, else from ``root``'s
    sub-folders. ``load_options`` are :func:`load_image_folder`'s. With
    ``allow_unlabelled``, images with no class are kept with label -1.
    Warns (LabelWarning) on tiny or imbalanced classes and on the same
    picture in two classes; raises DatasetError on a class left empty.
    """
    if label_file:
        by_path, names = read_label_file(label_file)
        source = label_file
        _check_listed_files_exist(root, by_path, label_file)
    else:
        by_path, names = labels_from_folders(root, allow_unlabelled)
        source = 'folders'
    folder = load_image_folder(root, **load_options)
    ids = {name: k for k, name in enumerate(names)}
    labels = numpy.array([ids[by_path[_relative(p, root)]] if _relative(p, root) in by_path
                          else UNLABELLED for p in folder.paths], dtype=numpy.int32)
    keep = numpy.ones(len(labels), dtype=bool) if allow_unlabelled else labels >= 0
    result = LabelledFolder(
        images=folder.images[keep], labels=labels[keep], class_names=list(names),
        paths=[p for p, k in zip(folder.paths, keep) if k], skipped=folder.skipped,
        resolution=folder.resolution, channels=folder.channels, source=source)
    _check_classes(result, root)
    return result


def _check_listed_files_exist(root, by_path, label_file):
    missing = [rel for rel in by_path if not os.path.isfile(os.path.join(root, rel))]
    if missing:
        raise DatasetError(
            '{} lists {} file{} not found in {} ({}{}): paths in a label file are '
            'relative to the --dataset folder'.format(
                label_file, len(missing), 's' if len(missing) > 1 else '', root,
                ', '.join(missing[:3]), ', ...' if len(missing) > 3 else ''))


def _check_classes(folder, root):
    counts = folder.counts
    names = folder.class_names
    empty = [names[k] for k in range(len(names)) if counts[k] == 0]
    if empty:
        raise DatasetError(
            'class{} {} in {} ha{} no usable image (the others were skipped or not '
            'listed): add images or remove the class'.format(
                'es' if len(empty) > 1 else '', ', '.join(empty), root,
                've' if len(empty) > 1 else 's'))
    few = [names[k] for k in range(len(names)) if counts[k] < FEW_IMAGES]
    if few:
        warnings.warn(LabelWarning(
            'class{} {} ha{} fewer than {} images: a conditional GAN tends to copy or '
            'collapse on so few (--cond-warmup helps)'.format(
                'es' if len(few) > 1 else '', ', '.join(few),
                've' if len(few) > 1 else 's', FEW_IMAGES)), stacklevel=2)
    if counts.max() > IMBALANCE * counts.min():
        big, small = int(counts.argmax()), int(counts.argmin())
        warnings.warn(LabelWarning(
            'classes are imbalanced: {} has {} images and {} has {}; fake labels follow '
            'the data\'s frequencies (--label-sampling uniform balances both)'.format(
                names[big], counts[big], names[small], counts[small])), stacklevel=2)
    _warn_duplicates(folder)


def _warn_duplicates(folder):
    """The same picture (after decoding) in two classes is named."""
    seen = {}
    reported = set()
    for i, image in enumerate(folder.images):
        if folder.labels[i] < 0:
            continue
        key = hashlib.sha1(numpy.ascontiguousarray(image).tobytes()).hexdigest()
        j = seen.setdefault(key, i)
        if j != i and folder.labels[j] != folder.labels[i] and key not in reported:
            reported.add(key)
            warnings.warn(LabelWarning(
                'the same picture is in two classes: {} ({}) and {} ({})'.format(
                    folder.paths[j], folder.class_names[folder.labels[j]],
                    folder.paths[i], folder.class_names[folder.labels[i]])), stacklevel=3)


def summary(folder):
    """'disc 85, maki 90, ring 81' (and the unlabelled count)."""
    text = ', '.join('{} {}'.format(n, int(c)) for n, c in zip(folder.class_names, folder.counts))
    if folder.n_unlabelled:
        text += '; {} unlabelled'.format(folder.n_unlabelled)
    return text


def class_frequencies(labels, n_classes):
    """Each class's share of the labelled images, float64 summing to 1."""
    counts = numpy.bincount(labels[labels >= 0], minlength=n_classes).astype(numpy.float64)
    return counts / counts.sum()

