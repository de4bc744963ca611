"""numba-compiled passes behind the NumPy ops (optional, the `fast` extra).

The kernels live in ``numba_kernels_bn`` (fused batch norm + noise +
activation), ``numba_kernels_im2col``, ``numba_kernels_adam`` and
``numba_kernels_bias``; this module loads numba safely and gives every
kernel a serial and a parallel copy. An op asks ``usable()`` and runs its
NumPy code otherwise, so nothing here raises when numba is missing or
broken: ``unavailable_reason()`` says why.

Results never depend on the thread count: every kernel splits its work into
chunks of a fixed size and reduces the chunks' partial sums in order. No
fastmath flags are set, so a kernel rounds the same way on every run.

Threading: numba's ``workqueue`` layer, unless the user chose one
(``NUMBA_THREADING_LAYER``): GNU OpenMP's threads spin after each kernel
and slowed the NumPy and OpenBLAS work in between (../shared/research
cpu-speed.md, 2b). workqueue must not be entered from two threads at once,
so a call that finds another one running takes the serial copy.
"""
import os
import threading
import types

from dcgan.ops import fast_backend
from dcgan.ops import threads

# Below this many elements touched, the serial copy (as dcgan.ops.threads).
MIN_ELEMENTS = threads.MIN_ELEMENTS

_KERNEL_MODULES = ('numba_kernels_bn', 'numba_kernels_im2col', 'numba_kernels_adam',
                   'numba_kernels_bias')
_state = {'checked': False, 'reason': None}
_parallel_lock = threading.Lock()


def _choose_threading_layer():
    if 'NUMBA_THREADING_LAYER' in os.environ:
        return
    import numba
    if numba.config.THREADING_LAYER == 'default':  # nobody chose in code
        numba.config.THREADING_LAYER = 'workqueue'


def _check():
    if _state['checked']:
        return
    _state['checked'] = True
    try:
        import importlib
        import numba  # noqa: F401
        _choose_threading_layer()
        for name in _KERNEL_MODULES:
            importlib.import_module('dcgan.ops.' + name)
    except Exception as error:  # missing, or a numba/NumPy mismatch
        _state['reason'] = '{}: {}'.format(type(error).__name__, error)


def available():
    """Whether numba imported and the kernel modules loaded."""
    _check()
    return _state['reason'] is None


def unavailable_reason():
    _check()
    return _state['reason'] or ''


def usable():
    """The switch is on and numba is there: the ops may call the kernels."""
    return fast_backend.enabled() and available()


def _options():
    return dict(cache=True, nogil=True, error_model='numpy')


def inline(fn):
    """Decorator for a helper the kernels call (compiled into them)."""
    import numba
    return numba.njit(**_options())(fn)


class Kernel(object):
    """A numba function compiled twice: ``parallel=True`` and serial."""

    def __init__(self, fn):
        import numba
        _choose_threading_layer()  # before any kernel can run
        options = _options()
        self.parallel = numba.njit(parallel=True, **options)(fn)
        # Distinct __qualname__: otherwise both share one cache file.
        serial = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + '_serial',
                                    fn.__defaults__, fn.__closure__)
        serial.__qualname__ = fn.__qualname__ + '_serial'
        serial.__module__ = fn.__module__
        self.serial = numba.njit(**options)(serial)

    def __call__(self, size, *args):
        """Run on ``args``; ``size`` is the number of elements touched."""
        if size < MIN_ELEMENTS or threads.n_workers() == 1:
            return self.serial(*args)
        if not _parallel_lock.acquire(blocking=False):
            return self.serial(*args)
        try:
            return self.parallel(*args)
        finally:
            _parallel_lock.release()


def kernel(fn):
    """Decorator for the kernel modules: ``fn`` as a :class:`Kernel`."""
    return Kernel(fn)
