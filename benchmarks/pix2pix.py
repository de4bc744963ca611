"""pix2pix on line art made from the demo images: held-out quality of three loss
settings at equal iterations, and seconds per iteration against chainer-pix2pix's update.

    python benchmarks/pix2pix.py                       # ~15 min on 2 busy cores
    python benchmarks/pix2pix.py --iterations 100 --seeds 0 --speed-rounds 2   # a smoke run

Data: ``--images`` demo images (dcgan.data.demo) loaded at 72 px, line art by
``--make-input lineart``'s rule, random 64 px crops and flips; the same
``--holdout`` pairs (split seed 0) are held out for every run and scored in
eval mode (running statistics, no dropout; training batches hold 4 pairs).
Configurations: L1 only (``lambda_gan 0``, no D), cGAN + L1, and cGAN + L1 with
D stepped every 2nd iteration; each over ``--seeds`` (weights, order, crops
and dropout all follow the seed).

Speed: dcgan's ``Pix2PixUpdater`` against a reference written out here from
pfnet-research/chainer-pix2pix's ``updater.py`` (FacadeUpdater): the same
nets, but Chainer's own functions (no fast CPU ops), dropout masks from NumPy's
global RNG as ``F.dropout`` draws them, G's loss backpropagated through
everything twice (once for the encoder's optimizer, again after cutting the
skips for the decoder's), then D's loss, Adam with a WeightDecay(1e-5) hook.
The two alternate in rounds in one process, so a machine shared with other
jobs slows both alike; the medians of the rounds are compared.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import dcgan  # noqa: E402,F401
import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
import numpy  # noqa: E402

from dcgan.data import demo, pairs  # noqa: E402
from dcgan.evaluation import paired  # noqa: E402
from dcgan.models import layers  # noqa: E402
from dcgan.models.patchgan import PatchDiscriminator, join  # noqa: E402
from dcgan.models.unet import UNetGenerator  # noqa: E402
from dcgan.training import optimizers  # noqa: E402
from dcgan.training.iterators import make_iterator  # noqa: E402
from dcgan.training.pix2pix_updater import Pix2PixUpdater  # noqa: E402

CONFIGS = [('L1 only', dict(lambda_gan=0.0)),
           ('cGAN + L1', dict()),
           ('cGAN + L1, D every 2nd', dict(dis_every=2))]
SIZE, LOAD = 64, 72


def paired_set(n_images, n_holdout):
    images = demo.make_demo_images(n=n_images, resolution=LOAD, channels=3, seed=0)
    found = pairs.derive_pairs(images, 'lineart', [str(i) for i in range(n_images)])
    train, held = pairs.holdout_split(n_images, n_holdout, seed=0)
    return found.subset(train), found.subset(held)


def nets(args, seed):
    gen = UNetGenerator(1, 3, SIZE, ngf=args.ngf, init_seed=seed)
    dis = PatchDiscriminator(4, ndf=args.ndf, patch=args.patch, resolution=SIZE,
                             init_seed=seed + 1)
    return gen, dis


def updater_for(args, train, seed, weight_decay=0.0, **kwargs):
    gen, dis = nets(args, seed)
    opts = {}
    for name, model in (('gen', gen), ('dis', dis)):
        opts[name] = optimizers.Adam(alpha=2e-4, beta1=0.5, weight_decay=weight_decay)
        opts[name].setup(model)
    iterator = make_iterator(pairs.PairedArrayDataset(train.inputs, train.targets),
                             args.batchsize, seed=seed)
    return Pix2PixUpdater(models=(gen, dis), iterator=iterator, optimizer=opts,
                          device='@numpy', crop=SIZE, seed=seed, **kwargs)


def train_and_score(args, train, held, seed, kwargs):
    updater = updater_for(args, train, seed, **kwargs)
    reporter = chainer.Reporter()
    reporter.add_observer('gen', updater.gen)
    reporter.add_observer('dis', updater.dis)
    for _ in range(args.iterations):
        with reporter.scope({}):
            updater.update()
    a = pairs.centre_crop(held.inputs, (SIZE, SIZE))
    b = pairs.centre_crop(held.targets, (SIZE, SIZE))
    return paired.scores(paired.translate(updater.gen, a, 'eval', 0, args.batchsize), b)


class GlobalDropout(object):
    """F.dropout's mask source: NumPy's global RNG (``xp.random.rand``)."""

    def random(self, shape, xp):
        return xp.random.rand(*shape).astype(numpy.float32)


class ChainerPix2PixReference(object):
    """chainer-pix2pix's FacadeUpdater.update_core, on our nets and batches."""

    def __init__(self, args, train, seed, lam1=100.0, lam2=1.0):
        self.gen, self.dis = nets(args, seed)
        self.opts = []
        for model in (self.gen, self.dis):
            opt = chainer.optimizers.Adam(alpha=2e-4, beta1=0.5)
            opt.setup(model)
            opt.add_hook(chainer.optimizer_hooks.WeightDecay(1e-5))
            self.opts.append(opt)
        self.batches = updater_for(args, train, seed)  # only its crops of the pairs
        self.lam1, self.lam2 = lam1, lam2
        self.dropout = GlobalDropout()

    def loss_gen(self, x_out, t_out, y_out):
        batchsize, _, w, h = y_out.shape
        loss_rec = self.lam1 * F.mean_absolute_error(x_out, t_out)
        loss_adv = self.lam2 * F.sum(F.softplus(-y_out)) / batchsize / w / h
        return loss_rec + loss_adv

    def loss_dis(self, y_in, y_out):
        batchsize, _, w, h = y_in.shape
        return F.sum(F.softplus(-y_in)) / batchsize / w / h + \
            F.sum(F.softplus(y_out)) / batchsize / w / h

    def update(self):
        with layers.use_fast_cpu(False):
            a, b = self.batches.real_batch()
            x_in = chainer.Variable(a)
            z = self.gen.encode(x_in)
            x_out = self.gen.decode(z, rng=self.dropout)
            y_fake = self.dis(join(x_in, x_out))
            y_real = self.dis(join(x_in, b))
            # enc_optimizer.update(loss_enc): a whole backward.
            self.gen.cleargrads()
            self.loss_gen(x_out, b, y_fake).backward()
            enc = {n: p.grad.copy() for n, p in self.gen.namedparams() if n.startswith('/down')}
            for z_ in z:
                z_.unchain_backward()
            # dec_optimizer.update(loss_dec): through D and the decoder again.
            self.gen.cleargrads()
            self.loss_gen(x_out, b, y_fake).backward()
            for n, p in self.gen.namedparams():
                if n in enc:
                    p.grad = enc[n]
            self.opts[0].update()
            x_in.unchain_backward()
            x_out.unchain_backward()
            self.dis.cleargrads()
            self.loss_dis(y_real, y_fake).backward()
            self.opts[1].update()


