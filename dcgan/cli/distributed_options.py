"""dcgan-train's multi-process flags, the communicator, and ending a job.

``--communicator NAME`` under ``mpiexec -n N`` trains on N processes
(docs/distributed.md); without it (``none``, the default) nothing here
imports mpi4py or ChainerMN and a run is the single process it always was.
The training glue is ``dcgan.training.distributed``.
"""
import contextlib
import io
import sys
import time
import traceback

import chainer

from dcgan.cli.errors import UsageError, fail
from dcgan.extensions.nan_guard import TrainingDiverged
from dcgan.training.distributed import RANDOM_STREAMS

# Chainer 7.8.1's communicators (hierarchical, two_dimensional and
# single_node were removed in Chainer 7); naive is the one without CUDA.
COMMUNICATORS = ('none', 'naive', 'flat', 'non_cuda_aware', 'pure_nccl')
GPU_COMMUNICATORS = ('flat', 'non_cuda_aware', 'pure_nccl')
FLAGS = ('communicator', 'sync_bn', 'random_streams')
INSTALL = 'pip install -e ".[dist]" (mpi4py and MPICH from PyPI; docs/distributed.md)'


def add_arguments(parser):
    g = parser.add_argument_group('several processes (under mpiexec; docs/distributed.md)')
    g.add_argument('--communicator', choices=COMMUNICATORS, default='none',
                   help='train on the processes mpiexec starts (ChainerMN): naive on the '
                        'CPU, pure_nccl on GPUs (rank k of a machine uses GPU --gpu + k); '
                        '--batchsize is per process. none: one process, no MPI')
    g.add_argument('--sync-bn', dest='sync_bn', action='store_true',
                   help='batch norm takes mean and variance over the global batch '
                        '(MultiNodeBatchNormalization) instead of each process\'s own')
    g.add_argument('--random-streams', dest='random_streams', choices=RANDOM_STREAMS,
                   default='per-rank',
                   help='per-rank: each process draws its own z, noise and augmentation '
                        '(from --seed and its rank); global: every process draws the whole '
                        'global batch\'s numbers and keeps its rows, so with --sync-bn the '
                        'run repeats one process at the global batch')


def _on_gpu(device):
    spec = str(device).strip()
    try:
        return int(spec) >= 0
    except ValueError:
        return spec.startswith('@cupy')


def check_arguments(args, parser):
    if args.communicator == 'none':
        if args.sync_bn or args.random_streams != 'per-rank':
            parser.error('--sync-bn and --random-streams are for several processes: give '
                         '--communicator too and start with mpiexec -n N')
        return
    if args.communicator == 'naive' and _on_gpu(args.device):
        parser.error('--communicator naive runs on the CPU only; on GPUs use '
                     '--communicator pure_nccl')
    if args.communicator in GPU_COMMUNICATORS and not _on_gpu(args.device):
        parser.error('--communicator {} needs GPUs (--gpu 0: one per process); on the CPU '
                     'use --communicator naive'.format(args.communicator))


def make_communicator(args):
    """The ChainerMN communicator for ``--communicator``, or None for none."""
    if args.communicator == 'none':
        return None
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise UsageError('--communicator {} needs mpi4py and an MPI library ({}); install '
                         'them with {}, or drop --communicator to train in one process'
                         .format(args.communicator, e, INSTALL))
    if MPI.COMM_WORLD.Get_size() < 2:
        raise UsageError('--communicator {} found 1 process: start several with mpiexec, '
                         'e.g. mpiexec -n 2 python examples/train_dcgan.py --communicator {} '
                         '..., or drop --communicator to train in one process'.format(
                             args.communicator, args.communicator))
    import chainermn
    try:
        return chainermn.create_communicator(args.communicator)
    except (RuntimeError, ValueError, ImportError) as e:
        raise UsageError('--communicator {}: {} (on the CPU use --communicator naive; '
                         'pure_nccl needs CuPy with NCCL)'.format(args.communicator, e))


def device_spec(args, comm):
    """``--device`` for this process: on GPUs, rank k of a machine takes the
    k-th GPU from the one given (``--gpu 0``: GPU k)."""
    if comm is None or not _on_gpu(args.device):
        return args.device
    spec = str(args.device).strip()
    first = int(spec.split(':')[1]) if ':' in spec else (int(spec) if spec.isdigit() else 0)
    return '@cupy:{}'.format(first + comm.intra_rank)


def is_root(comm):
    """True on the process that prints and writes files (rank 0, or alone)."""
    return comm is None or comm.rank == 0


def processes(comm):
    return 1 if comm is None else comm.size


def recorded(record, comm):
    """config.json's args: the multi-process flags only when used."""
    record = dict(record)
    if comm is None:
        for name in FLAGS:
            record.pop(name, None)
    else:
        record['processes'] = comm.size
    return record


def summary_line(args, comm):
    if comm is None:
        return None
    return ('Processes: {} (--communicator {}), global batch {} = {} x --batchsize {}; '
            'batch norm {}; random streams {}'.format(
                comm.size, args.communicator, comm.size * args.batchsize, comm.size,
                args.batchsize, 'over the global batch (--sync-bn)' if args.sync_bn
                else 'per process', args.random_streams))


def run_training(run, argv=None):
    """``run(argv)`` of a training command: a UsageError or a diverged run
    (the NaN guard's sentence: the iteration and what went non-finite;
    earlier snapshots are untouched) as one line; under mpiexec a process
    that fails ends the whole job, with its error."""
    with one_failure_ends_all():
        try:
            return run(argv)
        except (UsageError, TrainingDiverged) as e:
            fail(str(e))


@contextlib.contextmanager
def one_failure_ends_all():
    """A process that fails ends every process of the job, with its error.

    MPI keeps the others waiting for it in the next collective forever, so
    an exception or a non-zero exit prints (the exception's traceback) and
    then calls ``MPI_Abort``. Without MPI in use this does nothing.
    """
    try:
        yield
    except SystemExit as e:
        if e.code not in (None, 0):
            _abort(2 if not isinstance(e.code, int) else e.code)
        raise
    except BaseException:
        mpi = _mpi_world()
        if mpi is not None:
            sys.stderr.write('rank {} of {} failed:\n'.format(mpi.Get_rank(), mpi.Get_size()))
            traceback.print_exc()
            _abort(1)
        raise


def _mpi_world():
    # Only if this process already started MPI (never imports it).
    MPI = getattr(sys.modules.get('mpi4py.MPI'), 'COMM_WORLD', None)
    if MPI is None or MPI.Get_size() < 2:
        return None
    return MPI


def _abort(code):
    mpi = _mpi_world()
    if mpi is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    # A moment for mpiexec to pass on what this process printed: MPI_Abort
    # ends every process at once, and a launcher may drop output not yet read.
    time.sleep(1.0)
    mpi.Abort(code)


def load_on_other_ranks(comm, path, trainer):
    """Rank 0 has loaded the snapshot ``path`` (or None: a fresh start); it
    sends the file's bytes and every other rank loads them, so the ranks
    need not share a file system."""
    # ChainerMN broadcasts no bare None, and takes None on the other ranks.
    path, = comm.bcast_obj((path,) if comm.rank == 0 else None)
    if path is None:
        return
    data = None
    if comm.rank == 0:
        with open(path, 'rb') as f:
            data = f.read()
    data = comm.bcast_obj(data)
    if comm.rank != 0:
        chainer.serializers.load_npz(io.BytesIO(data), trainer)
