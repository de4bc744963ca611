"""The numba passes against the NumPy code they stand in for, per pass.

    python benchmarks/numba_passes.py [--resolution 32] [--batch 50] [--ch 512]
                                      [--repeats 7] [--compile-time]

One DCGAN update (G and D, batch --batch) is run once on the NumPy path to
record the shapes every pass sees. Then each pass is timed over all those
layers, the NumPy code and the numba kernel alternately (A B A B, so load on
the shared machine hits both alike); the median of --repeats and the fastest
run (less sensitive to other work on the machine) are printed, each with the
ratio numpy / numba:

  BN+noise+act fwd   batch norm, D's noise (drawn from a TrainingRandom in
                     both) and (leaky) ReLU; NumPy: three nodes, numba: one
  BN+noise+act bwd   the gradient of the same, to x, gamma and beta
  fwd without noise  the forward with D's noise off (the draw is most of
                     the forward's time, and the same work on both sides)
  im2col, col2im     every call of the update's convolutions
  bias add           every convolution's bias
  Adam               one step of G's and D's optimizers (all parameters)

--updates N adds whole updates, numba off and on, with oneDNN convolutions
as installed (so it shows what numba adds on top of them).

--compile-time instead runs two fresh processes one after the other, with an
empty numba cache at first, and prints how long the first call of every
kernel took in each: compiling (cold) and loading the cache (warm).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import dcgan  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
import numpy  # noqa: E402

from dcgan import ops  # noqa: E402
from dcgan.ops import _common  # noqa: E402
from dcgan.models import layers  # noqa: E402
from dcgan.models import nets  # noqa: E402
from dcgan.ops import fast_backend  # noqa: E402
from dcgan.ops import im2col as im2col_module  # noqa: E402
from dcgan.ops import numba_kernels  # noqa: E402
from dcgan.training import optimizers  # noqa: E402
from dcgan.training.rng import TrainingRandom  # noqa: E402


def record_shapes(resolution, batch, ch):
    """The passes' arguments in one update on the NumPy path."""
    calls = {'bn': [], 'im2col': [], 'col2im': [], 'add_bias': []}
    real_bn = layers.batch_norm_act
    real = {'im2col': im2col_module.im2col, 'col2im': im2col_module.col2im,
            'add_bias': _common.add_bias}

    def bn(link, x, slope=0.0, rng=None, sigma=0.0):
        calls['bn'].append((x.shape, x.array.strides, slope, sigma))
        return real_bn(link, x, slope, rng, sigma)

    def wrap(name):
        def call(a, *args):
            calls[name].append((a.shape, tuple(
                ('bias', v.size) if isinstance(v, numpy.ndarray) else v for v in args)))
            return real[name](a, *args)
        return call
    patched = [(layers, 'batch_norm_act', bn)]
    for module in list(sys.modules.values()):
        if getattr(module, '__name__', '').startswith('dcgan.ops'):
            for name in real:
                if getattr(module, name, None) is real[name]:
                    patched.append((module, name, wrap(name)))
    saved = [(m, n, getattr(m, n)) for m, n, _ in patched]
    for m, n, f in patched:
        setattr(m, n, f)
    try:
        gen, dis, opts = make_models(resolution, ch)
        with fast_backend.use_fast_backend(False):
            update(gen, dis, opts, batch, TrainingRandom(0))
    finally:
        for m, n, f in saved:
            setattr(m, n, f)
    return calls, (gen, dis, opts)


def make_models(resolution, ch):
    numpy.random.seed(0)
    gen = nets.Generator(resolution=resolution, ch=ch)
    dis = nets.Discriminator(resolution=resolution, ch=ch)
    opts = []
    for model in (gen, dis):
        opt = optimizers.Adam(alpha=2e-4, beta1=0.5, weight_decay=1e-5)
        opt.setup(model)
        opts.append(opt)
    return gen, dis, opts


def update(gen, dis, opts, batch, rng):
    x = rng.random((batch, 3, gen.resolution, gen.resolution))
    y_real = dis(x, rng)
    y_fake = dis(gen(gen.make_hidden(batch, rng)), rng)
    loss = F.sum(F.softplus(-y_real)) + F.sum(F.softplus(y_fake))
    dis.cleargrads()
    loss.backward()
    opts[1].update()
    gen.cleargrads()
    F.sum(F.softplus(-y_fake)).backward()
    opts[0].update()


