"""Generator and Discriminator of Chainer's DCGAN example, for any resolution.

With the default three stride-2 stages the layers, names and shapes are
exactly those of Chainer's ``examples/dcgan/net.py``, so its ``gen_iter_N.npz``
and ``dis_iter_N.npz`` files load here. ``bottom_width`` (the side of the
first feature map) is worked out from the resolution instead of being edited
by hand: resolution = bottom_width * 2 ** n_stages.

The generator ends in a sigmoid: images are float32 in [0, 1].

Class conditioning (``n_classes > 0``, see ``dcgan.models.conditional``) adds
parameters and never changes the unconditional ones, except where the
method itself needs it: ``cond='concat'`` widens ``l0`` (z joined to a
one-hot) and ``c0_0`` (one-hot planes joined to the image), and the
semi-supervised discriminator's last layer has K outputs.
"""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from dcgan.models import conditional, layers

# Stage counts tried for a resolution, the example's three first. More
# stages keep large images from needing a huge first layer; fewer let
# small ones such as MNIST's 28 px work.
DEFAULT_STAGES = 3
MAX_BOTTOM_WIDTH = 12
MIN_BOTTOM_WIDTH = 2
# How the generator doubles its feature maps: the example's 4x4 stride-2
# deconvolution, or nearest-neighbour up-sampling and a 3x3 convolution
# (no checkerboard from uneven overlap; Odena et al. 2016).
UPSAMPLES = ('deconv', 'nearest')


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


def _initializer(wscale, seed, he=False):
    """The example's Normal(wscale) weights, or with ``he`` He et al.'s
    Normal(sqrt(2 / fan_in)) for layers with no batch norm after them; drawn
    from a private RNG when ``seed`` is given (so a run is reproducible
    without reseeding NumPy's global RNG), else from the global one as the
    example does."""
    rng = {} if seed is None else {'rng': numpy.random.RandomState(seed)}
    if he:
        return chainer.initializers.HeNormal(**rng)
    return chainer.initializers.Normal(wscale, **rng)


def _classes(n_classes, cond, class_names, conds):
    """Checked ``(n_classes, cond or None, class names)``."""
    n_classes = int(n_classes or 0)
    if n_classes == 0:
        return 0, None, []
    if n_classes < 2:
        raise ArchitectureError('a conditional net needs at least 2 classes, got {}'
                                .format(n_classes))
    if cond not in conds:
        raise ArchitectureError('cond must be one of {}, got {!r}'.format(
            ', '.join(conds), cond))
    try:
        names = conditional.check_names(class_names, n_classes)
    except ValueError as e:
        raise ArchitectureError(str(e)) from None
    return n_classes, cond, names


