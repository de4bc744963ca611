"""How long should the generator's EMA average over in a short run?

``--ema DECAY`` uses ``min(DECAY, (1 + n) / (W + n))`` at update n, so in a
run of a few thousand updates the warm-up W, not DECAY, sets how far back
the average reaches (about n / (W - 1) updates). Because an EMA does not
change training, one run per seed can carry several averages at once:
this trains a configuration (default: the Chainer example's, as in
benchmarks/small_data.py) and keeps one EMA per warm-up, then prints each
one's SWD (x1e3, lower is better) against the raw generator of the same
run, per seed and over seeds, with the paired difference. A control, the
raw weights with batch-norm statistics recomputed as the EMA's are, shows
how much of an EMA's gain is its statistics rather than its averaging.

    python benchmarks/ema_warmup.py                          # seeds 5-10 (~45 min on 2 cores)
    python benchmarks/ema_warmup.py --seeds 0 --iterations 100 --warmups 10 2   # a quick look
"""
import os

for _name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_name, '1')

import argparse  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import small_data  # noqa: E402  (sets up sys.path and imports dcgan first)

from dcgan.data.demo import make_demo_images  # noqa: E402
from dcgan.extensions.ema import GeneratorEMA  # noqa: E402
from dcgan.evaluation.swd import SWDReference  # noqa: E402


def ema_probes(decay, warmups):
    def probes(trainer, gen):
        # Control: decay 0 copies the raw weights, so this differs from the
        # raw generator only by the EMA copy's recomputed batch-norm
        # statistics (raw G runs on its running averages over training).
        control = GeneratorEMA(gen, decay=0.0)
        trainer.extend(control, name='raw_own_bn')
        generators = {'raw, own BN': control.ema}
        for w in warmups:
            ext = GeneratorEMA(gen, decay=decay, warmup=w)
            trainer.extend(ext, name='ema_w{:g}'.format(w))
            generators['ema W={:g}'.format(w)] = ext.ema
        return generators
    return probes


_STATE = {}


def _run(seed):
    a = _STATE['a']
    return small_data.train_one(_STATE['images'], shlex.split(a.flags), seed, a.iterations,
                                a.ch, a.batchsize, _STATE['reference'], a.eval_points,
                                probes=ema_probes(a.decay, a.warmups))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[5, 6, 7, 8, 9, 10])
    p.add_argument('--warmups', type=float, nargs='+', default=[10, 20, 40, 80, 160])
    p.add_argument('--decay', type=float, default=0.999)
    p.add_argument('--flags', default='', help='stabiliser flags of the trained configuration')
    p.add_argument('--iterations', type=int, default=1000)
    p.add_argument('--ch', type=int, default=128)
    p.add_argument('--batchsize', type=int, default=50)
    p.add_argument('--n-images', type=int, default=250)
    p.add_argument('--resolution', type=int, default=32)
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--eval-points', type=int, default=4)
    a = p.parse_args(argv)

    images = make_demo_images(a.n_images, a.resolution, 3, seed=0)
    _STATE.update(a=a, images=images,
                  reference=SWDReference(images, n_images=small_data.SWD_IMAGES,
                                         seed=small_data.SWD_SEED))
    print('{} demo images at {} px, ch {}, batch {}, {} iterations, flags "{}"; EMA decay cap {}; '
          'seeds {}; load {:.2f}'.format(a.n_images, a.resolution, a.ch, a.batchsize,
                                         a.iterations, a.flags, a.decay, a.seeds,
                                         os.getloadavg()[0]))
    sys.stdout.flush()
    finals = {}
    for seed, r in zip(a.seeds, small_data.run_jobs(_run, a.seeds, a.jobs)):
        for name, curve in r['curves'].items():
            name = 'raw G' if name == 'sample' else name
            finals.setdefault(name, []).append(curve[-1][1])
            print('  seed {}  {:<10} {}'.format(
                seed, name, ' '.join('{}:{:.1f}'.format(i, s) for i, s in curve)))
        sys.stdout.flush()

    raw = finals['raw G']
    _, raw_std = small_data.mean_std(raw)
    print()
    print('| generator | SWD at {} (mean +- std over {} seeds) | paired vs raw G: mean '
          '(s.e.), better on | gap - larger spread |'.format(a.iterations, len(a.seeds)))
    print('|---|---|---|---|')
    for name, values in finals.items():
        mean, std = small_data.mean_std(values)
        diff, se, better = small_data.paired(raw, values)
        print('| {} | {:.1f} +- {:.1f} | {:.1f} ({:.1f}), {}/{} | {:+.1f} |'.format(
            name, mean, std, diff, se, better, len(values), diff - max(std, raw_std)))


if __name__ == '__main__':
    main()