def seconds_per_iteration(step, n):
    start = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - start) / n


def speed(args, train):
    ours = updater_for(args, train, 0, weight_decay=1e-5)
    reporter = chainer.Reporter()
    reporter.add_observer('gen', ours.gen)
    reporter.add_observer('dis', ours.dis)

    def our_step():
        with reporter.scope({}):
            ours.update()
    reference = ChainerPix2PixReference(args, train, 0)
    for step in (our_step, reference.update):  # warm-up
        seconds_per_iteration(step, 2)
    times = {'dcgan': [], 'reference': []}
    for _ in range(args.speed_rounds):
        times['reference'].append(seconds_per_iteration(reference.update, args.speed_iterations))
        times['dcgan'].append(seconds_per_iteration(our_step, args.speed_iterations))
    return {k: float(numpy.median(v)) for k, v in times.items()}, times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=320)
    parser.add_argument('--holdout', type=int, default=32)
    parser.add_argument('--iterations', type=int, default=150)
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--batchsize', type=int, default=4)
    parser.add_argument('--ngf', type=int, default=32)
    parser.add_argument('--ndf', type=int, default=32)
    parser.add_argument('--patch', type=int, default=34)
    parser.add_argument('--speed-rounds', type=int, default=3)
    parser.add_argument('--speed-iterations', type=int, default=3)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(',')]
    train, held = paired_set(args.images, args.holdout)
    print('# {} training pairs, {} held out; 64 px crops of 72 px line art -> colour; batch {}, '
          'ngf {}, ndf {}, patch {}; {} iterations; seeds {}'.format(
              len(train.names), len(held.names), args.batchsize, args.ngf, args.ndf, args.patch,
              args.iterations, args.seeds))
    print('# held-out scores in eval mode; L1 on [-1, 1] (lower is better), PSNR dB and SSIM '
          '(higher is better); mean +- std over seeds')
    print('| configuration | L1 per seed | L1 | PSNR | SSIM | s |')
    print('|---|---|---|---|---|---|')
    sys.stdout.flush()
    for name, kwargs in CONFIGS:
        rows, start = [], time.time()
        for seed in seeds:
            rows.append(train_and_score(args, train, held, seed, kwargs))
        def stat(key):
            v = numpy.array([r[key] for r in rows])
            return '{:.3f} +- {:.3f}'.format(v.mean(), v.std(ddof=1) if len(v) > 1 else 0.0)
        print('| {} | {} | {} | {} | {} | {:.0f} |'.format(
            name, ' / '.join('{:.3f}'.format(r['l1']) for r in rows), stat('l1'), stat('psnr'),
            stat('ssim'), time.time() - start))
        sys.stdout.flush()
    medians, times = speed(args, train)
    print('\n# seconds per iteration (G + D step, batch {}), medians of {} alternating rounds of '
          '{} iterations in this process; the machine may be shared, so only the ratio counts'
          .format(args.batchsize, args.speed_rounds, args.speed_iterations))
    for k in ('reference', 'dcgan'):
        print('{:>10}: {:.3f} s  (rounds: {})'.format(
            k, medians[k], ', '.join('{:.3f}'.format(t) for t in times[k])))
    print('ratio (reference / dcgan): {:.2f}'.format(medians['reference'] / medians['dcgan']))


if __name__ == '__main__':
    main()
