"""Does --small-data help on ~250 images? Example configuration vs preset.

Trains the Chainer example's configuration (Adam 2e-4/0.5, weight decay
1e-4, batch 50, D noise 0.2, nonsaturating loss) and the same plus the
``--small-data`` preset of dcgan/cli/stabiliser_options.py, for the same
number of iterations over several seeds, on 250 built-in demo images at
32 px, and prints the SWD (x1e3, lower is better) of each run's sample
generator (the EMA copy when the preset turns EMA on) against the training
images, with mean and spread, and the wall time per iteration. Beside SWD,
whose patches are mostly background, each run's samples get
picture_colour.py's chroma (0 = gray) and spread (0 = all alike).

Width: both configurations use ``--ch`` (default 128, the demo's), not the
example's 512, which is far too slow for a 2-core CPU. Narrower nets do
not make a useful test: at ch 64 (G's last hidden layer has 8 channels)
neither configuration learns discs in 1000 iterations and the seed alone
moves SWD by 140-300; at ch 32 neither learns colour.
BLAS runs single-threaded (set before NumPy is imported); ``--jobs`` runs
(default 2, one per core) train at once, interleaved seed by seed, so the
two configurations see the same conditions; wall time per iteration is
measured inside each run (with other runs and other users' work competing:
compare the two columns, not absolute values, and see the load average
printed beside them).

    python benchmarks/small_data.py                 # the README numbers (~65 min on 2 cores)
    python benchmarks/small_data.py --iterations 100 --seeds 0   # a quick look
    python benchmarks/small_data.py --variant "ema=--ema 0.999" --variant "aug=--augment color,translation,cutout"
"""
import os

for _name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_name, '1')

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import dcgan  # noqa: E402,F401
import chainer  # noqa: E402
import numpy  # noqa: E402
from chainer import training  # noqa: E402

from dcgan.io import imaging  # noqa: E402
from dcgan.training import optimizers  # noqa: E402
from dcgan.cli import stabiliser_options as options  # noqa: E402
from dcgan.cli.train_extensions import add_ema, add_guards, add_quality_checks  # noqa: E402
from dcgan.data import ImageArrayDataset, to_float_batch  # noqa: E402
from dcgan.data.demo import make_demo_images  # noqa: E402
from dcgan.extensions.swd_report import generate_images  # noqa: E402
from dcgan.training.iterators import make_iterator  # noqa: E402
from dcgan.models.nets import Discriminator, Generator  # noqa: E402
from dcgan.evaluation.swd import SWDReference  # noqa: E402
from dcgan.training.updater import DCGANUpdater  # noqa: E402
from picture_colour import GAP, PANEL_GAP, ROWS, UPSCALE, colour_stats  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')
SWD_IMAGES = 256
SWD_SEED = 0


def stabiliser_args(flags, iterations, seed):
    """Parse stabiliser flags exactly as dcgan-train does, plus the loss,
    learning rates and D's noise (the example's unless a variant sets them)."""
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    parser.add_argument('--loss', default='nonsaturating')
    # The example's spelling (--lr_dis) as in dcgan-train, or with a dash.
    parser.add_argument('--lr-gen', '--lr_gen', dest='lr_gen', type=float, default=2e-4)
    parser.add_argument('--lr-dis', '--lr_dis', dest='lr_dis', type=float, default=2e-4)
    parser.add_argument('--dis-noise', '--dis_noise', dest='dis_noise', type=float,
                        default=None)
    args = parser.parse_args(flags)
    args.iteration, args.seed = iterations, seed
    options.check_arguments(args, parser)
    # Quality is measured here, at the end; no in-training checks.
    args.swd_interval = args.nearest_interval = 0
    return args


def make_optimizer(model, alpha):
    opt = optimizers.Adam(alpha=alpha, beta1=0.5, weight_decay=1e-4)
    opt.setup(model)
    return opt


class EvalAt(training.Extension):
    """SWD of each named generator at chosen iterations (time excluded)."""
    priority = training.PRIORITY_READER

    def __init__(self, generators, reference, at):
        self.generators, self.reference, self.at = generators, reference, set(at)
        self.curves = {name: [] for name in generators}
        self.levels = {}  # name -> SWD per pyramid level at the last point
        self.seconds = 0.0

    def __call__(self, trainer):
        it = trainer.updater.iteration
        if it in self.at:
            t = time.time()
            for name, gen in self.generators.items():
                fake = generate_images(gen, SWD_IMAGES, seed=SWD_SEED)
                levels = self.reference.distance_per_level(fake)
                self.levels[name] = [float(v) for v in levels]
                self.curves[name].append((it, float(numpy.mean(levels))))
            self.seconds += time.time() - t


