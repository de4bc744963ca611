"""Generator and Discriminator of Chainer's DCGAN example, for any resolution.

With the default three stride-2 stages the layers, names and shapes are
exactly those of Chainer's ``examples/dcgan/net.py``, so its ``gen_iter_N.npz``
and ``dis_iter_N.npz`` files load here. ``bottom_width`` (the side of the
first feature map) is worked out from the resolution instead of being edited
by hand: resolution = bottom_width * 2 ** n_stages.

The generator ends in a sigmoid: images are float32 in [0, 1].
"""
import chainer
import chainer.links as L
import numpy

from dcgan.models import layers

# Stage counts tried for a resolution, the example's three first. More
# stages keep large images from needing a huge first layer; fewer let
# small ones such as MNIST's 28 px work.
DEFAULT_STAGES = 3
MAX_BOTTOM_WIDTH = 12
MIN_BOTTOM_WIDTH = 2


class ArchitectureError(ValueError):
    """The requested resolution/architecture cannot be built."""


def bottom_width_for(resolution, n_stages=DEFAULT_STAGES):
    """Side of the first feature map for ``resolution`` after ``n_stages``."""
    side, rest = divmod(int(resolution), 2 ** n_stages)
    if rest or side < 1:
        raise ArchitectureError(
            'resolution {} is not a multiple of {} (2 ** {} stages); sizes '
            'that work with {} stages: {}'.format(
                resolution, 2 ** n_stages, n_stages, n_stages,
                ', '.join(str(r) for r in example_resolutions(n_stages))))
    return side


def example_resolutions(n_stages=DEFAULT_STAGES, limit=6):
    """A few resolutions an architecture with ``n_stages`` can produce."""
    return [w * 2 ** n_stages for w in range(MIN_BOTTOM_WIDTH, MIN_BOTTOM_WIDTH + limit)]


def stages_for(resolution):
    """The number of stride-2 stages used for ``resolution`` by default.

    The example's three when they give a bottom width of 2..12 px; otherwise
    more stages for large images (so 128 px gives 4 stages of 8 px, 256 px
    5 stages) or fewer for small ones (28 px gives 2 stages of 7 px).
    """
    resolution = int(resolution)
    if resolution % 8 == 0 and MIN_BOTTOM_WIDTH <= resolution // 8 <= MAX_BOTTOM_WIDTH:
        return DEFAULT_STAGES
    candidates = list(range(DEFAULT_STAGES + 1, 9)) + [2, 1]
    for n in candidates:
        side, rest = divmod(resolution, 2 ** n)
        if not rest and MIN_BOTTOM_WIDTH <= side <= MAX_BOTTOM_WIDTH:
            return n
    raise ArchitectureError(
        'resolution {} cannot be made by doubling a 2..12 px feature map; '
        'sizes that work include 16, 24, 28, 32, 48, 64, 96, 128, 192, 256'
        .format(resolution))


def _geometry(resolution, n_stages, bottom_width):
    """``(n_stages, bottom_width)`` for ``resolution``, filling in what is
    None and refusing a given pair that does not make ``resolution``."""
    if n_stages is None:
        n_stages = stages_for(resolution)
    if bottom_width is None:
        return n_stages, bottom_width_for(resolution, n_stages)
    if bottom_width * 2 ** n_stages != resolution:
        raise ArchitectureError(
            'bottom_width {} with {} stages gives {} px, not {}'.format(
                bottom_width, n_stages, bottom_width * 2 ** n_stages, resolution))
    return n_stages, bottom_width


