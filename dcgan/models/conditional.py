"""Class conditioning: the pieces the nets add when ``n_classes > 0``.

Labels reach the nets in two forms. The discriminator takes int32 class ids
(B,). The generator takes either ids or (B, K) float class weights, a mix
of classes: a row ``0.3 * onehot(a) + 0.7 * onehot(b)`` draws a picture 70 %
of the way from class a to class b at the same z (the class-morph GIFs).

``CategoricalBatchNormalization`` is the generator's conditioning for
``cond='bn'`` (sngan_projection's categorical conditional batch norm, with
one change): the scale and shift of class y are ``gamma + class_gamma[y]``
and ``beta + class_beta[y]``. The per-class tables start at zero, so a new
conditional generator is the unconditional one, an unconditional file's
``gamma``/``beta`` are the shared base, and running statistics stay shared
by all classes (per-class statistics would come from ~5 images a batch).
"""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from dcgan.models import layers

GENERATOR_CONDS = ('bn', 'concat')
DISCRIMINATOR_CONDS = ('proj', 'concat', 'acgan', 'semi')


def class_weights(y, n_classes, xp):
    """(B,) int class ids or (B, K) float weights -> (B, K) float32 weights."""
    y = getattr(y, 'array', y)
    y = xp.asarray(y)
    if y.ndim == 1 and y.dtype.kind in 'iu':
        if len(y) and (int(y.min()) < 0 or int(y.max()) >= n_classes):
            raise ValueError('class ids must be in 0..{}, got {}..{}'.format(
                n_classes - 1, int(y.min()), int(y.max())))
        return xp.eye(n_classes, dtype=numpy.float32)[y]
    if y.ndim == 2 and y.shape[1] == n_classes:
        return y.astype(numpy.float32, copy=False)
    raise ValueError(
        'labels must be (B,) int class ids or (B, {}) class weights, got {} {}'
        .format(n_classes, y.dtype, y.shape))


def class_planes(y, n_classes, shape, xp):
    """One-hot planes (B, K, H, W) of the class ids ``y``, for concatenation."""
    w = class_weights(y, n_classes, xp)
    b, _, h, w_ = shape
    return xp.broadcast_to(w[:, :, None, None], (b, n_classes, h, w_))


def encode_names(names):
    """Class names as a uint8 array (UTF-8, one per line), to save in npz
    files beside the weights: a file then carries its own class names."""
    text = '\n'.join(names)
    return numpy.frombuffer(text.encode('utf-8'), dtype=numpy.uint8).copy()


def decode_names(array):
    """The inverse of :func:`encode_names`."""
    data = bytes(numpy.asarray(array, dtype=numpy.uint8).tobytes())
    return data.decode('utf-8').split('\n') if data else []


def check_names(names, n_classes):
    """Class names for ``n_classes`` classes: ``names`` checked, or
    class0..classK-1 when None."""
    if names is None:
        return ['class{}'.format(k) for k in range(n_classes)]
    names = [str(n) for n in names]
    if len(names) != n_classes:
        raise ValueError('{} class names for {} classes'.format(len(names), n_classes))
    bad = [n for n in names if not n or '\n' in n]
    if bad or len(set(names)) != len(names):
        raise ValueError('class names must be distinct, non-empty and on one '
                         'line each, got {}'.format(names))
    return names


class CategoricalBatchNormalization(L.BatchNormalization):
    """Batch norm whose scale and shift depend on the class.

    Args:
        size: number of channels.
        n_classes: number of classes K.

    Attributes:
        gamma, beta: the shared scale and shift (those of a plain
            ``L.BatchNormalization``, so unconditional files load into them).
        class_gamma, class_beta: (K, size) per-class offsets, zero at first.
    """

    def __init__(self, size, n_classes, **kwargs):
        super(CategoricalBatchNormalization, self).__init__(size, **kwargs)
        self.n_classes = n_classes
        with self.init_scope():
            self.class_gamma = chainer.Parameter(
                chainer.initializers.Zero(), (n_classes, size))
            self.class_beta = chainer.Parameter(
                chainer.initializers.Zero(), (n_classes, size))

    def forward(self, x, weights):
        """``x`` (B, C, H, W) normalised, then scaled and shifted by the
        classes in ``weights`` (B, K) float32."""
        x_hat = layers.normalize(self, x)
        gamma = F.matmul(weights, self.class_gamma) + F.broadcast_to(
            self.gamma, (len(weights), self.gamma.shape[0]))
        beta = F.matmul(weights, self.class_beta) + F.broadcast_to(
            self.beta, (len(weights), self.beta.shape[0]))
        extra = (1,) * (x.ndim - 2)
        gamma = gamma.reshape(gamma.shape + extra)
        beta = beta.reshape(beta.shape + extra)
        return x_hat * F.broadcast_to(gamma, x_hat.shape) + F.broadcast_to(beta, x_hat.shape)


def projection(embed, h, y):
    """sngan_projection's class term: embed(y) . (h summed over H, W), (B, 1)."""
    pooled = F.sum(h, axis=(2, 3))
    return F.sum(embed(y) * pooled, axis=1, keepdims=True)


def class_scores(embed, h):
    """The projection term for every class at once, (B, K): the logits of
    the class-matching loss (Dual Projection GAN, Han et al. 2021)."""
    return F.linear(F.sum(h, axis=(2, 3)), embed.W)


def cycled_labels(n, n_classes):
    """int32 ids 0, 1, ..., K-1, 0, 1, ... for ``n`` fixed samples: every
    class equally often, the same on every call."""
    return (numpy.arange(n) % n_classes).astype(numpy.int32)


def shown_classes(n_classes, rows):
    """The classes a grid of ``rows`` rows shows: all when they fit, else
    ``rows`` evenly spaced ones (as sngan_projection's previews pick them)."""
    if n_classes <= rows:
        return list(range(n_classes))
    return [k * n_classes // rows for k in range(rows)]


def morph_weights(classes, n_classes, frames_per_segment, closed=True):
    """(frames, K) class weights morphing linearly through ``classes``.

    Frame ``i * frames_per_segment`` is the pure ``classes[i]``; between
    them the weights move in a straight line. ``closed`` goes on from the
    last class back to the first (a looping GIF), otherwise the last frame
    is the pure last class.
    """
    classes = [int(c) for c in classes]
    if len(classes) < 2:
        raise ValueError('a morph needs at least two classes, got {}'.format(classes))
    if any(not 0 <= c < n_classes for c in classes):
        raise ValueError('classes must be in 0..{}, got {}'.format(n_classes - 1, classes))
    steps = int(frames_per_segment)
    if steps < 1:
        raise ValueError('frames_per_segment must be at least 1, got {}'.format(steps))
    eye = numpy.eye(n_classes, dtype=numpy.float32)
    ends = classes + [classes[0]] if closed else classes
    t = (numpy.arange(steps, dtype=numpy.float32) / steps)[:, None]
    frames = [(1 - t) * eye[a] + t * eye[b] for a, b in zip(ends[:-1], ends[1:])]
    if not closed:
        frames.append(eye[ends[-1]][None])
    return numpy.concatenate(frames).astype(numpy.float32)
