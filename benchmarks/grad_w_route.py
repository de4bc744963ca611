"""Where the convolution weight gradient should go: im2col + GEMM or oneDNN.

    python benchmarks/grad_w_route.py [--ch 128] [--batch 32] [--resolution 32]

dcgan.ops.onednn.preferred sends a layer's backward-weights to oneDNN when
one side has at most NARROW_CHANNELS channels. This prints, for every
convolution weight gradient of the nets at --ch (G with --upsample nearest,
and D), both paths' median time (interleaved, after a warm-up) and where
the rule sends it; then whole training updates (the demo's G and D,
--dis_every 2) with the rule as it is and with the old one (image layers
only, NARROW_CHANNELS 4), in alternating blocks in this one process.
One BLAS/oneDNN thread unless OMP_NUM_THREADS says otherwise.
"""
import argparse
import os
import sys
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import chainer  # noqa: E402
import numpy  # noqa: E402

import dcgan  # noqa: E402,F401
from dcgan.data import demo, to_float_batch  # noqa: E402
from dcgan.data.dataset import ImageArrayDataset  # noqa: E402
from dcgan.models import Discriminator, Generator  # noqa: E402
from dcgan.ops import conv2d_grad_w, onednn  # noqa: E402
from dcgan.training import DCGANUpdater, make_iterator  # noqa: E402

OLD_RULE = 4  # before 2026-12-03: only the image layers (3 channels) went to oneDNN


def weight_gradient_cases(gen, dis, batch):
    """The (x, gy) shapes, kernel, stride and pad of every weight gradient of one G + D pass."""
    cases = []
    real_forward = conv2d_grad_w.Convolution2DGradW.forward

    def record(node, inputs):
        x, gy = inputs
        cases.append((x.shape, gy.shape, (node.kh, node.kw), (node.sy, node.sx),
                      (node.ph, node.pw)))
        return real_forward(node, inputs)
    conv2d_grad_w.Convolution2DGradW.forward = record
    try:
        z = numpy.random.default_rng(0).uniform(-1, 1, (batch, gen.n_hidden, 1, 1))
        y = dis(gen(z.astype(numpy.float32)))
        y = y[0] if isinstance(y, tuple) else y
        chainer.functions.sum(y).backward()
    finally:
        conv2d_grad_w.Convolution2DGradW.forward = real_forward
    return sorted(set(cases))


def time_case(case, repeats=15):
    """Median ms of (GEMM, oneDNN) for one weight gradient, interleaved."""
    x_shape, gy_shape, k, s, p = case
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(numpy.float32)
    gy = rng.standard_normal(gy_shape).astype(numpy.float32)
    real = onednn.preferred
    times = {True: [], False: []}
    try:
        for r in range(repeats + 1):
            for use in (False, True):
                onednn.preferred = lambda *a, use=use: use
                start = time.perf_counter()
                conv2d_grad_w.Convolution2DGradW(k, s, p).forward((x, gy))
                if r:  # the first round builds the primitives
                    times[use].append(time.perf_counter() - start)
    finally:
        onednn.preferred = real
    return 1e3 * numpy.median(times[False]), 1e3 * numpy.median(times[True])


def updates_per_rule(resolution, ch, batch, blocks, per_block):
    """Median seconds per update with the rule as it is and with OLD_RULE."""
    images = demo.make_demo_images(256, resolution, 3, seed=0)
    gen = Generator(n_hidden=100, resolution=resolution, ch=ch, upsample='nearest')
    dis = Discriminator(resolution=resolution, ch=ch)
    opt = {name: chainer.optimizers.Adam(2e-4, beta1=0.5).setup(m)
           for name, m in (('gen', gen), ('dis', dis))}
    updater = DCGANUpdater(models=(gen, dis), iterator=make_iterator(
        ImageArrayDataset(images), batch), optimizer=opt, converter=to_float_batch,
        device='@numpy', dis_every=2)
    rules = {'now': onednn.NARROW_CHANNELS, 'old': OLD_RULE}
    seconds = {name: [] for name in rules}
    try:
        for name in rules:  # warm-up: compile, build primitives
            onednn.NARROW_CHANNELS = rules[name]
            for _ in range(4):
                updater.update()
        for _ in range(blocks):
            for name in rules:
                onednn.NARROW_CHANNELS = rules[name]
                start = time.perf_counter()
                for _ in range(per_block):
                    updater.update()
                seconds[name].append((time.perf_counter() - start) / per_block)
    finally:
        onednn.NARROW_CHANNELS = rules['now']
    return {name: float(numpy.median(v)) for name, v in seconds.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--ch', type=int, default=128)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--resolution', type=int, default=32)
    parser.add_argument('--blocks', type=int, default=5)
    parser.add_argument('--per-block', type=int, default=20)
    args = parser.parse_args(argv)
    if not onednn.available():
        print('oneDNN is not available here ({}); nothing to compare'.format(
            onednn.unavailable_reason()))
        return 1
    print(onednn.describe())
    gen = Generator(n_hidden=100, resolution=args.resolution, ch=args.ch, upsample='nearest')
    dis = Discriminator(resolution=args.resolution, ch=args.ch)
    total = {'gemm': 0.0, 'onednn': 0.0, 'rule': 0.0}
    print('{:<20} {:<20} {:>6} {:>6} {:>9} {:>11} {:>6}  {}'.format(
        'x', 'gy', 'kernel', 'stride', 'GEMM ms', 'oneDNN ms', 'ratio', 'the rule sends it to'))
    for case in weight_gradient_cases(gen, dis, args.batch):
        x_shape, gy_shape, k, s, _ = case
        gemm, dnnl = time_case(case)
        w_shape = (gy_shape[1], x_shape[1]) + k
        to_dnnl = onednn.preferred('backward_weights', x_shape, w_shape, gy_shape, s)
        total['gemm'] += gemm
        total['onednn'] += dnnl
        total['rule'] += dnnl if to_dnnl else gemm
        print('{:<20} {:<20} {:>6} {:>6} {:>9.2f} {:>11.2f} {:>6.2f}  {}'.format(
            str(x_shape), str(gy_shape), '{}x{}'.format(*k), s[0], gemm, dnnl, gemm / dnnl,
            'oneDNN' if to_dnnl else 'GEMM'))
    print('sum of one pass: GEMM {gemm:.1f} ms, oneDNN {onednn:.1f} ms, '
          'the rule {rule:.1f} ms'.format(**total))
    per = updates_per_rule(args.resolution, args.ch, args.batch, args.blocks, args.per_block)
    print('whole updates (--dis_every 2, median of {} blocks of {}): rule now {:.1f} ms, '
          'old rule (only <= {} channels) {:.1f} ms; old / now {:.3f}'.format(
              args.blocks, args.per_block, 1e3 * per['now'], OLD_RULE, 1e3 * per['old'],
              per['old'] / per['now']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