def train_one(images, flags, seed, iterations, ch, batchsize, reference, eval_points,
              probes=None):
    """Train one configuration; ``probes(trainer, gen)`` may add extensions
    and return more {name: generator} to evaluate beside the sample one."""
    args = stabiliser_args(flags, iterations, seed)
    res = images.shape[2]
    gen_kwargs = dict(n_hidden=100, resolution=res, ch=ch, out_channels=images.shape[1],
                      init_seed=seed, **options.gen_kwargs(args))
    dis_kwargs = dict(resolution=res, ch=ch, in_channels=images.shape[1],
                      noise_sigma=args.dis_noise,
                      init_seed=seed + 1000, **options.dis_kwargs(args))
    gen, dis = Generator(**gen_kwargs), Discriminator(**dis_kwargs)
    device = chainer.get_device('@numpy')
    kwargs = dict(models=(gen, dis), iterator=make_iterator(ImageArrayDataset(images),
                                                            batchsize, seed=seed),
                  optimizer={'gen': make_optimizer(gen, args.lr_gen),
                             'dis': make_optimizer(dis, args.lr_dis)},
                  device=device, converter=to_float_batch, seed=seed, loss=args.loss,
                  **options.updater_kwargs(args, iterations))
    updater = DCGANUpdater(**kwargs)
    with tempfile.TemporaryDirectory() as out:
        trainer = training.Trainer(updater, (iterations, 'iteration'), out=out)
        # dcgan-train's stabiliser extensions (no snapshots: the trigger never fires).
        never = (10 ** 9, 'iteration')
        add_guards(trainer, args, gen, dis, updater, iterations)
        sample_gen = add_ema(trainer, args, gen, never)
        add_quality_checks(trainer, args, sample_gen, images, never, never)
        at = [round(iterations * (k + 1) / eval_points) for k in range(eval_points)]
        generators = {'sample': sample_gen}
        if probes is not None:
            generators.update(probes(trainer, gen))
        evaluator = EvalAt(generators, reference, at)
        trainer.extend(evaluator, trigger=(1, 'iteration'))
        start = time.time()
        trainer.run()
        train_seconds = time.time() - start - evaluator.seconds
    samples = generate_images(sample_gen, 64, seed=123)
    curve = evaluator.curves['sample']
    return dict(swd=curve[-1][1], curve=curve, curves=evaluator.curves,
                levels=evaluator.levels['sample'],
                sec_per_iter=train_seconds / iterations, samples=samples)


def grid(samples, rows=ROWS):
    return imaging.tile(samples[:rows * rows], rows, rows, gap=GAP, gap_value=255)


