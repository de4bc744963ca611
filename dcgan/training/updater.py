"""DCGANUpdater: alternate discriminator and generator steps.

It takes the Chainer example's arguments (``models=(gen, dis)``,
``optimizer={'gen': ..., 'dis': ...}``, ``iterator``, ``device``) and adds the
knobs people reach for when a discriminator wins too early: several D steps
per G step (``n_dis``), or a D step only every k-th iteration
(``dis_every``), and a choice of loss.

Reports ``gen/loss``, ``dis/loss`` and the discriminator's mean raw output
on the real (``dis/real``) and generated (``dis/fake``) batch: a gap that
keeps widening means D is winning.

Update order. ``'example'`` follows Chainer's example: one generator
forward, the D step on the D loss, then the G step on the G loss through the
same graph. Its weights are the example's, but not its wasted work: each
step backpropagates only as far as its own net's weights (``chainer.grad``),
so the D loss never reaches the generator. ``'detached'`` (default)
computes the same weights with the D loss stopped explicitly at the
generated images; the G step then pushes the gradient that reached them
into the generator.

Small-data stabilisers, all off by default (then every step is exactly the
one described above, drawing nothing extra from the random stream):
``augment`` (a DiffAugment policy such as 'color,translation,cutout', or a
callable ``f(x, rng)`` such as an ``AdaptiveAugment``, whose probability
follows D's outputs on the real images and is reported as ``dis/aug_p`` and
``dis/rt``) transforms every batch D sees, real and generated;
``instance_noise`` adds Gaussian noise of that sigma to D's input, decaying
linearly to 0 over ``instance_noise_iterations``; ``label_smoothing`` makes
the real target ``1 - s``; ``r1_gamma`` adds ``gamma / 2 * E||grad_x D(x)||^2``
on the real images (reported as ``dis/r1``), with ``r1_interval`` k > 1 only on
every k-th D step and weighted k times (StyleGAN2's lazy regularisation; on
the demo's nets R1 on every D step made training about 1.5x slower);
``feature_matching`` adds that
weight times the squared distance between the mean last-hidden-layer
features of D on real and generated batches to G's loss (``gen/fm``);
``joint_batch`` passes the real and generated images through D as one
batch, so D's batch norm normalises both with the same statistics (the
example normalises each batch by its own, which hides from D whatever the
whole generated batch shares; a minibatch-std feature is then still taken
over each half alone).
"""
import collections
import math

import chainer
import chainer.functions as F
import numpy
from chainer.training.updaters import StandardUpdater

from dcgan.training import stabilisers
from dcgan.training.ada import AdaptiveAugment
from dcgan.training.augment import DiffAugment
from dcgan.training.losses import get_losses
from dcgan.training.rng import TrainingRandom

UPDATE_ORDERS = ('detached', 'example')

# D's verdict on a real and a generated batch: logits, last hidden layers
# (None unless needed), the R1 penalty (or None) and class logits (or None).
Judged = collections.namedtuple(
    'Judged', 'real fake h_real h_fake r1 cls_real cls_fake')


