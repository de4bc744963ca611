"""pix2pix's PatchGAN discriminator on the input and the output joined.

D sees the input image and a real or generated output as one
``in_channels + out_channels`` image (the paper's conditional D) and gives a
map of logits, one per patch. Its depth sets the patch size, the receptive
field of one logit: with ``n_layers`` stride-2 4x4 convolutions (the first
without normalisation) and two stride-1 ones, 1 (a 1x1 "pixelGAN"), 16, 34,
70 (the paper's default), 142 or 286 px. At 64 px a 70 px patch already
sees the whole image; 34 is the smaller choice there.
"""
import chainer
import chainer.functions as F
import chainer.links as L

from dcgan.models import layers
from dcgan.models.nets import ArchitectureError, _initializer
from dcgan.models.unet import MAX_WIDTH_FACTOR, apply_norm, as_size, make_norm

# Receptive field (px) -> n_layers, as pytorch-CycleGAN-and-pix2pix's NLayerDiscriminator.
PATCH_SIZES = {1: 0, 16: 1, 34: 2, 70: 3, 142: 4, 286: 5}


def receptive_field(n_layers):
    if n_layers == 0:
        return 1
    rf = 1
    kernels = [(4, 2)] * n_layers + [(4, 1), (4, 1)]
    for k, s in reversed(kernels):
        rf = (rf - 1) * s + k
    return rf


def map_size(size, n_layers):
    """The (h, w) of the logit map D gives for an input of ``size``."""
    h, w = as_size(size)
    if n_layers == 0:
        return h, w
    for _ in range(n_layers):
        h, w = (h + 2 - 4) // 2 + 1, (w + 2 - 4) // 2 + 1
    return h - 2, w - 2


class PatchDiscriminator(chainer.Chain):
    """(input, output) -> logits (B, 1, h, w), one per patch.

    Args:
        in_channels: channels of the joined pair (input's + output's).
        ndf: width of the first layer (the paper's 64), doubled per layer up to 8x.
        patch: receptive field in px, one of ``PATCH_SIZES``.
        norm: 'batch', 'instance' or 'none'.
        resolution: the training size, checked to leave a map of at least 1x1.
        init_seed: seed of the Normal(0.02) weights.
    """

    def __init__(self, in_channels=6, ndf=64, patch=70, norm='batch', resolution=256,
                 init_seed=None):
        super(PatchDiscriminator, self).__init__()
        if patch not in PATCH_SIZES:
            raise ArchitectureError('patch must be one of {} px, got {}'.format(
                ', '.join(str(p) for p in sorted(PATCH_SIZES)), patch))
        n_layers = PATCH_SIZES[patch]
        size = as_size(resolution)
        out = map_size(size, n_layers)
        if min(out) < 1:
            fits = [p for p, n in sorted(PATCH_SIZES.items()) if min(map_size(size, n)) >= 1]
            raise ArchitectureError('a {} px patch is too large for {}x{} images; patches that '
                                    'fit: {}'.format(patch, size[0], size[1],
                                                     ', '.join(str(p) for p in fits)))
        self.in_channels, self.ndf, self.patch = int(in_channels), int(ndf), int(patch)
        self.norm, self.n_layers, self.resolution = norm, n_layers, size
        make_norm(norm, 1)
        with self.init_scope():
            w = _initializer(0.02, init_seed)
            if n_layers == 0:
                specs = [(self.ndf, 1, 1, 0, False), (2 * self.ndf, 1, 1, 0, True)]
            else:
                specs = [(self.ndf, 4, 2, 1, False)]
                specs += [(self.ndf * min(2 ** n, MAX_WIDTH_FACTOR), 4, 2, 1, True)
                          for n in range(1, n_layers)]
                specs.append((self.ndf * min(2 ** n_layers, MAX_WIDTH_FACTOR), 4, 1, 1, True))
            n_in = self.in_channels
            for i, (n_out, k, s, p, normed) in enumerate(specs):
                setattr(self, 'c%d' % i, L.Convolution2D(n_in, n_out, k, s, p, initialW=w))
                if normed:
                    setattr(self, 'c%d_norm' % i, make_norm(norm, n_out))
                n_in = n_out
            k, p = (1, 0) if n_layers == 0 else (4, 1)
            setattr(self, 'c%d' % len(specs), L.Convolution2D(n_in, 1, k, 1, p, initialW=w))
        self.n_convs = len(specs) + 1

    def config(self):
        return dict(in_channels=self.in_channels, ndf=self.ndf, patch=self.patch,
                    norm=self.norm, resolution=list(self.resolution))

    def forward(self, pair):
        """Logits for ``pair``: input and output joined on the channel axis, in [0, 1]."""
        h = pair * 2.0 - 1.0
        for i in range(self.n_convs - 1):
            h = layers.conv(getattr(self, 'c%d' % i), h)
            h = layers.leaky_relu(apply_norm(getattr(self, 'c%d_norm' % i, None), h), 0.2)
        return layers.conv(getattr(self, 'c%d' % (self.n_convs - 1)), h)


def join(a, b):
    """The pair D judges: input ``a`` and output ``b`` on the channel axis."""
    return F.concat([a, b], axis=1)
