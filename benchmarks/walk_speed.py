"""Walk rendering speed: batched generator calls vs one call per frame.

    python benchmarks/walk_speed.py [--resolution 96] [--ch 512 128]
                                    [--frames 48] [--batch 16 64] [--repeats 3]

For each --ch it builds a Generator(resolution, ch) (random weights: speed
does not depend on them), makes the z of a closed walk with --frames frames,
and times, in this one process and alternating the methods so that machine
load hits them alike:

  per-frame   dcgan.extensions.walk_gif.render with batch_size=1: one
              generator call per frame (what a naive loop does);
  batch=B     the same function with batch_size=B (what dcgan-walk does).

It prints frames/s (median over --repeats), the ratio to per-frame, and the
1-minute load average beside them: the machine is shared, so only ratios
measured in the same run mean much. It also checks that both methods give
the same pixels.
"""
import argparse
import os
import statistics
import sys
import time

try:
    import dcgan  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import chainer  # noqa: E402
import numpy  # noqa: E402

from dcgan.models import latent  # noqa: E402
from dcgan.extensions import walk_gif  # noqa: E402
from dcgan.models.nets import Generator  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench(resolution, ch, frames, batches, repeats, device):
    numpy.random.seed(0)
    gen = Generator(resolution=resolution, ch=ch)
    gen.to_device(device)
    keypoints = latent.sample_z(4, gen.n_hidden, seed=0)
    z = latent.walk_path(keypoints, -(-frames // 4))[:frames]
    methods = [('per-frame', 1)] + [('batch=%d' % b, b) for b in batches]
    walk_gif.render(gen, z[:2], 2)  # warm-up (allocations, first-call costs)
    times = {name: [] for name, _ in methods}
    images = {}
    for _ in range(repeats):
        for name, b in methods:
            seconds, images[name] = timed(lambda: walk_gif.render(gen, z, b))
            times[name].append(seconds)
    reference = statistics.median(times['per-frame'])
    print('Generator(resolution={}, ch={}): {} frames of {}x{} px, {} repeat(s)'.format(
        resolution, ch, len(z), resolution, resolution, repeats))
    for name, _ in methods:
        t = statistics.median(times[name])
        same = numpy.array_equal(images[name], images['per-frame'])
        print('  {:<10} {:8.2f} frames/s  {:6.2f}x per-frame  (same pixels: {}; load {:.2f})'
              .format(name, len(z) / t, reference / t, same, os.getloadavg()[0]))
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--resolution', type=int, default=96)
    parser.add_argument('--ch', type=int, nargs='+', default=[512, 128])
    parser.add_argument('--frames', type=int, default=48)
    parser.add_argument('--batch', type=int, nargs='+', default=[16, 64])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--device', default='@numpy')
    args = parser.parse_args()
    print('chainer {}, numpy {}, device {}, {} CPU(s), load average {:.2f}'.format(
        chainer.__version__, numpy.__version__, args.device, os.cpu_count(),
        os.getloadavg()[0]))
    device = chainer.get_device(args.device)
    for ch in args.ch:
        bench(args.resolution, ch, args.frames, args.batch, args.repeats, device)


if __name__ == '__main__':
    main()