def bn_cases(calls):
    """Inputs like the nets' for every recorded batch-norm call."""
    rng = numpy.random.default_rng(0)
    cases = []
    for shape, strides, slope, sigma in calls:
        c = shape[1]
        if len(shape) == 4:  # channels-last memory, as a convolution leaves it
            b, _, h, w = shape
            x = rng.standard_normal((b, h, w, c), numpy.float32).transpose(0, 3, 1, 2)
        else:
            x = rng.standard_normal(shape, numpy.float32)
        gy = rng.standard_normal(x.shape, numpy.float32)
        gy = numpy.ascontiguousarray(gy.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) \
            if gy.ndim == 4 else gy
        gamma = numpy.ones(c, numpy.float32)
        beta = numpy.zeros(c, numpy.float32)
        cases.append((x, gamma, beta, gy, slope, sigma))
    return cases


def bn_forward(case, fused, rng):
    x, gamma, beta, gy, slope, sigma = case
    v = [chainer.Variable(a) for a in (x, gamma, beta)]
    mean, var = numpy.zeros(len(gamma), numpy.float32), numpy.ones(len(gamma), numpy.float32)
    if fused:
        return v, ops.batch_norm_act(*v, 2e-5, mean, var, 0.9, slope, rng, sigma)
    h = ops.batch_normalization(*v, 2e-5, mean, var, 0.9)
    if sigma:
        h = ops.add_noise(h, rng, sigma)
    return v, ops.leaky_relu(h, slope)


def time_bn(cases, fused, backward):
    rng = TrainingRandom(1)
    total = 0.0
    for case in cases:
        start = time.perf_counter()
        v, y = bn_forward(case, fused, rng)
        if backward:
            start = time.perf_counter()
            chainer.grad([y], v, [chainer.Variable(case[3])])
        total += time.perf_counter() - start
    return total


def time_calls(fn, cases):
    start = time.perf_counter()
    for a, args in cases:
        fn(a, *args)
    return time.perf_counter() - start


def im2col_cases(calls):
    rng = numpy.random.default_rng(0)
    return [(rng.standard_normal(shape, numpy.float32), tuple(
        rng.standard_normal(v[1], numpy.float32) if isinstance(v, tuple) else v for v in args))
        for shape, args in calls]


def time_adam(opts):
    start = time.perf_counter()
    for opt in opts:
        opt.update()
    return time.perf_counter() - start


def interleaved(name, run, repeats):
    """Median seconds of run(False) (NumPy) and run(True) (numba), alternated."""
    run(False), run(True)  # warm-up: compile or load, allocate
    times = {False: [], True: []}
    for _ in range(repeats):
        for fast in (False, True):
            times[fast].append(run(fast))
    numpy_s, numba_s = statistics.median(times[False]), statistics.median(times[True])
    low_numpy, low_numba = min(times[False]), min(times[True])
    print('{:<20} {:>10.1f} {:>10.1f} {:>8.2f}x {:>10.1f} {:>10.1f} {:>8.2f}x'.format(
        name, 1e3 * numpy_s, 1e3 * numba_s, numpy_s / numba_s,
        1e3 * low_numpy, 1e3 * low_numba, low_numpy / low_numba), flush=True)


def switched(fn):
    def run(fast):
        with fast_backend.use_fast_backend(fast):
            return fn(fast)
    return run


def bench(resolution, batch, ch, repeats, updates):
    calls, (gen, dis, opts) = record_shapes(resolution, batch, ch)
    cases = bn_cases(calls['bn'])
    cols = im2col_cases(calls['im2col'])
    col2ims = im2col_cases(calls['col2im'])
    biases = im2col_cases(calls['add_bias'])
    for _, _, opt in [(gen, dis, o) for o in opts]:  # gradients for Adam
        for p in opt.target.params():
            if p.grad is None:
                p.grad = numpy.zeros_like(p.array)
    n_params = sum(p.size for m in (gen, dis) for p in m.params())
    print('{} px, batch {}, ch {}: {} batch-norm layers, {} im2col and {} col2im calls, '
          '{} bias adds, {:.2f} M parameters; numba {}, threading layer {}, {} threads; '
          'load average {:.2f}'
          .format(resolution, batch, ch, len(cases), len(cols), len(col2ims), len(biases),
                  n_params / 1e6,
                  numba_version(), threading_layer(), numba_threads(), os.getloadavg()[0]))
    print('{:<20} {:>10} {:>10} {:>9} {:>10} {:>10} {:>9}'.format(
        'pass (all layers)', 'numpy ms', 'numba ms', 'ratio', 'numpy min', 'numba min',
        'ratio'))
    interleaved('BN+noise+act fwd', switched(lambda fast: time_bn(cases, fast, False)), repeats)
    interleaved('BN+noise+act bwd', switched(lambda fast: time_bn(cases, fast, True)), repeats)
    quiet = [case[:5] + (0.0,) for case in cases]
    interleaved('  fwd without noise', switched(lambda fast: time_bn(quiet, fast, False)), repeats)
    interleaved('im2col', switched(lambda fast: time_calls(im2col_module.im2col, cols)), repeats)
    interleaved('col2im', switched(lambda fast: time_calls(im2col_module.col2im, col2ims)),
                repeats)
    interleaved('bias add', switched(lambda fast: time_calls(_common.add_bias, biases)), repeats)
    interleaved('Adam', switched(lambda fast: time_adam(opts)), repeats)
    if updates:
        print('the whole update (numba off/on; oneDNN as the backend status says: {})'
              .format(fast_backend.status()['onednn']))
        rng = TrainingRandom(2)
        interleaved('whole update', numba_only(lambda fast: timed_update(
            gen, dis, opts, batch, rng)), updates)
    print('load average after: {:.2f}'.format(os.getloadavg()[0]))


