"""Data-parallel speed on the CPU: 1 process vs 2 processes of 1 core each.

    python benchmarks/distributed.py [--ch 512] [--resolution 32] [--batch 50]
                                     [--iters 4] [--warmup 1] [--allreduce-reps 10]

Runs dcgan-train's own pieces (dcgan.cli.train: the data, nets, updater and
--communicator naive) and times whole training updates of the example's
nets (ch 512 at 32 px by default) on demo images:

  1 process, 1 core      taskset -c 0, batch B
  2 processes, 1 core    mpiexec -n 2 -bind-to core, B/2 each (global B)
  2 processes, 1 core    the same with B each (global 2B)

with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1 everywhere (dcgan's own threads
follow the process's CPU affinity). Images/s count the global batch. For
the 2-process runs it also times the gradient all-reduce alone
(``comm.multi_node_mean_grad`` of G and of D, as every update does, once
each per iteration with --n_dis 1), and prints the bytes each process
hands to the all-reduce per iteration: the parameter count of G and D
times 4 (float32). An update's own compute is timed with the ranks in
step, so time a rank waits for the other is counted in it.

Needs mpi4py and mpiexec (pip install -e ".[dist]"). Timings on a shared
machine move with its load; the 1-minute load average is printed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def worker(options):
    sys.path.insert(0, ROOT)
    import numpy
    from dcgan.cli import distributed_options, train
    flags = ['--ch', str(options.ch), '--resolution', str(options.resolution),
             '--batchsize', str(options.per_process), '--demo_images', str(options.images),
             '--iteration', '1000', '--out', os.devnull]
    if options.processes > 1:
        flags += ['--communicator', 'naive']
    args = train.parse_arguments(flags)
    comm = distributed_options.make_communicator(args)
    device = train.use_device('@numpy')
    folder = train.load_training_images(args)
    gen, dis = train.build_models(args, folder, device)
    updater = train.build_updater(args, gen, dis, folder, device, 1000, comm)

    def barrier():
        if comm is not None:
            comm.mpi_comm.Barrier()

    for _ in range(options.warmup):
        updater.update()
    times = []
    for _ in range(options.iters):
        barrier()
        started = time.perf_counter()
        updater.update()
        barrier()
        times.append(time.perf_counter() - started)
    result = {'processes': options.processes, 'per_process': options.per_process,
              'global_batch': options.per_process * options.processes,
              'update_s': times, 'load': os.getloadavg()[0],
              'params': {'gen': int(sum(p.size for p in gen.params())),
                         'dis': int(sum(p.size for p in dis.params()))}}
    if comm is not None:
        reduce_times = []
        for _ in range(options.allreduce_reps):
            barrier()
            started = time.perf_counter()
            comm.multi_node_mean_grad(gen)
            comm.multi_node_mean_grad(dis)
            reduce_times.append(time.perf_counter() - started)
        result['allreduce_s'] = reduce_times
        # The weights stay equal on every rank (a check that this is training
        # across processes, not beside each other).
        checksum = float(sum(numpy.abs(p.array).sum() for p in gen.params()))
        sums = comm.gather_obj(checksum)
        if comm.rank == 0:
            result['same_weights'] = len(set(sums)) == 1
    if comm is None or comm.rank == 0:
        print('RESULT ' + json.dumps(result), flush=True)


def launch(options, processes, per_process):
    env = dict(os.environ, OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1', PYTHONPATH=ROOT,
               OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1')
    own = [sys.executable, os.path.abspath(__file__), '--worker', '--processes', str(processes),
           '--per-process', str(per_process)] + options.passed
    if processes == 1:
        command = ['taskset', '-c', '0'] + own
    else:
        beside = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
        mpiexec = beside if os.path.exists(beside) else shutil.which('mpiexec')
        if mpiexec is None:
            sys.exit('no mpiexec: pip install -e ".[dist]"')
        command = [mpiexec, '-n', str(processes), '-bind-to', 'core'] + own
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    for line in done.stdout.splitlines():
        if line.startswith('RESULT '):
            return json.loads(line[7:])
    sys.exit('the run failed:\n' + done.stdout[-2000:] + done.stderr[-3000:])


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ch', type=int, default=512)
    parser.add_argument('--resolution', type=int, default=32)
    parser.add_argument('--batch', type=int, default=50, help='the 1-process batch B')
    parser.add_argument('--images', type=int, default=256)
    parser.add_argument('--iters', type=int, default=4)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--allreduce-reps', type=int, default=10)
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--processes', type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument('--per-process', type=int, default=None, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        return worker(options)
    options.passed = ['--ch', str(options.ch), '--resolution', str(options.resolution),
                      '--images', str(options.images), '--iters', str(options.iters),
                      '--warmup', str(options.warmup),
                      '--allreduce-reps', str(options.allreduce_reps)]
    print('dcgan data-parallel speed, CPU: ch {}, {} px, {} timed updates after {} warm-up; '
          'OMP/OPENBLAS threads 1'.format(options.ch, options.resolution, options.iters,
                                          options.warmup))
    rows = []
    for processes, per_process in ((1, options.batch), (2, options.batch // 2),
                                   (2, options.batch)):
        r = launch(options, processes, per_process)
        rows.append(r)
        t = median(r['update_s'])
        line = ('{} process(es) x 1 core, batch {} each (global {}): {:.2f} s/update, '
                '{:.2f} img/s (best {:.2f}), load {:.1f}'.format(
                    processes, per_process, r['global_batch'], t, r['global_batch'] / t,
                    r['global_batch'] / min(r['update_s']), r['load']))
        if 'allreduce_s' in r:
            a = median(r['allreduce_s'])
            line += '; gradient all-reduce {:.0f} ms/iteration ({:.0%} of the update){}'.format(
                1e3 * a, a / t, '' if r.get('same_weights') else ' WEIGHTS DIFFER')
        print(line, flush=True)
    params = rows[0]['params']
    total = params['gen'] + params['dis']
    print('Per iteration (--n_dis 1) each process all-reduces the gradients of G ({:,} '
          'parameters) and D ({:,}): {:.1f} MB of float32 (a ring all-reduce sends and '
          'receives 2(N-1)/N of that per process); --sync-bn adds 2 x channels floats per '
          'batch norm and pass, the averaged log a few floats.'.format(
              params['gen'], params['dis'], 4 * total / 1e6))


if __name__ == '__main__':
    main()
