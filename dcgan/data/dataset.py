"""A Chainer dataset over uint8 images in memory, and its float32 converter.

Images stay uint8 (N, C, H, W) in host memory, four times smaller than
float32. Each batch is sent to the device as uint8 and converted there to
float32 in [0, 1], the range of the generator's sigmoid output.
"""
import chainer
import numpy

from dcgan.data.folder import DatasetError, ImageFolder


class ImageArrayDataset(chainer.dataset.DatasetMixin):
    """A Chainer dataset over a uint8 (N, C, H, W) array.

    ``get_example(i)`` returns ``images[i]``, a view (no copy). Accepts the
    array itself or an :class:`ImageFolder`.
    """

    def __init__(self, images):
        if isinstance(images, ImageFolder):
            images = images.images
        if getattr(images, 'dtype', None) != numpy.uint8 or images.ndim != 4:
            raise DatasetError(
                'ImageArrayDataset needs a uint8 array of shape (N, C, H, W), '
                'got {} {}'.format(getattr(images, 'dtype', type(images)),
                                   getattr(images, 'shape', '')))
        self._images = images

    @property
    def images(self):
        return self._images

    def __len__(self):
        return len(self._images)

    def get_example(self, i):
        return self._images[i]


@chainer.dataset.converter()
def to_float_batch(batch, device=None):
    """Chainer converter: uint8 images -> float32 (N, C, H, W) in [0, 1].

    ``batch`` is a list of uint8 (C, H, W) arrays (what an iterator over
    :class:`ImageArrayDataset` yields) or a uint8 (N, C, H, W) array.
    ``device`` is a Chainer device (or a device specifier, or None for
    NumPy). The uint8 batch is transferred first and converted on the
    device, so the transfer is a quarter of the float32 size and the
    float32 array is allocated once, where it is used.
    """
    if isinstance(batch, (list, tuple)):
        if not batch:
            raise ValueError('to_float_batch got an empty batch')
        xp = chainer.backend.get_array_module(batch[0])
        batch = xp.stack(batch)
    if batch.dtype != numpy.uint8:
        raise TypeError('to_float_batch expects uint8 images, got {}'.format(
            batch.dtype))
    if device is None:
        xp = chainer.backend.get_array_module(batch)
    else:
        batch = device.send(batch)
        xp = device.xp
    if hasattr(xp, 'true_divide'):
        # NumPy and CuPy: one pass, one float32 allocation, 255 -> exactly 1.
        return xp.true_divide(batch, xp.float32(255), dtype=xp.float32)
    out = batch.astype(numpy.float32)  # ChainerX
    out /= 255
    return out


class LabelledArrayDataset(ImageArrayDataset):
    """:class:`ImageArrayDataset` whose examples are ``(image, class id)``."""

    def __init__(self, images, labels):
        super(LabelledArrayDataset, self).__init__(images)
        labels = numpy.asarray(labels)
        if labels.shape != (len(self.images),) or labels.dtype.kind not in 'iu':
            raise DatasetError('LabelledArrayDataset needs one integer label per image, '
                               'got {} {} for {} images'.format(
                                   labels.dtype, labels.shape, len(self.images)))
        self._labels = labels.astype(numpy.int32)

    @property
    def labels(self):
        return self._labels

    def get_example(self, i):
        return self._images[i], self._labels[i]


@chainer.dataset.converter()
def to_labelled_batch(batch, device=None):
    """Chainer converter: [(uint8 image, id), ...] -> (float32 images as
    :func:`to_float_batch` makes them, int32 ids), both on ``device``."""
    if not batch:
        raise ValueError('to_labelled_batch got an empty batch')
    images = to_float_batch([image for image, _ in batch], device)
    labels = numpy.array([label for _, label in batch], dtype=numpy.int32)
    if device is not None:
        labels = device.send(labels)
    return images, labels
