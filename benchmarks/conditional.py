"""Does conditioning draw the class asked for? Unconditional vs --cond proj, concat, acgan.

Trains, through dcgan-train (dcgan.cli.train.main, with the example's
training and only --cond changed), the unconditional model and each
conditional method for the same iterations and seeds on the labelled demo
shapes (disc, maki, ring; ``--demo_images`` of them at 32 px, the same
pictures for every method), then scores each run's final generator:

- classifier accuracy: a classifier trained once on the real images
  (dcgan.evaluation.classifier, seed 0) labels ``--class-samples`` samples
  asked of each class; the accuracy is the share it puts in the class asked
  (chance: 1/3). Its accuracy on held-out real images is the ceiling.
- per-class SWD (x1e3, lower is better): class k's samples against class
  k's real images (dcgan.evaluation.per_class, the same patch count for
  every class), and its mean over the classes.
- shares: the classifier's class distribution of all the samples.
- overall SWD: all samples against all real images, as the training log.

The unconditional model cannot be asked for a class, so its accuracy is not
defined (it would be chance). Its samples (as many as the conditional ones
get) are assigned to classes by the classifier, and its per-class SWD is
that of the samples the classifier calls k against class k's real images.
That favours it (the samples are picked for looking like k) and a class it
rarely draws is scored on few samples; its shares say how often it draws
each class. Fresh real images (another demo seed) scored the same way give
the floor of every column.

BLAS runs single-threaded; ``--jobs`` runs (default 2, one per core) train
at once, as benchmarks/small_data.py does (its helpers are reused).

    python benchmarks/conditional.py                          # docs/conditional.md's table
    python benchmarks/conditional.py --iterations 50 --seeds 0 --methods none proj   # a quick look
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import small_data  # noqa: E402  (single-threaded BLAS, sys.path, dcgan first)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402

from dcgan.cli import train as train_cli  # noqa: E402
from dcgan.data.demo import make_demo_labelled  # noqa: E402
from dcgan.evaluation.classifier import train_classifier  # noqa: E402
from dcgan.evaluation.per_class import ask_every_class, swd_per_class  # noqa: E402
from dcgan.evaluation.swd import SWDReference  # noqa: E402
from dcgan.extensions.swd_report import generate_images  # noqa: E402
from dcgan.io import imaging, model_files  # noqa: E402
from dcgan.models import layers  # noqa: E402

METHODS = ('none', 'proj', 'concat', 'acgan')
SAMPLE_SEED = 123
SWD_SEED = 0
CLASSIFIER_SEED = 0
CLASSIFIER_ITERATIONS = 300


def train_flags(method, seed, a, out):
    """dcgan-train's command line for one run: only --cond and --seed differ."""
    return ['--out', out, '--demo_images', str(a.n_images), '--iteration', str(a.iterations),
            '--snapshot_interval', str(a.iterations), '--ch', str(a.ch),
            '--batchsize', str(a.batchsize), '--seed', str(seed), '--cond', method,
            # Quality is measured here, at the end; no pictures while training.
            '--swd-interval', '0', '--nearest-interval', '0', '--no-walk-gif',
            '--no-progress-gif', '--no-report', '--no-progress-bar',
            '--display_interval', str(10 ** 9)] + (
                ['--demo-labels', a.demo_labels] if method != 'none' else []) + a.train_flags


def train_one(method, seed, a):
    """Train one run through dcgan-train; its final generator and the wall
    time of the call (start-up and the final snapshot included) per iteration."""
    with tempfile.TemporaryDirectory() as out:
        log = io.StringIO()
        start = time.time()
        with contextlib.redirect_stdout(log):
            code = train_cli.main(train_flags(method, seed, a, out))
        seconds = time.time() - start
        if code:
            raise RuntimeError('dcgan-train {} failed:\n{}'.format(method, log.getvalue()))
        # The sample generator: the EMA copy when the flags turn EMA on.
        path = os.path.join(out, 'gen_ema_iter_{}.npz'.format(a.iterations))
        if not os.path.exists(path):
            path = os.path.join(out, 'gen_iter_{}.npz'.format(a.iterations))
        gen = model_files.load_generator(path).gen
    return gen, seconds / a.iterations


def score(samples, classes, images, labels, classifier, n_per_class, swd_reference, asked):
    """The columns for one sample set: ``classes`` are the class each sample
    stands for (asked, or assigned by the classifier); ``asked`` says which."""
    called = classifier.predict(samples)
    per_class = swd_per_class(samples, classes, images, labels, classifier.n_classes,
                              n_images=n_per_class, seed=SWD_SEED)
    swd = [c.swd for c in per_class]
    return dict(
        accuracy=float((called == classes).mean()) if asked else None,
        per_class_accuracy=[float((called[classes == k] == k).mean()) if asked else None
                            for k in range(classifier.n_classes)],
        class_swd=swd,
        mean_class_swd=float(numpy.mean([v for v in swd if v is not None])),
        shares=(numpy.bincount(called, minlength=classifier.n_classes) / len(called)).tolist(),
        swd=swd_reference.distance(samples))


