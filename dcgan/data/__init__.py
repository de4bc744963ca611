"""The data stage: image files -> uint8 (N, C, H, W) arrays in memory.

``folder`` finds and loads a folder (``decode`` reads one file), ``demo``
draws the built-in demo images, ``labels`` attaches classes (sub-folders or
a label file), and ``dataset`` wraps the arrays as a
Chainer dataset with the converter that makes float32 batches on the
device. Nothing here imports the models or training: data flows one way.
The names callers need are importable from ``dcgan.data`` itself.
"""
from dcgan.data.dataset import (ImageArrayDataset, LabelledArrayDataset, to_float_batch,
                                to_labelled_batch)
from dcgan.data.folder import (CHANNELS, IMAGE_EXTENSIONS, MAX_RESOLUTION, MIN_RESOLUTION,
                               DatasetError, ImageFolder, SkippedImageWarning,
                               find_image_files, load_image_folder, parse_background)
from dcgan.data.labels import (LabelledFolder, LabelWarning, load_labelled_folder,
                               looks_labelled)

__all__ = [
    'CHANNELS', 'IMAGE_EXTENSIONS', 'MAX_RESOLUTION', 'MIN_RESOLUTION',
    'DatasetError', 'ImageArrayDataset', 'ImageFolder', 'LabelledArrayDataset',
    'LabelledFolder', 'LabelWarning', 'SkippedImageWarning',
    'find_image_files', 'load_image_folder', 'load_labelled_folder', 'looks_labelled',
    'parse_background', 'to_float_batch', 'to_labelled_batch',
]
