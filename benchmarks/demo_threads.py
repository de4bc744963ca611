"""What the second core buys the demo: its training on one core against all.

    python benchmarks/demo_threads.py [--iterations 400] [--repeats 2]

Runs the demo's training (dev.py's DEMO_ARGS, with --iteration set to
--iterations and the GIFs, report and progress bar left out) in child
processes, alternating: pinned to one core with one BLAS/OpenMP thread, then
free to use every core with the default threads. Prints each run's wall and
CPU time (user + system, from the child's rusage) and the medians' ratios.
Run it on an otherwise idle machine: it measures the machine, not just us.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, ROOT)

import dev  # noqa: E402  (standard library only)

ONE_THREAD_ENV = {'OMP_NUM_THREADS': '1', 'OPENBLAS_NUM_THREADS': '1',
                  'MKL_NUM_THREADS': '1', 'NUMBA_NUM_THREADS': '1'}
THREAD_VARIABLES = tuple(ONE_THREAD_ENV)


def training_command(iterations, out):
    args = list(dev.DEMO_ARGS)
    args[args.index('--iteration') + 1] = str(iterations)
    return ([sys.executable, os.path.join(ROOT, 'examples', 'train_dcgan.py')] + args
            + ['--out', out, '--no-walk-gif', '--no-progress-gif', '--no-report',
               '--no-progress-bar', '--no-auto-resume', '--nearest-interval', '0'])


def run_once(iterations, one_core):
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    if one_core:
        env.update(ONE_THREAD_ENV)
    core = sorted(os.sched_getaffinity(0))[0]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        child = subprocess.Popen(
            training_command(iterations, out), env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=(lambda: os.sched_setaffinity(0, {core})) if one_core else None)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        err = child.stderr.read().decode(errors='replace')
        child.stderr.close()
    if status != 0:
        raise SystemExit('demo_threads.py: the training failed:\n' + err[-2000:])
    return wall, usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iterations', type=int, default=400)
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    print('demo training, %d iterations, %d cores free; args: %s' % (
        args.iterations, cores, ' '.join(training_command(args.iterations, 'OUT')[2:])))
    results = {True: [], False: []}
    for repeat in range(args.repeats):
        for one_core in (True, False):
            wall, cpu = run_once(args.iterations, one_core)
            results[one_core].append((wall, cpu))
            print('run %d  %-12s wall %7.1f s  cpu %7.1f s' % (
                repeat + 1, 'one core' if one_core else 'all cores', wall, cpu), flush=True)
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in results.items()}
    print('median  one core: wall %.1f s cpu %.1f s;  all cores: wall %.1f s cpu %.1f s' % (
        med[True] + med[False]))
    print('all cores / one core: wall %.2fx, cpu %.2fx' % (
        med[False][0] / med[True][0], med[False][1] / med[True][1]))


if __name__ == '__main__':
    main()