def _run_job(job):
    method, seed = job
    st = small_data._JOB_STATE
    a = st['a']
    gen, sec_per_iter = train_one(method, seed, a)
    n = a.class_samples * len(st['names'])
    if gen.n_classes:
        asked = ask_every_class(a.class_samples, gen.n_classes)
        samples = generate_images(gen, n, seed=SAMPLE_SEED, labels=asked)
        result = score(samples, asked, st['images'], st['labels'], st['classifier'],
                       a.class_samples, st['reference'], asked=True)
        result['sample_classes'] = asked
    else:
        samples = generate_images(gen, n, seed=SAMPLE_SEED)
        assigned = st['classifier'].predict(samples)
        result = score(samples, assigned, st['images'], st['labels'], st['classifier'],
                       a.class_samples, st['reference'], asked=False)
        result['sample_classes'] = assigned
    result.update(method=method, seed=seed, sec_per_iter=sec_per_iter, samples=samples)
    return result


def cell(values, spec='{:.1f}'):
    """'mean +- std' over seeds (small_data.mean_std), or '-' when undefined."""
    values = [v for v in values if v is not None]
    if not values:
        return '-'
    return (spec + ' +- ' + spec).format(*small_data.mean_std(values))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--iterations', type=int, default=600)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    # At ch 64 (G's last hidden layer 8 channels) the example's training drew
    # gray checkered squares after 600 iterations, every class alike.
    p.add_argument('--ch', type=int, default=128, help='network width (dcgan-train --ch)')
    p.add_argument('--batchsize', type=int, default=25)
    p.add_argument('--n-images', dest='n_images', type=int, default=300,
                   help='labelled demo images (dcgan-train --demo_images)')
    p.add_argument('--methods', nargs='+', choices=METHODS, default=list(METHODS))
    p.add_argument('--class-samples', dest='class_samples', type=int, default=100,
                   help='samples asked of each class (and SWD patch count per class)')
    p.add_argument('--jobs', type=int, default=2, help='runs trained at once (processes)')
    p.add_argument('--demo-labels', dest='demo_labels', choices=('shape', 'hue'), default='shape',
                   help='label the demo images by shape (disc, maki, ring) or by hue family')
    p.add_argument('--train-flags', dest='train_flags', default='',
                   help='more dcgan-train flags for every run, given with =, e.g. --train-flags=--small-data')
    p.add_argument('--picture', default=os.path.join(small_data.RESULTS,
                                                     'conditional_samples.png'))
    a = p.parse_args(argv)
    a.train_flags = a.train_flags.split()
    started = time.time()

    images, labels, names = make_demo_labelled(a.n_images, 32, 3, seed=0, by=a.demo_labels)
    counts = numpy.bincount(labels, minlength=len(names))
    # With Chainer's own CPU functions: dcgan.ops' thread pool, once started
    # here, would not exist in the forked runs that wait on it (they hang).
    with layers.use_fast_cpu(False):
        classifier = train_classifier(images, labels, len(names), seed=CLASSIFIER_SEED,
                                      iterations=CLASSIFIER_ITERATIONS, class_names=names)
    reference = SWDReference(images, n_images=a.class_samples * len(names), seed=SWD_SEED)
    held = classifier.held_out_accuracy
    print('dataset: {} labelled demo images at 32 px ({}); ch {}, batch {}, {} iterations, '
          'seeds {}, dcgan-train flags: --cond METHOD {}'.format(
              a.n_images, ', '.join('{} {}'.format(n, c) for n, c in zip(names, counts)),
              a.ch, a.batchsize, a.iterations, ' '.join(map(str, a.seeds)),
              ' '.join(a.train_flags) or '(the example\'s training)'))
    print('classifier ({} iterations, seed {}) on held-out real images: {} (mean {:.2f}; '
          'chance 0.33)'.format(CLASSIFIER_ITERATIONS, CLASSIFIER_SEED, ', '.join(
              '{} {:.2f} of {}'.format(n, v, c) for n, v, c in
              zip(names, held.per_class, held.counts)), held.mean))
    print('{} samples asked of each class; SWD x1e3 (lower is better); load average at start '
          '{:.2f}'.format(a.class_samples, os.getloadavg()[0]))
    sys.stdout.flush()

    small_data._JOB_STATE.update(a=a, images=images, labels=labels, names=names,
                                 classifier=classifier, reference=reference)
    jobs = [(method, seed) for seed in a.seeds for method in a.methods]
    results = {method: [] for method in a.methods}
    for r in small_data.run_jobs(_run_job, jobs, a.jobs):
        results[r['method']].append(r)
        print('  {:<6} seed {}  accuracy {}  class swd {} (mean {:.1f})  shares {}  swd {:.1f}  '
              '{:.3f} s/iter  load {:.2f}'.format(
                  r['method'], r['seed'],
                  '-' if r['accuracy'] is None else '{:.2f} ({})'.format(
                      r['accuracy'], '/'.join('{:.2f}'.format(v)
                                              for v in r['per_class_accuracy'])),
                  '/'.join('-' if v is None else '{:.1f}'.format(v) for v in r['class_swd']),
                  r['mean_class_swd'], '/'.join('{:.2f}'.format(v) for v in r['shares']),
                  r['swd'], r['sec_per_iter'], os.getloadavg()[0]))
        sys.stdout.flush()

    # The floor of every column: fresh real images of each class, scored alike.
    fresh, fresh_labels, _ = make_demo_labelled(a.n_images, 32, 3, seed=1, by=a.demo_labels)
    pick = numpy.concatenate([numpy.flatnonzero(fresh_labels == k)[:a.class_samples]
                              for k in range(len(names))])
    floor = score(fresh[pick], fresh_labels[pick], images, labels, classifier,
                  a.class_samples, reference, asked=True)

    print()
    print('| method | classifier accuracy on samples (chance 0.33) | per-class SWD, mean | '
          + ' | '.join('SWD {}'.format(n) for n in names) + ' | shares {} | overall SWD | '
          's / iteration |'.format('/'.join(names)))
    print('|---' * (6 + len(names)) + '|')
    for method in a.methods:
        rs = results[method]
        shares = numpy.mean([r['shares'] for r in rs], axis=0)
        print('| {} | {} | {} | {} | {} | {} | {:.3f} |'.format(
            'none (unconditional)' if method == 'none' else method,
            cell([r['accuracy'] for r in rs], '{:.2f}'),
            cell([r['mean_class_swd'] for r in rs]),
            ' | '.join(cell([r['class_swd'][k] for r in rs]) for k in range(len(names))),
            '/'.join('{:.2f}'.format(v) for v in shares),
            cell([r['swd'] for r in rs]),
            numpy.mean([r['sec_per_iter'] for r in rs])))
    print('| fresh real images | {:.2f} | {:.1f} | {} | {} | {:.1f} | |'.format(
        floor['accuracy'], floor['mean_class_swd'],
        ' | '.join('{:.1f}'.format(v) for v in floor['class_swd']),
        '/'.join('{:.2f}'.format(v) for v in floor['shares']), floor['swd']))
    print()
    for method in a.methods:
        if method == 'none' or 'none' not in results:
            continue
        diff, se, lower = small_data.paired([r['mean_class_swd'] for r in results[method]],
                                            [r['mean_class_swd'] for r in results['none']])
        print('per-class SWD, paired by seed: {} - none = {:.1f} (s.e. {:.1f}); {} lower on {} '
              'of {} seeds'.format(method, diff, se, method, len(results[method]) - lower,
                                   len(results[method])))
    write_picture(a.picture, results, a.methods, len(names))
    print('picture: {} (first seed; one row per class: asked, or for none as the classifier '
          'calls them; {})'.format(a.picture, ' | '.join(a.methods)))
    print('total {:.1f} min'.format((time.time() - started) / 60))


def write_picture(path, results, methods, n_classes, cols=8):
    """Each method's first run: ``cols`` samples of each class, one row per class
    (the class asked, or for the unconditional model the class the classifier
    calls them; a class it rarely draws leaves its row partly blank)."""
    panels = []
    for method in methods:
        r = results[method][0]
        samples = r['samples']
        tiles = []
        for k in range(n_classes):
            row = samples[r['sample_classes'] == k][:cols]
            blank = numpy.full((cols - len(row),) + samples.shape[1:], 255, numpy.uint8)
            tiles.append(numpy.concatenate([row, blank]))
        panels.append(imaging.tile(numpy.concatenate(tiles), n_classes, cols, gap=1,
                                   gap_value=255))
    gap = numpy.full((panels[0].shape[0], 8, panels[0].shape[2]), 255, numpy.uint8)
    picture = numpy.concatenate(sum([[pnl, gap] for pnl in panels], [])[:-1], axis=1)
    imaging.save_png(path, imaging.upscale(picture, 2))


if __name__ == '__main__':
    main()
