"""Split memory-bound NumPy work over the CPU's cores.

NumPy runs elementwise work and copies on one core while OpenBLAS runs the
GEMMs on all of them, so on a 2-core machine the passes around the GEMMs
(im2col, col2im, activations, batch norm) leave a core idle. NumPy releases
the GIL inside those loops, so splitting an array along its first axis and
running the pieces in threads uses the other cores. Small arrays are not
split (a thread hand-off costs tens of microseconds).
"""
import concurrent.futures
import os
import threading

import numpy

MIN_ELEMENTS = 1 << 18  # below this, one thread is faster

_lock = threading.Lock()
_pool = [None]


def _forget_pool_in_child():
    # A forked child inherits the pool object but not its threads: work
    # submitted to it would wait forever. The child makes its own.
    global _lock
    _lock = threading.Lock()
    _pool[0] = None


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def n_workers():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _get_pool(n):
    with _lock:
        if _pool[0] is None:
            _pool[0] = concurrent.futures.ThreadPoolExecutor(
                max_workers=n - 1, thread_name_prefix='dcgan-ops')
        return _pool[0]


def chunks(length, parts):
    """``parts`` contiguous slices covering range(length)."""
    bounds = [length * k // parts for k in range(parts + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(parts)
            if bounds[k] < bounds[k + 1]]


def parallel(fn, length, size):
    """Call ``fn(s)`` for slices ``s`` covering range(length) (the first axis
    of the arrays ``fn`` works on), in parallel when ``size`` (elements
    touched) is large enough. Returns the list of results in slice order."""
    n = n_workers()
    if n == 1 or size < MIN_ELEMENTS or length < 2:
        return [fn(slice(0, length))]
    pieces = chunks(length, min(n, length))
    pool = _get_pool(n)
    futures = [pool.submit(fn, s) for s in pieces[1:]]
    first = fn(pieces[0])
    return [first] + [f.result() for f in futures]


def copy(src):
    """C-contiguous copy of ``src`` (any strides), made in parallel."""
    out = numpy.empty(src.shape, dtype=src.dtype)

    def part(s):
        numpy.copyto(out[s], src[s])
    parallel(part, src.shape[0], src.size)
    return out