def sample_colour(samples):
    """picture_colour.py's chroma and spread of uint8 NCHW samples."""
    return colour_stats(samples[:ROWS * ROWS].transpose(0, 2, 3, 1) / 255.0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--iterations', type=int, default=1000)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    p.add_argument('--ch', type=int, default=128)
    p.add_argument('--batchsize', type=int, default=50)
    p.add_argument('--n-images', type=int, default=250)
    p.add_argument('--resolution', type=int, default=32)
    p.add_argument('--jobs', type=int, default=2, help='runs trained at once (processes)')
    p.add_argument('--eval-points', type=int, default=4,
                   help='SWD evaluations per run (the last, at --iterations, is reported)')
    p.add_argument('--variant', action='append', default=None, metavar='NAME=FLAGS',
                   help='a configuration to train: name=stabiliser flags '
                        '(default: example= and small-data=--small-data)')
    p.add_argument('--picture', default=os.path.join(RESULTS, 'small_data_samples.png'))
    a = p.parse_args(argv)
    variants = a.variant or ['example=', 'small-data=--small-data']
    variants = [(v.split('=', 1)[0], shlex.split(v.split('=', 1)[1])) for v in variants]

    images = make_demo_images(a.n_images, a.resolution, 3, seed=0)
    reference = SWDReference(images, n_images=SWD_IMAGES, seed=SWD_SEED)
    print('dataset: {} demo images at {} px; ch={} (example: 512) batch {}; {} iterations; '
          'seeds {}'.format(a.n_images, a.resolution, a.ch, a.batchsize, a.iterations, a.seeds))
    print('preset --small-data = {}'.format(options.describe_preset()))
    print('SWD x1e3 on {} samples (lower is better); load average at start {:.2f}'.format(
        SWD_IMAGES, os.getloadavg()[0]))
    # SWD's patches are mostly background; colour says whether samples are
    # gray (chroma 0) or all alike (spread 0), which SWD barely sees.
    data_colour = sample_colour(images)
    print('colour of 64 samples (benchmarks/picture_colour.py): training images chroma {:.3f} '
          'spread {:.3f}'.format(*data_colour))
    sys.stdout.flush()

    results = {name: [] for name, _ in variants}
    jobs = [(seed, name, flags) for seed in a.seeds for name, flags in variants]
    _JOB_STATE.update(images=images, a=a, reference=reference)
    for (seed, name, flags), r in zip(jobs, run_jobs(_run_job, jobs, a.jobs)):
        r['colour'] = sample_colour(r['samples'])
        results[name].append(r)
        curve = ' '.join('{}:{:.1f}'.format(i, s) for i, s in r['curve'])
        levels = '/'.join('{:.1f}'.format(v) for v in r['levels'])
        print('  {:<12} seed {}  swd {:7.1f}  {:.3f} s/iter  (curve {}; per level, fine to coarse, '
              '{})  chroma {:.3f} spread {:.3f}  load {:.2f}'.format(
                  name, seed, r['swd'], r['sec_per_iter'], curve, levels,
                  *r['colour'], os.getloadavg()[0]))
        sys.stdout.flush()

    # How noisy is the number itself? Independent real images score the
    # floor a perfect generator would get; re-seeding the patch positions
    # shows the metric's own spread for one fixed set of samples.
    other = make_demo_images(SWD_IMAGES, a.resolution, 3, seed=1)
    floor = reference.distance(other)
    first = results[variants[0][0]][0]['samples']
    fixed = generate_images_spread(first, images)
    print('SWD of {} fresh demo images (what a perfect generator would score): {:.1f}'.format(
        SWD_IMAGES, floor))
    print('SWD of one fixed sample set over 5 patch/direction seeds: mean {:.1f}, std {:.1f}'
          .format(numpy.mean(fixed), numpy.std(fixed)))
    print()
    print('| configuration | SWD x1e3 (mean +- std over {} seeds) | chroma | spread | '
          's / iteration |'.format(len(a.seeds)))
    print('|---|---|---|---|---|')
    for name, _ in variants:
        secs = numpy.mean([r['sec_per_iter'] for r in results[name]])
        colour = numpy.mean([r['colour'] for r in results[name]], axis=0)
        print('| {} | {:.1f} +- {:.1f} | {:.3f} | {:.3f} | {:.3f} |'.format(
            name, *mean_std([r['swd'] for r in results[name]]), *colour, secs))
    print('| training images | | {:.3f} | {:.3f} | |'.format(*data_colour))
    names = [name for name, _ in variants]
    if len(names) >= 2:
        for line in compare(names[0], [r['swd'] for r in results[names[0]]],
                            names[-1], [r['swd'] for r in results[names[-1]]]):
            print(line)
        secs = [numpy.mean([r['sec_per_iter'] for r in results[n]]) for n in (names[0], names[-1])]
        print('time per iteration {} / {}: {:.2f}'.format(names[-1], names[0], secs[1] / secs[0]))
    # Side by side: training images | each configuration (seed of the first run).
    panels = [grid(images[:64])] + [grid(results[n][0]['samples']) for n in names]
    gap = numpy.full((panels[0].shape[0], PANEL_GAP, 3), 255, numpy.uint8)
    picture = numpy.concatenate(sum([[pnl, gap] for pnl in panels], [])[:-1], axis=1)
    imaging.save_png(a.picture, imaging.upscale(picture, UPSCALE))
    print('picture: {} (training images | {})'.format(a.picture, ' | '.join(names)))


def mean_std(values):
    """Mean and spread (sample std; 0 for a single value) over seeds."""
    v = numpy.asarray(values, float)
    return v.mean(), v.std(ddof=1) if len(v) > 1 else 0.0


def paired(a, b):
    """a - b over the same seeds: mean, its standard error, and on how many
    seeds b is lower."""
    diff = numpy.asarray(a, float) - numpy.asarray(b, float)
    se = diff.std(ddof=1) / numpy.sqrt(len(diff)) if len(diff) > 1 else 0.0
    return diff.mean(), se, int((diff > 0).sum())


def compare(name_a, a, name_b, b):
    """The issue's verdict (is b's mean lower than a's by more than the
    larger spread over seeds?) and, since a and b are lists over the same
    seeds, the paired difference with its standard error."""
    (mean_a, std_a), (mean_b, std_b) = mean_std(a), mean_std(b)
    spread, gap = max(std_a, std_b), mean_a - mean_b
    diff, se, lower = paired(a, b)
    return ['{} - {}: {:.1f} (larger spread {:.1f}); {}'.format(
                name_a, name_b, gap, spread,
                'ACCEPTED: lower by more than the spread' if gap > spread else
                'NOT ACCEPTED: not lower by more than the spread'),
            'paired by seed: {} - {} = {:.1f} (s.e. {:.1f}), {} lower on {} of {} seeds'.format(
                name_a, name_b, diff, se, name_b, lower, len(a))]


def run_jobs(function, jobs, processes):
    """Yield ``function(job)`` for each job in order, ``processes`` at a
    time (forked, so module state set before the call is shared)."""
    if processes <= 1:
        yield from map(function, jobs)
        return
    with multiprocessing.get_context('fork').Pool(processes) as pool:
        yield from pool.imap(function, jobs)


_JOB_STATE = {}


def _run_job(job):
    seed, name, flags = job
    st = _JOB_STATE
    return train_one(st['images'], flags, seed, st['a'].iterations, st['a'].ch,
                     st['a'].batchsize, st['reference'], st['a'].eval_points)


def generate_images_spread(samples, images):
    return [SWDReference(images, n_images=SWD_IMAGES, seed=s).distance(samples)
            for s in range(1, 6)]


if __name__ == '__main__':
    main()