class DCGANUpdater(StandardUpdater):

    def __init__(self, *args, **kwargs):
        self.gen, self.dis = kwargs.pop('models')
        loss = kwargs.pop('loss', 'nonsaturating')
        self.n_dis = int(kwargs.pop('n_dis', 1))
        self.dis_every = int(kwargs.pop('dis_every', 1))
        self.update_order = kwargs.pop('update_order', 'detached')
        self.flip = bool(kwargs.pop('flip', False))
        seed = kwargs.pop('seed', 0)
        augment = kwargs.pop('augment', None)
        self.instance_noise = float(kwargs.pop('instance_noise', 0.0))
        self.instance_noise_iterations = int(kwargs.pop('instance_noise_iterations', 0))
        self.label_smoothing = float(kwargs.pop('label_smoothing', 0.0))
        self.r1_gamma = float(kwargs.pop('r1_gamma', 0.0))
        self.r1_interval = int(kwargs.pop('r1_interval', 1))
        self.feature_matching = float(kwargs.pop('feature_matching', 0.0))
        self.joint_batch = bool(kwargs.pop('joint_batch', False))
        self.label_probs = kwargs.pop('label_probs', None)
        self.cond_weight = float(kwargs.pop('cond_weight', 1.0))
        self.cond_warmup = kwargs.pop('cond_warmup', None)
        if isinstance(augment, str) or isinstance(augment, (list, tuple)):
            augment = DiffAugment(augment)
        if isinstance(augment, DiffAugment) and not augment.policy:
            augment = None
        self.augment = augment
        for name in ('instance_noise', 'label_smoothing', 'r1_gamma', 'feature_matching'):
            if getattr(self, name) < 0:
                raise ValueError('{} must be >= 0, got {}'.format(name, getattr(self, name)))
        if self.r1_interval < 1:
            raise ValueError('r1_interval must be at least 1, got {}'.format(self.r1_interval))
        if self.n_dis < 1:
            raise ValueError('n_dis must be at least 1, got {}'.format(self.n_dis))
        if self.dis_every < 1:
            raise ValueError('dis_every must be at least 1, got {}'.format(self.dis_every))
        if self.update_order not in UPDATE_ORDERS:
            raise ValueError('update_order must be one of {}, got {!r}'.format(
                ', '.join(UPDATE_ORDERS), self.update_order))
        self._check_classes()
        self.loss_name = loss
        self.dis_loss, self.gen_loss = get_losses(loss, self.label_smoothing)
        self.rng = TrainingRandom(seed)
        super(DCGANUpdater, self).__init__(*args, **kwargs)

    def _check_classes(self):
        g, d = self.gen.n_classes, getattr(self.dis, 'n_classes', 0)
        if g and d and g != d:
            raise ValueError('the generator draws {} classes and the discriminator '
                             'judges {}'.format(g, d))
        if self.label_probs is not None:
            p = numpy.asarray(self.label_probs, dtype=numpy.float64)
            if p.shape != (g,) or (p < 0).any() or not numpy.isclose(p.sum(), 1):
                raise ValueError('label_probs must be {} probabilities summing to 1, '
                                 'got {}'.format(g, self.label_probs))
            self.label_probs = p
        if self.cond_warmup is not None:
            start, end = (int(v) for v in self.cond_warmup)
            if not 0 <= start < end:
                raise ValueError('cond_warmup must be (start, end) iterations with '
                                 '0 <= start < end, got {}'.format(self.cond_warmup))
            self.cond_warmup = (start, end)
        if self.dis.cond == 'semi' and not self.feature_matching:
            raise ValueError('a semi-supervised discriminator trains G by feature '
                             'matching: give feature_matching > 0')
        if self.cond_weight < 0:
            raise ValueError('cond_weight must be >= 0, got {}'.format(self.cond_weight))

    # -- pieces ------------------------------------------------------------

    def real_batch(self):
        """Next real batch: (float32 images in [0, 1] on the device, int32
        class ids or None for an unlabelled set)."""
        batch = self.get_iterator('main').next()
        converted = chainer.dataset.convert._call_converter(
            self.converter, batch, self.input_device)
        x, c = converted if isinstance(converted, tuple) else (converted, None)
        if self.flip:
            x = self._random_flip(x)
        return x, c

    def _random_flip(self, x):
        xp = chainer.backend.get_array_module(x)
        flip = self.rng.random((len(x),), xp) < 0.5
        return xp.where(flip[:, None, None, None], x[..., ::-1], x)

    def fake_labels(self, n):
        """Class ids for ``n`` generated images (None for an unconditional G),
        drawn from ``label_probs``; nothing is drawn without classes."""
        if not self.gen.n_classes:
            return None
        c = self.rng.host.choice(self.gen.n_classes, size=n, p=self.label_probs)
        return self.gen.device.send(c.astype(numpy.int32))

    def generate(self, n):
        """(``n`` generated images, their class ids or None)."""
        c = self.fake_labels(n)
        z = self.gen.make_hidden(n, self.rng)
        return (self.gen(z) if c is None else self.gen(z, c)), c

    def dis_input(self, x):
        """What the discriminator sees of a real or generated batch."""
        if self.augment is not None:
            x = self.augment(x, self.rng)
        if self.instance_noise:
            sigma = stabilisers.instance_noise_sigma(
                self.instance_noise, self.iteration, self.instance_noise_iterations)
            if sigma > 0:
                xp = chainer.backend.get_array_module(x)
                x = x + self.rng.normal(x.shape, xp, scale=sigma)
        return x

    @property
    def _split_dis(self):
        # Feature matching needs D's last hidden layer as well as its output,
        # and a class head reads the same features.
        return bool(self.feature_matching) or self._class_head

    @property
    def _class_head(self):
        # proj's class embedding doubles as a classifier (Dual Projection
        # GAN): trained on the real images' classes, its gradient does not
        # vanish when D saturates, as the projection term's alone did.
        return (self.dis.cond in ('acgan', 'semi')
                or (self.dis.cond == 'proj' and self.cond_weight > 0))

    def _dis_forward(self, x, c=None):
        """(logits, last hidden layer, class logits) of D on ``dis_input(x)``."""
        return self._dis_on(self.dis_input(x), c=c)

    def _dis_on(self, d_in, groups=1, c=None):
        """(logits, last hidden layer or None, class logits or None) of D on
        exactly ``d_in`` of classes ``c``."""
        if not self._split_dis:
            if c is None:
                return self.dis(d_in, rng=self.rng, groups=groups), None, None
            return self.dis(d_in, rng=self.rng, groups=groups, y=c), None, None
        h = self.dis.features(d_in, rng=self.rng, y=c)
        logits = self.dis.head(h, groups, y=c)
        return logits, h, (self.dis.class_logits(h, groups) if self._class_head else None)

    @property
    def _r1_due(self):
        """Whether this D step takes the R1 penalty: every step, or with
        ``r1_interval`` k every k-th by D's update count (saved with the
        optimizer, so a resumed run keeps the rhythm)."""
        if not self.r1_gamma:
            return False
        return self.get_optimizer('dis').t % self.r1_interval == 0

    def _real_input(self, x_real, take_r1):
        """What D sees of a real batch; for R1 a leaf Variable, as the
        penalty is taken at it (after augmentation and noise)."""
        d_in = self.dis_input(x_real)
        if not take_r1:
            return d_in
        return chainer.Variable(getattr(d_in, 'array', d_in))

    def _dis_both(self, x_real, x_fake, c_real=None, c_fake=None, for_d=True):
        """D on a real and a generated batch, as a :class:`Judged`; its
        features are None unless feature matching or a class head needs them,
        and its R1 penalty None unless due on a D step (``for_d``)."""
        take_r1 = for_d and self._r1_due
        r_in = self._real_input(x_real, take_r1)
        # A semi-supervised D sees generated images without classes.
        c_real_in = None if self.dis.cond in ('semi', 'acgan') else c_real
        c_fake_in = None if self.dis.cond in ('semi', 'acgan') else c_fake
        if not self.joint_batch:
            y_real, h_real, cls_real = self._dis_on(r_in, c=c_real_in)
            r1 = stabilisers.r1_penalty(y_real, r_in) if take_r1 else None
            y_fake, h_fake, cls_fake = self._dis_forward(x_fake, c_fake_in)
            return Judged(y_real, y_fake, h_real, h_fake, r1, cls_real, cls_fake)
        # One batch: D's batch norm normalises both halves with the same
        # statistics, so what all generated images share (a colour, a
        # brightness) is not subtracted away before D can see it.
        f_in = self.dis_input(x_fake)
        c = None
        if c_real_in is not None:
            xp = chainer.backend.get_array_module(c_real_in)
            c = xp.concatenate([c_real_in, c_fake_in])
        # groups=2: a minibatch-std feature is taken over each half alone.
        y, h, cls = self._dis_on(F.concat([r_in, f_in], axis=0), groups=2, c=c)
        n = len(r_in)
        r1 = stabilisers.r1_penalty(y[:n], r_in) if take_r1 else None

        def halves(v):
            return (None, None) if v is None else (v[:n], v[n:])
        (h_real, h_fake), (cls_real, cls_fake) = halves(h), halves(cls)
        return Judged(y[:n], y[n:], h_real, h_fake, r1, cls_real, cls_fake)

    def _dis_loss(self, judged, c_real):
        loss = self.dis_loss(judged.real, judged.fake)
        if judged.r1 is not None:
            chainer.report({'r1': judged.r1}, self.dis)
            loss = loss + (0.5 * self.r1_gamma * self.r1_interval) * judged.r1
        if self._class_head:
            # ACGAN's class loss on real images only (a D taught to classify
            # its own fakes is fooled into classifying them well); the
            # semi-supervised D's on the labelled ones (-1 is ignored).
            class_loss = F.softmax_cross_entropy(judged.cls_real, c_real)
            chainer.report({'class': class_loss}, self.dis)
            loss = loss + self._class_weight() * class_loss
        return loss

    def _class_weight(self):
        return self.cond_weight * self.dis.cond_strength

    def _gen_loss(self, judged, c_fake):
        # Salimans et al.: a semi-supervised run's G learns by feature
        # matching alone.
        loss = 0 if self.dis.cond == 'semi' else self.gen_loss(judged.fake)
        if self.feature_matching:
            fm = stabilisers.feature_matching_loss(judged.h_real, judged.h_fake)
            chainer.report({'fm': fm}, self.gen)
            loss = loss + self.feature_matching * fm
        if self.dis.cond in ('acgan', 'proj') and self._class_head:
            class_loss = F.softmax_cross_entropy(judged.cls_fake, c_fake)
            chainer.report({'class': class_loss}, self.gen)
            loss = loss + self._class_weight() * class_loss
        return loss

    def _step(self, name, model, loss):
        """Update ``model`` by ``loss``, backpropagating only as far as its
        own parameters (``loss.backward()`` would also fill the other net's
        gradients, which are thrown away)."""
        model.cleargrads()
        chainer.grad([loss], list(model.params()), set_grad=True)
        self.get_optimizer(name).update()

    def _report(self, loss_dis, judged):
        chainer.report({'loss': loss_dis,
                        'real': F.mean(judged.real.array),
                        'fake': F.mean(judged.fake.array)}, self.dis)
        if self._adaptive:
            self.augment.observe(judged.real.array)

    @property
    def _adaptive(self):
        return isinstance(self.augment, AdaptiveAugment)

    def dis_only_step(self):
        """One D step on a fresh real batch and a fresh generated batch."""
        x_real, c_real = self.real_batch()
        with chainer.no_backprop_mode():
            x_fake, c_fake = self.generate(len(x_real))
        judged = self._dis_both(x_real, x_fake.array, c_real, c_fake)
        loss = self._dis_loss(judged, c_real)
        self._step('dis', self.dis, loss)
        self._report(loss, judged)

    def gen_only_step(self, batchsize):
        if self.joint_batch:
            # D's output on generated images depends on the real half of its batch.
            x_real, c_real = self.real_batch()
            x_fake, c_fake = self.generate(batchsize)
            # G's loss never uses R1: no double backprop here.
            judged = self._dis_both(x_real, x_fake, c_real, c_fake, for_d=False)
        else:
            h_real = None
            if self.feature_matching:
                with chainer.no_backprop_mode():
                    x_real, c_real = self.real_batch()
                    c_in = None if self.dis.cond in ('semi', 'acgan') else c_real
                    _, h_real, _ = self._dis_forward(x_real, c_in)
            x_fake, c_fake = self.generate(batchsize)
            c_in = None if self.dis.cond in ('semi', 'acgan') else c_fake
            y_fake, h_fake, cls_fake = self._dis_forward(x_fake, c_in)
            judged = Judged(None, y_fake, h_real, h_fake, None, None, cls_fake)
        loss = self._gen_loss(judged, c_fake)
        self._step('gen', self.gen, loss)
        chainer.report({'loss': loss}, self.gen)

    def joint_step(self):
        """A D step and a G step sharing one generated batch."""
        x_real, c_real = self.real_batch()
        x_fake, c_fake = self.generate(len(x_real))
        if self.update_order == 'example':
            d_in = x_fake
        else:
            # A leaf holding the same images: the D loss stops here.
            d_in = chainer.Variable(x_fake.array)
        judged = self._dis_both(x_real, d_in, c_real, c_fake)
        loss_dis = self._dis_loss(judged, c_real)
        self._step('dis', self.dis, loss_dis)
        self._report(loss_dis, judged)

        loss_gen = self._gen_loss(judged, c_fake)
        if self.update_order == 'example':
            self._step('gen', self.gen, loss_gen)
        else:
            # The G loss's gradient at the generated images, then on into G.
            grad_images, = chainer.grad([loss_gen], [d_in])
            x_fake.grad = grad_images.array
            self.gen.cleargrads()
            x_fake.backward()
            self.get_optimizer('gen').update()
        chainer.report({'loss': loss_gen}, self.gen)

    # -- the update --------------------------------------------------------

    def update_core(self):
        if self.cond_warmup is not None:
            strength = stabilisers.ramp(self.iteration, *self.cond_warmup)
            self.gen.cond_strength = self.dis.cond_strength = strength
        batch_size = self.get_iterator('main').batch_size
        dis_steps = self.iteration % self.dis_every == 0
        if not dis_steps:
            self.gen_only_step(batch_size)
        else:
            for _ in range(self.n_dis - 1):
                self.dis_only_step()
            self.joint_step()
        if self._adaptive:
            # p as it was used this iteration, then the adaptation step. ADA's
            # interval and speed count D's updates and the real images D
            # judged: an iteration where only G stepped (--dis_every) is not one.
            chainer.report({'aug_p': self.augment.p}, self.dis)
            if dis_steps:
                self.augment.step(batch_size * self.n_dis)
            if not math.isnan(self.augment.rt):  # measured at least once
                chainer.report({'rt': self.augment.rt}, self.dis)

    def serialize(self, serializer):
        super(DCGANUpdater, self).serialize(serializer)
        self.rng.serialize(serializer['rng'])
        if self._adaptive:
            try:
                self.augment.serialize(serializer['augment'])
            except KeyError:
                # A snapshot of a run that had no adaptive augmentation
                # (resumed with --ada added): p starts where it is set to.
                if not isinstance(serializer, chainer.serializer.Deserializer):
                    raise