class Generator(chainer.Chain):
    """z (B, n_hidden, 1, 1) -> images (B, out_channels, R, R) in [0, 1].

    ``upsample='nearest'`` makes each ``dcK`` a 3x3 convolution after a
    nearest-neighbour 2x up-sampling (the example: a 4x4 stride-2
    deconvolution); the names stay, the shapes of ``dcK/W`` change.
    """

    def __init__(self, n_hidden=100, resolution=32, ch=512, out_channels=3,
                 n_stages=None, bottom_width=None, wscale=0.02, init_seed=None,
                 n_classes=0, cond='bn', class_names=None, upsample='deconv'):
        super(Generator, self).__init__()
        if upsample not in UPSAMPLES:
            raise ArchitectureError('upsample must be one of {}, got {!r}'.format(
                ', '.join(UPSAMPLES), upsample))
        self.upsample = upsample
        n_stages, bottom_width = _geometry(resolution, n_stages, bottom_width)
        widths = _stage_widths(ch, n_stages)
        self.n_hidden = n_hidden
        self.ch = ch
        self.bottom_width = bottom_width
        self.n_stages = n_stages
        self.out_channels = out_channels
        self.resolution = resolution
        self.n_classes, self.cond, self.class_names = _classes(
            n_classes, cond, class_names, conditional.GENERATOR_CONDS)
        # How much of the class signal is used (0..1); the updater ramps it
        # in when asked. Not saved: a trained model is used at full strength.
        self.cond_strength = 1.0
        n_in = n_hidden + (self.n_classes if self.cond == 'concat' else 0)
        with self.init_scope():
            w = _initializer(wscale, init_seed)
            self.l0 = L.Linear(n_in, bottom_width * bottom_width * ch, initialW=w)
            self.bn0 = L.BatchNormalization(bottom_width * bottom_width * ch)
            for k in range(1, n_stages + 1):
                if upsample == 'nearest':
                    up = L.Convolution2D(widths[k - 1], widths[k], 3, 1, 1, initialW=w)
                else:
                    up = L.Deconvolution2D(widths[k - 1], widths[k], 4, 2, 1, initialW=w)
                setattr(self, 'dc%d' % k, up)
                if self.cond == 'bn':
                    bn = conditional.CategoricalBatchNormalization(
                        widths[k], self.n_classes)
                else:
                    bn = L.BatchNormalization(widths[k])
                setattr(self, 'bn%d' % k, bn)
            setattr(self, 'dc%d' % (n_stages + 1), L.Deconvolution2D(
                widths[-1], out_channels, 3, 1, 1, initialW=w))

        if self.n_classes:
            # The file then carries its class names (see conditional.encode_names).
            self.add_persistent('class_names_utf8',
                                conditional.encode_names(self.class_names))

    def config(self):
        """The constructor arguments, to record beside saved weights."""
        config = dict(n_hidden=self.n_hidden, resolution=self.resolution,
                      ch=self.ch, out_channels=self.out_channels,
                      n_stages=self.n_stages, bottom_width=self.bottom_width)
        if self.n_classes:  # recorded only when on, as the example has none
            config.update(n_classes=self.n_classes, cond=self.cond,
                          class_names=list(self.class_names))
        if self.upsample != 'deconv':
            config['upsample'] = self.upsample
        return config

    def make_hidden(self, batchsize, rng=None):
        """Uniform(-1, 1) z of shape (batchsize, n_hidden, 1, 1) on this
        chain's device, from ``rng`` (a TrainingRandom) or NumPy's global RNG
        as the example does."""
        shape = (batchsize, self.n_hidden, 1, 1)
        if rng is None:
            z = numpy.random.uniform(-1, 1, shape).astype(numpy.float32)
            return self.device.send(z)
        return rng.uniform(shape, self.xp)

    def forward(self, z, y=None):
        """Images from z; ``y`` (class ids or weights, see
        ``dcgan.models.conditional``) is required when ``n_classes > 0``."""
        weights = None
        if self.n_classes:
            if y is None:
                raise ValueError(
                    'this generator draws {} classes ({}): pass their ids as y'
                    .format(self.n_classes, ', '.join(self.class_names)))
            weights = conditional.class_weights(y, self.n_classes, self.xp)
            if self.cond_strength != 1.0:
                weights = weights * numpy.float32(self.cond_strength)
        elif y is not None:
            raise ValueError('this generator is not conditional: it takes no labels')
        if self.cond == 'concat':
            z = F.concat([z.reshape(len(z), -1), weights], axis=1)
        h = layers.batch_norm_act(self.bn0, self.l0(z))
        h = h.reshape(len(h), self.ch, self.bottom_width, self.bottom_width)
        for k in range(1, self.n_stages + 1):
            if self.upsample == 'nearest':
                h = layers.conv(getattr(self, 'dc%d' % k), layers.upsample(h))
            else:
                h = layers.deconv(getattr(self, 'dc%d' % k), h)
            bn = getattr(self, 'bn%d' % k)
            if self.cond == 'bn':
                h = layers.relu(bn(h, weights))
            else:
                h = layers.batch_norm_act(bn, h)
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
    ``bottom_width ** 2 * (ch + 1)`` inputs); ``minibatch_discrimination=(B,
    C)`` adds Salimans et al.'s B closeness features there (link ``mbd``; the
    last layer takes B more inputs); ``batch_norm=False`` drops
    D's batch norms (with ``spectral_norm``, SN-GAN's plain CNN) and draws
    its weights from He et al.'s normal instead of Normal(``wscale``).

    Classes (``n_classes > 0``; labels are int32 ids, see
    ``dcgan.models.conditional``): ``cond='proj'`` adds ``l_y``, an embedding
    whose dot product with the sum-pooled features is added to the logit
    (zero at first, so D starts as the unconditional one); ``'concat'``
    joins one-hot planes to the input; ``'acgan'`` adds ``l_cls``, a class
    head on the pooled features (:meth:`class_logits`); ``'semi'`` makes the
    last layer K class logits, with logsumexp of them as the real/fake
    logit (Salimans et al. 2016: the generated class's logit is fixed at 0).
    """

    def __init__(self, resolution=32, ch=512, in_channels=3, n_stages=None,
                 bottom_width=None, wscale=0.02, noise_sigma=0.2, init_seed=None,
                 spectral_norm=False, minibatch_std=False, batch_norm=True,
                 n_classes=0, cond='proj', minibatch_discrimination=None):
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
        self.n_classes, self.cond, _ = _classes(
            n_classes, cond, None, conditional.DISCRIMINATOR_CONDS)
        self.cond_strength = 1.0  # see Generator.cond_strength
        self.minibatch_discrimination = (tuple(int(v) for v in minibatch_discrimination)
                                         if minibatch_discrimination else None)
        n_in = in_channels + (self.n_classes if self.cond == 'concat' else 0)
        with self.init_scope():
            # Without batch norm to rescale them, the example's Normal(0.02)
            # weights shrink the signal at every layer and D's logits stay
            # near 0: it does not learn (docs/demo.md, 2026-12-04).
            w = _initializer(wscale, init_seed, he=not self.batch_norm)
            self.c0_0 = L.Convolution2D(n_in, widths[0], 3, 1, 1, initialW=w)
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
            if self.minibatch_discrimination:
                kernels, dims = self.minibatch_discrimination
                self.mbd = L.Linear(last_in, kernels * dims, nobias=True, initialW=w)
                last_in += kernels
            n_out = self.n_classes if self.cond == 'semi' else 1
            setattr(self, 'l%d' % (n_stages + 1), L.Linear(last_in, n_out, initialW=w))
            if self.cond == 'proj':
                self.l_y = L.EmbedID(self.n_classes, ch,
                                     initialW=chainer.initializers.Zero())
            elif self.cond == 'acgan':
                self.l_cls = L.Linear(ch, self.n_classes, initialW=w)
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
        if self.n_classes:
            config.update(n_classes=self.n_classes, cond=self.cond)
        if self.minibatch_discrimination:
            config['minibatch_discrimination'] = list(self.minibatch_discrimination)
        return config

    def _noise(self, h, rng):
        if not chainer.config.train or not self.noise_sigma:
            return h
        if rng is None:  # the example's own draw, from NumPy's global RNG
            noise = self.xp.random.standard_normal(h.shape).astype(numpy.float32)
            noise *= self.noise_sigma
            return h + noise
        return layers.add_noise(h, rng, self.noise_sigma)

    def _check_labels(self, y):
        if self.cond in ('proj', 'concat') and y is None:
            raise ValueError('this discriminator judges {} classes: pass the '
                             'images\' class ids as y'.format(self.n_classes))

    def features(self, x, rng=None, y=None):
        """The last hidden layer, (B, ch, bottom_width, bottom_width)."""
        h = self._noise(x, rng)
        if self.cond == 'concat':
            self._check_labels(y)
            xp = self.xp
            planes = conditional.class_planes(y, self.n_classes, h.shape, xp)
            if self.cond_strength != 1.0:
                planes = planes * numpy.float32(self.cond_strength)
            h = F.concat([h, planes.astype(h.dtype)], axis=1)
        h = layers.leaky_relu(self._noise(layers.conv(self.c0_0, h), rng))
        sigma = self.noise_sigma if chainer.config.train else 0
        for k in range(self.n_stages):
            for name in ('%d_1' % k, '%d_0' % (k + 1)):
                h = layers.conv(getattr(self, 'c' + name), h)
                if self.batch_norm and (rng is not None or not sigma):
                    # batch norm, noise and leaky ReLU (one node when fused)
                    h = layers.batch_norm_act(getattr(self, 'bn' + name), h, 0.2, rng, sigma)
                    continue
                if self.batch_norm:
                    h = layers.batch_norm(getattr(self, 'bn' + name), h)
                h = layers.leaky_relu(self._noise(h, rng))
        return h

    def _last(self, h, groups):
        if self.minibatch_std:
            from dcgan.models.dis_options import append_minibatch_std
            h = append_minibatch_std(h, groups=groups)
        if self.minibatch_discrimination:
            from dcgan.models.dis_options import minibatch_discrimination
            flat = F.reshape(h, (len(h), -1))
            h = F.concat([flat, minibatch_discrimination(
                flat, self.mbd, *self.minibatch_discrimination, groups=groups)], axis=1)
        return getattr(self, 'l%d' % (self.n_stages + 1))(h)

    def head(self, h, groups=1, y=None):
        """Real/fake logits (B, 1) from :meth:`features` (adds the
        minibatch-std map if on, one statistic per ``groups`` equal slices
        of the batch; ``y``, the class ids, for ``cond='proj'``)."""
        out = self._last(h, groups)
        if self.cond == 'semi':
            return F.logsumexp(out, axis=1).reshape(len(out), 1)
        if self.cond == 'proj':
            self._check_labels(y)
            term = conditional.projection(self.l_y, h, y)
            if self.cond_strength != 1.0:
                term = term * numpy.float32(self.cond_strength)
            out = out + term
        return out

    def class_logits(self, h, groups=1):
        """Class logits (B, K) from :meth:`features` (proj, acgan and semi)."""
        if self.cond == 'acgan':
            return self.l_cls(F.sum(h, axis=(2, 3)))
        if self.cond == 'proj':
            return conditional.class_scores(self.l_y, h)
        if self.cond == 'semi':
            return self._last(h, groups)
        raise ValueError('a {} discriminator has no class head'.format(
            self.cond or 'unconditional'))

    def forward(self, x, rng=None, groups=1, y=None):
        return self.head(self.features(x, rng, y), groups, y)
