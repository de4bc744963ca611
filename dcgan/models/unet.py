"""pix2pix's U-Net generator, its depth worked out from the resolution.

``n_down`` stride-2 4x4 convolutions halve the image down to the bottleneck
(by default to 1 px on the shorter side, the paper's layout: 8 at 256 px, 6
at 64 px); as many 4x4 deconvolutions double it back, each joined to the
encoder map of its size (the skips). Widths are ``ngf * min(2 ** k, 8)``.
As in the paper: leaky ReLU 0.2 down, ReLU up, no normalisation on the first
layer or on the bottleneck (where batch 1 or instance norm would zero a 1x1
map), dropout 0.5 on the three innermost decoder layers as the only noise,
and a tanh out. Images in and out are float32 in [0, 1] as everywhere in
this project; inside, the net works on [-1, 1] as the paper's does.

Dropout draws its mask from ``rng`` (a ``TrainingRandom``, whose state a
snapshot saves) instead of NumPy's global RNG as ``F.dropout`` does, so a
resumed run is exact; without an ``rng`` there is no dropout.

Both sides must be multiples of ``2 ** n_down``; other sizes are refused
with the sizes that work. Layer calls go through ``dcgan.models.layers``.
"""
import contextlib

import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from dcgan.models import layers
from dcgan.models.nets import ArchitectureError, _initializer

NORMS = ('batch', 'instance', 'none')
MAX_WIDTH_FACTOR = 8
MAX_DEPTH = 8
DROPOUT_LAYERS = 3


def as_size(resolution):
    """``64`` or ``(64, 128)`` -> (height, width)."""
    if isinstance(resolution, (tuple, list, numpy.ndarray)):
        h, w = (int(v) for v in resolution)
    else:
        h = w = int(resolution)
    if h < 2 or w < 2:
        raise ArchitectureError('resolution {}x{} is too small for a U-Net'.format(h, w))
    return h, w


def default_depth(size):
    """The paper's depth: down to 1 px on the shorter side (at most 8)."""
    side = min(as_size(size))
    return max(1, min(MAX_DEPTH, int(numpy.log2(side))))


def valid_sizes(n_down, limit=5):
    step = 2 ** n_down
    return [step * k for k in range(1, limit + 1)]


def check_size(size, n_down):
    h, w = as_size(size)
    step = 2 ** n_down
    if h % step or w % step:
        raise ArchitectureError(
            '{}x{} px does not fit a U-Net of {} stride-2 layers: both sides must be multiples '
            'of {} (e.g. {}), or choose another depth (n_down {} takes multiples of {})'.format(
                h, w, n_down, step, ', '.join(str(s) for s in valid_sizes(n_down)),
                max(1, n_down - 1), 2 ** max(1, n_down - 1)))
    return h, w


