"""The ops' thread pool survives a fork (benchmarks fork training jobs)."""
import os
import time

import numpy
import pytest

from dcgan.ops import threads


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='no os.fork here')
def test_a_forked_child_can_still_split_work():
    strided = numpy.ones((1024, 1024), numpy.float32)[:, ::2]
    threads.copy(strided)  # the parent's pool is running
    pid = os.fork()
    if pid == 0:
        try:
            ok = numpy.array_equal(threads.copy(strided), strided)
        finally:
            os._exit(0 if ok else 1)
    for _ in range(200):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail('the forked child hung on the inherited thread pool')
