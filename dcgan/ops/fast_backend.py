"""The switch for the optional fast CPU kernels (the `fast` extra).

``pip install .[fast]`` adds compiled kernels behind the NumPy ops: oneDNN
convolutions (``dcgan.ops.onednn``) and numba-compiled passes
(``dcgan.ops.numba_kernels``). Each op uses them when they are installed,
the switch is on and the case is covered, and today's NumPy code otherwise,
so results never depend on a package being present, only the speed does.

The switch: ``DCGAN_FAST_CPU=0`` in the environment turns them off for the
process; ``use_fast_backend(False)`` does it in code (also as a ``with``
block). A kernel module that fails to load is reported by ``status()`` and
the NumPy code runs instead.
"""
import os

ENV = 'DCGAN_FAST_CPU'

_ENABLED = [None]  # None: follow the environment


def _env_enabled():
    return os.environ.get(ENV, '1').strip().lower() not in ('0', 'false', 'no', 'off')


class Toggle(object):
    """A switch held in a one-item list, ``cell``: calling the class sets
    it; as a ``with`` block it also puts the previous setting back after."""

    cell = None  # each subclass names its own

    def __init__(self, enabled=True):
        self.previous = self.cell[0]
        self.cell[0] = bool(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.cell[0] = self.previous


class use_fast_backend(Toggle):
    """Turn the fast kernels on or off; as a ``with`` block, only inside it."""

    cell = _ENABLED


def enabled():
    """Whether the fast kernels may be used (installed is a separate question)."""
    if _ENABLED[0] is None:
        return _env_enabled()
    return _ENABLED[0]


# Each kernel module offers available() -> bool and unavailable_reason() -> str.
KERNEL_MODULES = ('onednn', 'numba_kernels')


def status():
    """{module: 'on' | 'off (switch)' | 'absent: <reason>'} for logs and benchmarks."""
    import importlib
    report = {}
    for name in KERNEL_MODULES:
        try:
            module = importlib.import_module('dcgan.ops.' + name)
        except ImportError as error:  # the module itself not written yet
            report[name] = 'absent: {}'.format(error)
            continue
        if not module.available():
            report[name] = 'absent: ' + module.unavailable_reason()
        else:
            report[name] = 'on' if enabled() else 'off (switch)'
    return report