def padded_size(size, n_down):
    """The smallest (h, w) at least ``size`` that a depth-``n_down`` U-Net takes."""
    step = 2 ** n_down
    return tuple(-(-s // step) * step for s in size)


def make_norm(norm, channels):
    """A normalisation link for ``norm`` ('batch', 'instance'), or None."""
    if norm == 'batch':
        return L.BatchNormalization(channels)
    if norm == 'instance':
        # Chainer 7 has no instance-norm link: groups of one channel are it.
        return L.GroupNormalization(channels, channels)
    if norm == 'none':
        return None
    raise ArchitectureError('norm must be one of {}, got {!r}'.format(', '.join(NORMS), norm))


def apply_norm(link, h):
    if link is None:
        return h
    if isinstance(link, L.BatchNormalization):
        return layers.batch_norm(link, h)
    return link(h)


def dropout(h, rng, ratio):
    """Inverted dropout whose mask comes from ``rng`` (``.random(shape, xp)``)."""
    xp = chainer.backend.get_array_module(h)
    keep = rng.random(h.shape, xp) >= ratio
    return h * (keep.astype(numpy.float32) * numpy.float32(1.0 / (1.0 - ratio)))


@contextlib.contextmanager
def statistics_kept(chain):
    """Run ``chain`` in training mode without moving its batch-norm statistics."""
    saved = [(link, link.avg_mean.copy(), link.avg_var.copy(), link.N)
             for link in chain.links() if isinstance(link, L.BatchNormalization)]
    try:
        yield chain
    finally:
        for link, mean, var, n in saved:
            link.avg_mean[...] = mean
            link.avg_var[...] = var
            link.N = n


class UNetGenerator(chainer.Chain):
    """(B, in_channels, H, W) in [0, 1] -> (B, out_channels, H, W) in [0, 1].

    Args:
        in_channels, out_channels: channels of the input and of the output.
        resolution: the training size, ``64`` or ``(height, width)``; the net
            also runs on any other multiple of ``2 ** n_down``.
        ngf: width of the first layer (the paper's 64).
        n_down: stride-2 layers (default: down to 1 px on the shorter side).
        norm: 'batch', 'instance' or 'none'.
        dropout: ratio on the three innermost decoder layers (0: none).
        init_seed: seed of the Normal(0.02) weights (None: NumPy's global RNG).

    Links are ``down{k}`` (+ ``down{k}_norm``) and ``up{k}`` (+ ``up{k}_norm``),
    k from 0 at full resolution.
    """

    def __init__(self, in_channels=3, out_channels=3, resolution=256, ngf=64, n_down=None,
                 norm='batch', dropout=0.5, init_seed=None):
        super(UNetGenerator, self).__init__()
        size = as_size(resolution)
        n_down = default_depth(size) if n_down is None else int(n_down)
        if n_down < 1:
            raise ArchitectureError('n_down must be at least 1, got {}'.format(n_down))
        check_size(size, n_down)
        if not 0.0 <= dropout < 1.0:
            raise ArchitectureError('dropout must be in [0, 1), got {}'.format(dropout))
        make_norm(norm, 1)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.resolution, self.ngf, self.n_down = size, int(ngf), n_down
        self.norm, self.dropout = norm, float(dropout)
        widths = [self.ngf * min(2 ** k, MAX_WIDTH_FACTOR) for k in range(n_down)]
        self.widths = widths
        with self.init_scope():
            w = _initializer(0.02, init_seed)
            for k in range(n_down):
                n_in = self.in_channels if k == 0 else widths[k - 1]
                setattr(self, 'down%d' % k, L.Convolution2D(n_in, widths[k], 4, 2, 1,
                                                            initialW=w))
                if 0 < k < n_down - 1:  # not the first layer, not the bottleneck
                    setattr(self, 'down%d_norm' % k, make_norm(norm, widths[k]))
            for k in range(n_down):
                n_in = widths[k] * (1 if k == n_down - 1 else 2)
                n_out = self.out_channels if k == 0 else widths[k - 1]
                setattr(self, 'up%d' % k, L.Deconvolution2D(n_in, n_out, 4, 2, 1, initialW=w))
                if k > 0:
                    setattr(self, 'up%d_norm' % k, make_norm(norm, n_out))
        # Saved with the weights, so a file alone says how to rebuild the net.
        self.add_persistent('dropout_ratio', self.dropout)
        self.add_persistent('train_size', numpy.array(size, dtype=numpy.int64))

    def config(self):
        """The constructor arguments, to record beside saved weights."""
        return dict(in_channels=self.in_channels, out_channels=self.out_channels,
                    resolution=list(self.resolution), ngf=self.ngf, n_down=self.n_down,
                    norm=self.norm, dropout=self.dropout)

    def _norm(self, name):
        return getattr(self, name, None)

    def dropout_layers(self):
        """Decoder layers with dropout, innermost first."""
        return [k for k in range(self.n_down - 1, 0, -1)][:DROPOUT_LAYERS] if self.dropout else []

    def encode(self, x):
        """The encoder's maps, full resolution first (the skips)."""
        h = x * 2.0 - 1.0
        hs = []
        for k in range(self.n_down):
            if k > 0:
                h = layers.leaky_relu(h, 0.2)
            h = apply_norm(self._norm('down%d_norm' % k), layers.conv(getattr(self, 'down%d' % k), h))
            hs.append(h)
        return hs

    def decode(self, hs, rng=None):
        h = hs[-1]
        with_dropout = self.dropout_layers() if rng is not None and chainer.config.train else []
        for k in range(self.n_down - 1, -1, -1):
            if k < self.n_down - 1:
                h = F.concat([h, hs[k]], axis=1)
            h = layers.deconv(getattr(self, 'up%d' % k), layers.relu(h))
            if k > 0:
                h = apply_norm(self._norm('up%d_norm' % k), h)
                if k in with_dropout:
                    h = dropout(h, rng, self.dropout)
        return (F.tanh(h) + 1.0) * 0.5

    def forward(self, x, rng=None):
        """Translate ``x``; dropout (in training mode) draws from ``rng``."""
        size = x.shape[2:]
        if size[0] % 2 ** self.n_down or size[1] % 2 ** self.n_down:
            raise ArchitectureError('this U-Net takes sizes that are multiples of {}, got {}x{}'
                                    .format(2 ** self.n_down, size[0], size[1]))
        return self.decode(self.encode(x), rng)
