"""dcgan-train on one MPI rank, for tests/test_distributed.py (run under mpiexec).

    mpiexec -n 2 python tests/mpi_driver.py [--state DIR] [--cwd DIR] [--fail RANK:ITER] -- FLAGS

--state DIR   after training, each rank writes DIR/state_rank<r>.npz: every
              number of its updater (weights, running statistics, Adam
              state, iterator, random stream), as tests/helpers.training_state
--cwd DIR     each rank works in DIR/rank<r> (a relative --out then shows
              which ranks wrote files)
--fail R:I    rank R raises an error at iteration I
"""
import argparse
import os
import sys

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import dcgan  # noqa: E402,F401  (first: Chainer imports on Python 3.13 + NumPy 2)
import chainer  # noqa: E402
from chainer import training  # noqa: E402

from dcgan.cli import train  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--state')
    parser.add_argument('--cwd')
    parser.add_argument('--fail')
    parser.add_argument('flags', nargs=argparse.REMAINDER)
    options = parser.parse_args()
    flags = options.flags[1:] if options.flags[:1] == ['--'] else options.flags
    from mpi4py import MPI
    rank = MPI.COMM_WORLD.Get_rank()
    if options.cwd:
        here = os.path.join(options.cwd, 'rank{}'.format(rank))
        os.makedirs(here, exist_ok=True)
        os.chdir(here)
    train_loop = train.train

    def train_and_record(trainer, args):
        if options.fail:
            fail_rank, fail_iteration = (int(v) for v in options.fail.split(':'))
            if rank == fail_rank:
                @training.make_extension(trigger=(fail_iteration, 'iteration'))
                def fail(t):
                    raise RuntimeError('injected failure on rank {} at iteration {}'.format(
                        rank, t.updater.iteration))
                trainer.extend(fail)
        code = train_loop(trainer, args)
        if options.state:
            arrays = {}
            chainer.serializers.DictionarySerializer(arrays).save(trainer.updater)
            numpy.savez(os.path.join(options.state, 'state_rank{}.npz'.format(rank)), **arrays)
        return code
    train.train = train_and_record
    return train.main(flags)


if __name__ == '__main__':
    sys.exit(main())
