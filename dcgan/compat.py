"""Compatibility patches that let Chainer 7.8.1 import on newer Python/NumPy.

``dcgan/__init__.py`` imports this module before anything imports Chainer.
Each patch is applied only where the thing Chainer expects is missing, so on
Python 3.11 + NumPy 1.26 nothing changes; calling ``apply()`` again is a no-op.
``APPLIED`` lists the patches that were needed in this process.

Known and *not* patched: ``chainer.functions.resize_images`` uses
``numpy.float``, removed in NumPy 1.24, so it fails on every NumPy we support;
project code does not use it (tests/test_compat.py checks that).
"""
import importlib
import sys
import types

import numpy

APPLIED = []


def _stub_numpy_distutils():
    # chainer/_environment_check.py does `import numpy.distutils.system_info`
    # and calls `get_info('blas_opt')` (only on macOS, to warn about
    # Accelerate). numpy.distutils is gone on Python >= 3.12 and NumPy >= 2,
    # so a stub whose get_info finds nothing stands in for it.
    try:
        importlib.import_module('numpy.distutils.system_info')
        return
    except ImportError:
        pass
    # A failed import can leave half-initialised entries behind.
    for name in ('numpy.distutils.system_info', 'numpy.distutils'):
        sys.modules.pop(name, None)
    package = types.ModuleType('numpy.distutils')
    package.__path__ = []
    system_info = types.ModuleType('numpy.distutils.system_info')
    system_info.get_info = lambda name, notfound_action=0: {}
    package.system_info = system_info
    sys.modules['numpy.distutils'] = package
    sys.modules['numpy.distutils.system_info'] = system_info
    numpy.distutils = package
    APPLIED.append('numpy.distutils stub')


def _restore_numpy_sctypes():
    # chainer/functions/array/as_strided.py reads np.sctypes['int'] at import
    # time and np.sctypes['float'] in its backward; NumPy 2 removed sctypes.
    # Same content as NumPy 1.26's dict.
    if hasattr(numpy, 'sctypes'):
        return
    numpy.sctypes = {
        'int': [numpy.int8, numpy.int16, numpy.int32, numpy.int64],
        'uint': [numpy.uint8, numpy.uint16, numpy.uint32, numpy.uint64],
        'float': [numpy.float16, numpy.float32, numpy.float64,
                  numpy.longdouble],
        'complex': [numpy.complex64, numpy.complex128, numpy.clongdouble],
        'others': [bool, object, bytes, str, numpy.void],
    }
    APPLIED.append('numpy.sctypes')


def apply():
    """Apply every patch this interpreter needs; safe to call repeatedly."""
    _stub_numpy_distutils()
    _restore_numpy_sctypes()


apply()
