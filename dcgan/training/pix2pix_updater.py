"""Pix2PixUpdater: conditional GAN + L1 steps for paired translation.

The same family as ``DCGANUpdater``: ``models=(gen, dis)``,
``optimizer={'gen': ..., 'dis': ...}``, losses by name from ``losses.py``,
``n_dis`` / ``dis_every`` for a discriminator that wins too early (the
line-art article's 2:1 and 3:1), DiffAugment, and one serialized
``TrainingRandom`` for every random number: the crop window and flip of
each pair, the dropout masks, the augmentation. A resumed run is exact.

G's loss is ``lambda_gan * adv + lambda_l1 * L1``, with L1 on the paper's
[-1, 1] scale (twice the mean absolute error on [0, 1] images), so 100 is
the paper's weight; D's objective is halved as in the paper, "which slows
down the rate at which D learns relative to G". ``lambda_gan=0`` trains G
by L1 alone and D not at all.

Reports ``gen/loss``, ``gen/l1``, ``gen/adv``, ``dis/loss`` and D's mean
raw output on real (``dis/real``) and generated (``dis/fake``) pairs.

One step: G translates the batch's inputs; D judges the generated pairs
once, through a leaf holding the generated images; G's loss gradient at
that leaf is pushed on into G and G is updated; then D is updated on the
same judgement and the real pairs (as chainer-pix2pix's update: G first,
both against the same D).
"""
import chainer
import chainer.functions as F
import numpy
from chainer.training.updaters import StandardUpdater

from dcgan.data import pairs, to_float_batch
from dcgan.models.patchgan import join
from dcgan.training.augment import DiffAugment
from dcgan.training.losses import get_losses
from dcgan.training.rng import TrainingRandom


class Pix2PixUpdater(StandardUpdater):

    def __init__(self, *args, **kwargs):
        self.gen, self.dis = kwargs.pop('models')
        loss = kwargs.pop('loss', 'nonsaturating')
        self.lambda_l1 = float(kwargs.pop('lambda_l1', 100.0))
        self.lambda_gan = float(kwargs.pop('lambda_gan', 1.0))
        self.n_dis = int(kwargs.pop('n_dis', 1))
        self.dis_every = int(kwargs.pop('dis_every', 1))
        crop = kwargs.pop('crop', None)
        self.crop = None if crop is None else tuple(int(v) for v in (
            crop if isinstance(crop, (tuple, list)) else (crop, crop)))
        self.flip = bool(kwargs.pop('flip', True))
        seed = kwargs.pop('seed', 0)
        augment = kwargs.pop('augment', None)
        if isinstance(augment, (str, list, tuple)):
            augment = DiffAugment(augment)
        if isinstance(augment, DiffAugment) and not augment.policy:
            augment = None
        self.augment = augment
        for name in ('lambda_l1', 'lambda_gan'):
            if getattr(self, name) < 0:
                raise ValueError('{} must be >= 0, got {}'.format(name, getattr(self, name)))
        if self.n_dis < 1 or self.dis_every < 1:
            raise ValueError('n_dis and dis_every must be at least 1, got {} and {}'.format(
                self.n_dis, self.dis_every))
        self.loss_name = loss
        self.dis_loss, self.gen_loss = get_losses(loss)
        self.rng = TrainingRandom(seed)
        kwargs.setdefault('converter', to_float_batch)
        super(Pix2PixUpdater, self).__init__(*args, **kwargs)

    # -- pieces ------------------------------------------------------------

    def crop_parameters(self, n, size):
        """Window corners and flips for ``n`` pairs of ``size``, from the stream."""
        h, w = self.crop or size
        if h > size[0] or w > size[1]:
            raise ValueError('crop {}x{} is larger than the {}x{} pairs'.format(
                h, w, size[0], size[1]))
        host = self.rng.host
        # size= by name: a stream shared by processes splits such draws by rank.
        tops = host.integers(0, size[0] - h + 1, size=n)
        lefts = host.integers(0, size[1] - w + 1, size=n)
        flips = host.random(size=n) < 0.5 if self.flip else numpy.zeros(n, bool)
        return (h, w), tops, lefts, flips

    def real_batch(self):
        """(inputs, targets): float32 in [0, 1] on the device, cropped and
        flipped alike."""
        batch = self.get_iterator('main').next()
        a = numpy.stack([e[0] for e in batch])
        b = numpy.stack([e[1] for e in batch])
        window, tops, lefts, flips = self.crop_parameters(len(a), a.shape[2:])
        a, b = pairs.crop_and_flip(a, b, window, tops, lefts, flips)
        convert = chainer.dataset.convert._call_converter
        return convert(self.converter, a, self.input_device), \
            convert(self.converter, b, self.input_device)

    def dis_input(self, a, b):
        """What D sees of a pair: joined, then augmented (one draw for both halves)."""
        x = join(a, b)
        if self.augment is not None:
            x = self.augment(x, self.rng)
        return x

    def l1(self, fake, target):
        return 2.0 * F.mean_absolute_error(fake, target)

    def _step(self, name, model, loss):
        model.cleargrads()
        chainer.grad([loss], list(model.params()), set_grad=True)
        self.get_optimizer(name).update()

    def _dis_step(self, a, b, y_fake):
        y_real = self.dis(self.dis_input(a, b))
        loss = 0.5 * self.dis_loss(y_real, y_fake)
        self._step('dis', self.dis, loss)
        chainer.report({'loss': loss, 'real': F.mean(y_real.array),
                        'fake': F.mean(y_fake.array)}, self.dis)

    def dis_only_step(self):
        """A D step on a fresh batch (for n_dis > 1)."""
        a, b = self.real_batch()
        with chainer.no_backprop_mode():
            fake = self.gen(a, rng=self.rng)
        self._dis_step(a, b, self.dis(self.dis_input(a, fake.array)))

    def joint_step(self, train_dis):
        a, b = self.real_batch()
        fake = self.gen(a, rng=self.rng)
        if not self.lambda_gan:
            l1 = self.l1(fake, b)
            loss = self.lambda_l1 * l1
            self._step('gen', self.gen, loss)
            chainer.report({'loss': loss, 'l1': l1}, self.gen)
            return
        # A leaf holding the generated images: D's loss stops here.
        leaf = chainer.Variable(fake.array)
        y_fake = self.dis(self.dis_input(a, leaf))
        l1, adv = self.l1(leaf, b), self.gen_loss(y_fake)
        loss = self.lambda_gan * adv + self.lambda_l1 * l1
        grad, = chainer.grad([loss], [leaf])
        self.gen.cleargrads()
        fake.grad = grad.array
        fake.backward()
        self.get_optimizer('gen').update()
        chainer.report({'loss': loss, 'l1': l1, 'adv': adv}, self.gen)
        if train_dis:
            self._dis_step(a, b, y_fake)

    # -- the update --------------------------------------------------------

    def update_core(self):
        train_dis = bool(self.lambda_gan) and self.iteration % self.dis_every == 0
        if train_dis:
            for _ in range(self.n_dis - 1):
                self.dis_only_step()
        self.joint_step(train_dis)

    def serialize(self, serializer):
        super(Pix2PixUpdater, self).serialize(serializer)
        self.rng.serialize(serializer['rng'])
