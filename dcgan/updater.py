"""DCGANUpdater: alternate discriminator and generator steps.

It takes the Chainer example's arguments (``models=(gen, dis)``,
``optimizer={'gen': ..., 'dis': ...}``, ``iterator``, ``device``) and adds the
knobs people reach for when a discriminator wins too early: several D steps
per G step (``n_dis``), or a D step only every k-th iteration
(``dis_every``), and a choice of loss.

Reports ``gen/loss``, ``dis/loss`` and the discriminator's mean raw output
on the real (``dis/real``) and generated (``dis/fake``) batch: a gap that
keeps widening means D is winning.

Update order. ``'example'`` is Chainer's example to the letter: one
generator forward, D loss backpropagated through D *and* G (the generator's
share is thrown away), then the G loss backpropagated through the same
graph. ``'detached'`` (default) computes the same weights without the wasted
generator backward: the D loss stops at the generated images and the G step
then pushes the gradient that reached them into the generator.
"""
import chainer
import chainer.functions as F
from chainer.training.updaters import StandardUpdater

from dcgan.losses import get_losses
from dcgan.rng import TrainingRandom

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
        if self.n_dis < 1:
            raise ValueError('n_dis must be at least 1, got {}'.format(self.n_dis))
        if self.dis_every < 1:
            raise ValueError('dis_every must be at least 1, got {}'.format(self.dis_every))
        if self.update_order not in UPDATE_ORDERS:
            raise ValueError('update_order must be one of {}, got {!r}'.format(
                ', '.join(UPDATE_ORDERS), self.update_order))
        self.loss_name = loss
        self.dis_loss, self.gen_loss = get_losses(loss)
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
        return x

    def _report(self, loss_dis, y_real, y_fake):
        chainer.report({'loss': loss_dis,
                        'real': F.mean(y_real.array),
                        'fake': F.mean(y_fake.array)}, self.dis)

    def dis_only_step(self):
        """One D step on a fresh real batch and a fresh generated batch."""
        x_real = self.real_batch()
        with chainer.no_backprop_mode():
            x_fake = self.gen(self.gen.make_hidden(len(x_real), self.rng)).array
        y_real = self.dis(self.dis_input(x_real), rng=self.rng)
        y_fake = self.dis(self.dis_input(x_fake), rng=self.rng)
        loss = self.dis_loss(y_real, y_fake)
        self.get_optimizer('dis').update(lambda: loss)
        self._report(loss, y_real, y_fake)

    def gen_only_step(self, batchsize):
        x_fake = self.gen(self.gen.make_hidden(batchsize, self.rng))
        y_fake = self.dis(self.dis_input(x_fake), rng=self.rng)
        loss = self.gen_loss(y_fake)
        self.get_optimizer('gen').update(lambda: loss)
        chainer.report({'loss': loss}, self.gen)

    def joint_step(self):
        """A D step and a G step sharing one generated batch."""
        x_real = self.real_batch()
        z = self.gen.make_hidden(len(x_real), self.rng)
        y_real = self.dis(self.dis_input(x_real), rng=self.rng)
        x_fake = self.gen(z)
        if self.update_order == 'example':
            d_in = x_fake
        else:
            # A leaf holding the same images: the D loss stops here.
            d_in = chainer.Variable(x_fake.array)
        y_fake = self.dis(self.dis_input(d_in), rng=self.rng)
        loss_dis = self.dis_loss(y_real, y_fake)
        self.get_optimizer('dis').update(lambda: loss_dis)
        self._report(loss_dis, y_real, y_fake)

        loss_gen = self.gen_loss(y_fake)
        gen_opt = self.get_optimizer('gen')
        if self.update_order == 'example':
            gen_opt.update(lambda: loss_gen)
        else:
            d_in.grad_var = None
            loss_gen.backward()
            x_fake.grad = d_in.grad
            self.gen.cleargrads()
            x_fake.backward()
            gen_opt.update()
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