def _stage_widths(ch, n_stages):
    widths = [ch // 2 ** k for k in range(n_stages + 1)]
    if widths[-1] < 1:
        raise ArchitectureError(
            'ch={} is too small for {} stages: it is halved at every stage; '
            'use ch >= {}'.format(ch, n_stages, 2 ** n_stages))
    return widths


def _initializer(wscale, seed):
    """The example's Normal(wscale) weights; drawn from a private RNG when
    ``seed`` is given (so a run is reproducible without reseeding NumPy's
    global RNG), else from the global one as the example does."""
    if seed is None:
        return chainer.initializers.Normal(wscale)
    return chainer.initializers.Normal(wscale, rng=numpy.random.RandomState(seed))


class Generator(chainer.Chain):
    """z (B, n_hidden, 1, 1) -> images (B, out_channels, R, R) in [0, 1]."""

    def __init__(self, n_hidden=100, resolution=32, ch=512, out_channels=3,
                 n_stages=None, bottom_width=None, wscale=0.02, init_seed=None):
        super(Generator, self).__init__()
        n_stages, bottom_width = _geometry(resolution, n_stages, bottom_width)
        widths = _stage_widths(ch, n_stages)
        self.n_hidden = n_hidden
        self.ch = ch
        self.bottom_width = bottom_width
        self.n_stages = n_stages
        self.out_channels = out_channels
        self.resolution = resolution
        with self.init_scope():
            w = _initializer(wscale, init_seed)
            self.l0 = L.Linear(n_hidden, bottom_width * bottom_width * ch, initialW=w)
            self.bn0 = L.BatchNormalization(bottom_width * bottom_width * ch)
            for k in range(1, n_stages + 1):
                setattr(self, 'dc%d' % k, L.Deconvolution2D(
                    widths[k - 1], widths[k], 4, 2, 1, initialW=w))
                setattr(self, 'bn%d' % k, L.BatchNormalization(widths[k]))
            setattr(self, 'dc%d' % (n_stages + 1), L.Deconvolution2D(
                widths[-1], out_channels, 3, 1, 1, initialW=w))

    def config(self):
        """The constructor arguments, to record beside saved weights."""
        return dict(n_hidden=self.n_hidden, resolution=self.resolution,
                    ch=self.ch, out_channels=self.out_channels,
                    n_stages=self.n_stages, bottom_width=self.bottom_width)

    def make_hidden(self, batchsize, rng=None):
        """Uniform(-1, 1) z of shape (batchsize, n_hidden, 1, 1) on this
        chain's device, from ``rng`` (a TrainingRandom) or NumPy's global RNG
        as the example does."""
        shape = (batchsize, self.n_hidden, 1, 1)
        if rng is None:
            z = numpy.random.uniform(-1, 1, shape).astype(numpy.float32)
            return self.device.send(z)
        return rng.uniform(shape, self.xp)

    def forward(self, z):
        h = layers.relu(layers.batch_norm(self.bn0, self.l0(z)))
        h = h.reshape(len(h), self.ch, self.bottom_width, self.bottom_width)
        for k in range(1, self.n_stages + 1):
            h = layers.deconv(getattr(self, 'dc%d' % k), h)
            h = layers.relu(layers.batch_norm(getattr(self, 'bn%d' % k), h))
        h = layers.deconv(getattr(self, 'dc%d' % (self.n_stages + 1)), h)
        return chainer.functions.sigmoid(h)


class Discriminator(chainer.Chain):
    """images (B, in_channels, R, R) -> logits (B, 1).

    ``noise_sigma`` is the example's Gaussian noise added to the input and
    to every hidden layer while training (0 turns it off).

    Small-data options, off by default (the example's network):
    ``spectral_norm`` divides every conv/linear weight by its largest
    singular value (Chainer's ``SpectralNormalization`` hook; each such link
    gains a persistent ``W_u`` array, so saved files have those extra keys);
    ``minibatch_std`` appends the batch's mean standard deviation as one
    more feature map before the last layer (which then takes
    ``bottom_width ** 2 * (ch + 1)`` inputs); ``batch_norm=False`` drops
    D's batch norms (with ``spectral_norm``, SN-GAN's plain CNN).
    """

    def __init__(self, resolution=32, ch=512, in_channels=3, n_stages=None,
                 bottom_width=None, wscale=0.02, noise_sigma=0.2, init_seed=None,
                 spectral_norm=False, minibatch_std=False, batch_norm=True):
        super(Discriminator, self).__init__()
        n_stages, bottom_width = _geometry(resolution, n_stages, bottom_width)
        widths = _stage_widths(ch, n_stages)[::-1]  # narrow to wide
        self.ch = ch
        self.bottom_width = bottom_width
        self.n_stages = n_stages
        self.in_channels = in_channels
        self.resolution = resolution
        self.noise_sigma = noise_sigma
        self.spectral_norm = bool(spectral_norm)
        self.minibatch_std = bool(minibatch_std)
        self.batch_norm = bool(batch_norm)
        with self.init_scope():
            w = _initializer(wscale, init_seed)
            self.c0_0 = L.Convolution2D(in_channels, widths[0], 3, 1, 1, initialW=w)
            for k in range(n_stages):
                setattr(self, 'c%d_1' % k, L.Convolution2D(
                    widths[k], widths[k + 1], 4, 2, 1, initialW=w))
                setattr(self, 'c%d_0' % (k + 1), L.Convolution2D(
                    widths[k + 1], widths[k + 1], 3, 1, 1, initialW=w))
                if self.batch_norm:
                    for name in ('%d_1' % k, '%d_0' % (k + 1)):
                        setattr(self, 'bn' + name, L.BatchNormalization(
                            widths[k + 1], use_gamma=False))
            last_in = bottom_width * bottom_width * (ch + int(self.minibatch_std))
            setattr(self, 'l%d' % (n_stages + 1), L.Linear(last_in, 1, initialW=w))
        if self.spectral_norm:
            from dcgan.models.dis_options import apply_spectral_norm
            apply_spectral_norm(self)

    def config(self):
        config = dict(resolution=self.resolution, ch=self.ch,
                      in_channels=self.in_channels, n_stages=self.n_stages,
                      bottom_width=self.bottom_width, noise_sigma=self.noise_sigma)
        # Recorded only when on, so the example's config stays as it was.
        for name in ('spectral_norm', 'minibatch_std'):
            if getattr(self, name):
                config[name] = True
        if not self.batch_norm:
            config['batch_norm'] = False
        return config

    def _noise(self, h, rng):
        if not chainer.config.train or not self.noise_sigma:
            return h
        if rng is None:  # the example's own draw, from NumPy's global RNG
            noise = self.xp.random.standard_normal(h.shape).astype(numpy.float32)
            noise *= self.noise_sigma
            return h + noise
        return layers.add_noise(h, rng, self.noise_sigma)

    def features(self, x, rng=None):
        """The last hidden layer, (B, ch, bottom_width, bottom_width)."""
        h = self._noise(x, rng)
        h = layers.leaky_relu(self._noise(layers.conv(self.c0_0, h), rng))
        for k in range(self.n_stages):
            for name in ('%d_1' % k, '%d_0' % (k + 1)):
                h = layers.conv(getattr(self, 'c' + name), h)
                if self.batch_norm:
                    h = layers.batch_norm(getattr(self, 'bn' + name), h)
                h = layers.leaky_relu(self._noise(h, rng))
        return h

    def head(self, h, groups=1):
        """Logits from :meth:`features` (adds the minibatch-std map if on,
        one statistic per ``groups`` equal slices of the batch)."""
        if self.minibatch_std:
            from dcgan.models.dis_options import append_minibatch_std
            h = append_minibatch_std(h, groups=groups)
        return getattr(self, 'l%d' % (self.n_stages + 1))(h)

    def forward(self, x, rng=None, groups=1):
        return self.head(self.features(x, rng), groups)
