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
callable ``f(x, rng)``) transforms every batch D sees, real and generated;
``instance_noise`` adds Gaussian noise of that sigma to D's input, decaying
linearly to 0 over ``instance_noise_iterations``; ``label_smoothing`` makes
the real target ``1 - s``; ``r1_gamma`` adds ``gamma / 2 * E||grad_x D(x)||^2``
on the real images (reported as ``dis/r1``); ``feature_matching`` adds that
weight times the squared distance between the mean last-hidden-layer
features of D on real and generated batches to G's loss (``gen/fm``);
``joint_batch`` passes the real and generated images through D as one
batch, so D's batch norm normalises both with the same statistics (the
example normalises each batch by its own, which hides from D whatever the
whole generated batch shares; a minibatch-std feature is then still taken
over each half alone).
"""
import chainer
import chainer.functions as F
from chainer.training.updaters import StandardUpdater

from dcgan.training import stabilisers
from dcgan.training.augment import DiffAugment
from dcgan.training.losses import get_losses
from dcgan.training.rng import TrainingRandom

UPDATE_ORDERS = ('detached', 'example')


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
        self.feature_matching = float(kwargs.pop('feature_matching', 0.0))
        self.joint_batch = bool(kwargs.pop('joint_batch', False))
        if isinstance(augment, str) or isinstance(augment, (list, tuple)):
            augment = DiffAugment(augment)
        if isinstance(augment, DiffAugment) and not augment.policy:
            augment = None
        self.augment = augment
        for name in ('instance_noise', 'label_smoothing', 'r1_gamma', 'feature_matching'):
            if getattr(self, name) < 0:
                raise ValueError('{} must be >= 0, got {}'.format(name, getattr(self, name)))
        if self.n_dis < 1:
            raise ValueError('n_dis must be at least 1, got {}'.format(self.n_dis))
        if self.dis_every < 1:
            raise ValueError('dis_every must be at least 1, got {}'.format(self.dis_every))
        if self.update_order not in UPDATE_ORDERS:
            raise ValueError('update_order must be one of {}, got {!r}'.format(
                ', '.join(UPDATE_ORDERS), self.update_order))
        self.loss_name = loss
        self.dis_loss, self.gen_loss = get_losses(loss, self.label_smoothing)
        self.rng = TrainingRandom(seed)
        super(DCGANUpdater, self).__init__(*args, **kwargs)

    # -- pieces ------------------------------------------------------------

    def real_batch(self):
        """Next real batch as float32 in [0, 1] on the device."""
        batch = self.get_iterator('main').next()
        x = chainer.dataset.convert._call_converter(
            self.converter, batch, self.input_device)
        if self.flip:
            x = self._random_flip(x)
        return x

    def _random_flip(self, x):
        xp = chainer.backend.get_array_module(x)
        flip = self.rng.random((len(x),), xp) < 0.5
        return xp.where(flip[:, None, None, None], x[..., ::-1], x)

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
        # Feature matching needs D's last hidden layer as well as its output.
        return bool(self.feature_matching)

    def _dis_forward(self, x):
        """(logits, last hidden layer or None) of D on ``dis_input(x)``."""
        return self._dis_on(self.dis_input(x))

    def _dis_on(self, d_in, groups=1):
        """(logits, last hidden layer or None) of D on exactly ``d_in``."""
        if not self._split_dis:
            return self.dis(d_in, rng=self.rng, groups=groups), None
        h = self.dis.features(d_in, rng=self.rng)
        return self.dis.head(h, groups), h

    def _dis_real(self, x_real):
        """D on a real batch: (logits, features or None, R1 penalty or None)."""
        d_in = self._real_input(x_real)
        y, h = self._dis_on(d_in)
        return y, h, stabilisers.r1_penalty(y, d_in) if self.r1_gamma else None

    def _real_input(self, x_real):
        """What D sees of a real batch; with R1 a leaf Variable, as the
        penalty is taken at it (after augmentation and noise)."""
        d_in = self.dis_input(x_real)
        if not self.r1_gamma:
            return d_in
        return chainer.Variable(getattr(d_in, 'array', d_in))

    def _dis_both(self, x_real, x_fake):
        """D on a real and a generated batch:
        (y_real, h_real, R1 or None, y_fake, h_fake); h are None unless
        feature matching needs them."""
        if not self.joint_batch:
            y_real, h_real, r1 = self._dis_real(x_real)
            y_fake, h_fake = self._dis_forward(x_fake)
            return y_real, h_real, r1, y_fake, h_fake
        # One batch: D's batch norm normalises both halves with the same
        # statistics, so what all generated images share (a colour, a
        # brightness) is not subtracted away before D can see it.
        r_in = self._real_input(x_real)
        f_in = self.dis_input(x_fake)
        # groups=2: a minibatch-std feature is taken over each half alone.
        y, h = self._dis_on(F.concat([r_in, f_in], axis=0), groups=2)
        n = len(r_in)
        r1 = stabilisers.r1_penalty(y[:n], r_in) if self.r1_gamma else None
        if h is None:
            return y[:n], None, r1, y[n:], None
        return y[:n], h[:n], r1, y[n:], h[n:]

    def _with_r1(self, loss, r1):
        if r1 is None:
            return loss
        chainer.report({'r1': r1}, self.dis)
        return loss + (0.5 * self.r1_gamma) * r1

    def _gen_loss(self, y_fake, h_real, h_fake):
        loss = self.gen_loss(y_fake)
        if self.feature_matching:
            fm = stabilisers.feature_matching_loss(h_real, h_fake)
            chainer.report({'fm': fm}, self.gen)
            loss = loss + self.feature_matching * fm
        return loss

    def _step(self, name, model, loss):
        """Update ``model`` by ``loss``, backpropagating only as far as its
        own parameters (``loss.backward()`` would also fill the other net's
        gradients, which are thrown away)."""
        model.cleargrads()
        chainer.grad([loss], list(model.params()), set_grad=True)
        self.get_optimizer(name).update()

    def _report(self, loss_dis, y_real, y_fake):
        chainer.report({'loss': loss_dis,
                        'real': F.mean(y_real.array),
                        'fake': F.mean(y_fake.array)}, self.dis)

    def dis_only_step(self):
        """One D step on a fresh real batch and a fresh generated batch."""
        x_real = self.real_batch()
        with chainer.no_backprop_mode():
            x_fake = self.gen(self.gen.make_hidden(len(x_real), self.rng)).array
        y_real, _, r1, y_fake, _ = self._dis_both(x_real, x_fake)
        loss = self._with_r1(self.dis_loss(y_real, y_fake), r1)
        self._step('dis', self.dis, loss)
        self._report(loss, y_real, y_fake)

    def gen_only_step(self, batchsize):
        if self.joint_batch:
            # D's output on generated images depends on the real half of its batch.
            x_real = self.real_batch()
            x_fake = self.gen(self.gen.make_hidden(batchsize, self.rng))
            _, h_real, _, y_fake, h_fake = self._dis_both(x_real, x_fake)
        else:
            h_real = None
            if self.feature_matching:
                with chainer.no_backprop_mode():
                    _, h_real = self._dis_forward(self.real_batch())
            x_fake = self.gen(self.gen.make_hidden(batchsize, self.rng))
            y_fake, h_fake = self._dis_forward(x_fake)
        loss = self._gen_loss(y_fake, h_real, h_fake)
        self._step('gen', self.gen, loss)
        chainer.report({'loss': loss}, self.gen)

    def joint_step(self):
        """A D step and a G step sharing one generated batch."""
        x_real = self.real_batch()
        x_fake = self.gen(self.gen.make_hidden(len(x_real), self.rng))
        if self.update_order == 'example':
            d_in = x_fake
        else:
            # A leaf holding the same images: the D loss stops here.
            d_in = chainer.Variable(x_fake.array)
        y_real, h_real, r1, y_fake, h_fake = self._dis_both(x_real, d_in)
        loss_dis = self._with_r1(self.dis_loss(y_real, y_fake), r1)
        self._step('dis', self.dis, loss_dis)
        self._report(loss_dis, y_real, y_fake)

        loss_gen = self._gen_loss(y_fake, h_real, h_fake)
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
        if self.iteration % self.dis_every != 0:
            self.gen_only_step(self.get_iterator('main').batch_size)
            return
        for _ in range(self.n_dis - 1):
            self.dis_only_step()
        self.joint_step()

    def serialize(self, serializer):
        super(DCGANUpdater, self).serialize(serializer)
        self.rng.serialize(serializer['rng'])