def numba_only(fn):
    """run(fast): the backend on, the numba kernels only when ``fast``."""
    def run(fast):
        real = numba_kernels.usable
        if not fast:
            numba_kernels.usable = lambda: False
        try:
            with fast_backend.use_fast_backend(True):
                return fn(fast)
        finally:
            numba_kernels.usable = real
    return run


def timed_update(gen, dis, opts, batch, rng):
    start = time.perf_counter()
    update(gen, dis, opts, batch, rng)
    return time.perf_counter() - start


def numba_version():
    import numba
    return numba.__version__


def threading_layer():
    import numba
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        return numba.config.THREADING_LAYER


def numba_threads():
    import numba
    return numba.get_num_threads()


def first_calls():
    """Seconds of the first call of each kernel (serial and parallel copy)."""
    from dcgan.ops import numba_kernels_adam, numba_kernels_bias, numba_kernels_bn
    from dcgan.ops import numba_kernels_im2col
    rng = numpy.random.default_rng(0)
    timings = []
    for n in (64, 1 << 16):  # serial copy, then parallel
        x = rng.standard_normal((n, 32), numpy.float32)
        start = time.perf_counter()
        mean, var = numba_kernels_bn.stats(x)
        inv_std = 1 / numpy.sqrt(var + 2e-5)
        y = numpy.empty_like(x)
        numba_kernels_bn.forward(x, mean.astype(numpy.float32), inv_std.astype(numpy.float32),
                                 numpy.zeros(32, numpy.float32), x, 0.2, y)
        numba_kernels_bn.backward(x, x, y, mean, inv_std, numpy.ones(32, numpy.float32), 0.2)
        timings.append(('batch norm, ' + ('serial' if n == 64 else 'parallel'),
                        time.perf_counter() - start))
        b = 1 if n == 64 else 64
        img = rng.standard_normal((b, 16, 16, 32), numpy.float32)
        start = time.perf_counter()
        col = numba_kernels_im2col.im2col(img, 4, 4, 2, 2, 1, 1, 8, 8)
        numba_kernels_im2col.col2im(col, 16, 16, 2, 2, 1, 1)
        numba_kernels_bias.add_bias(x, numpy.ones(32, numpy.float32))
        timings.append(('im2col+col2im+bias, ' + ('serial' if n == 64 else 'parallel'),
                        time.perf_counter() - start))
        p = rng.standard_normal(n * 32, numpy.float32)
        start = time.perf_counter()
        numba_kernels_adam.update(p, p.copy(), p.copy(), p * p, 1e-5, 0.5, 0.999, 1e-4,
                                  1e-8, 1.0, 1.0)
        timings.append(('Adam, ' + ('serial' if n == 64 else 'parallel'),
                        time.perf_counter() - start))
    return timings


def compile_time():
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ('cold (empty cache: compile, write)', 'warm (load the cache)'):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, '--first-calls'], env=env,
                                 check=True, capture_output=True, text=True).stdout
            total = time.perf_counter() - start
            print('{}: process {:.2f} s'.format(label, total))
            print(out, end='')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--resolution', type=int, default=32)
    parser.add_argument('--batch', type=int, default=50)
    parser.add_argument('--ch', type=int, default=512)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--updates', type=int, default=0,
                        help='also time this many whole updates each way')
    parser.add_argument('--compile-time', action='store_true')
    parser.add_argument('--first-calls', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    start = time.perf_counter()
    if not numba_kernels.available():  # imports numba and the kernel modules
        sys.exit('numba kernels unavailable: ' + numba_kernels.unavailable_reason())
    imported = time.perf_counter() - start
    if args.first_calls:
        timings = first_calls()
        print('  import numba + kernel modules {:.2f} s; first calls: {}; all kernels {:.2f} s'
              .format(imported, ', '.join('{} {:.2f} s'.format(n, t) for n, t in timings),
                      sum(t for _, t in timings)))
    elif args.compile_time:
        compile_time()
    else:
        bench(args.resolution, args.batch, args.ch, args.repeats, args.updates)


if __name__ == '__main__':
    main()
