"""The device the GPU tests (tests/test_gpu.py) run on, and what they compare.

The "GPU" is ``@cupy:0`` unless ``DCGAN_TEST_GPU_DEVICE`` names another
device. ``DCGAN_TEST_GPU_DEVICE=@numpy`` runs every GPU test on the CPU, with
dcgan's fast CPU kernels off on the "GPU" side, so that side computes with
Chainer's own functions, as CuPy does. The tests then compare two different
computations of the same numbers, which shows they check real values; it is
a test-only switch, not part of CI (the CPU suite already runs ``@numpy``).

Random numbers: on CuPy, ``TrainingRandom`` draws from a CuPy generator, so
a GPU run sees other z and noise than a CPU run of the same seed. Tests
that compare devices call ``use_same_draws`` first: every draw then comes
from the host stream in NCHW order and is copied to the device, so both
devices train on the same numbers.
"""
import contextlib
import os

import chainer
import numpy
import pytest

from dcgan.models import layers
from dcgan.training.rng import TrainingRandom

DEVICE_VARIABLE = 'DCGAN_TEST_GPU_DEVICE'
GPU_SPEC = os.environ.get(DEVICE_VARIABLE, '').strip() or '@cupy:0'
ON_CPU = not GPU_SPEC.startswith('@cupy')


def _cuda_device_count():
    try:
        return chainer.backends.cuda.cupy.cuda.runtime.getDeviceCount()
    except Exception:  # CUDARuntimeError without a driver or a device
        return 0


def device_count():
    """How many "GPUs" the tests may use (the CPU switch gives one)."""
    if ON_CPU:
        return 1
    if not chainer.backends.cuda.available:
        return 0
    return _cuda_device_count()


def skip_reason():
    """Why the GPU tests cannot run here, in one line, or None."""
    if ON_CPU:
        return None
    hint = ' ({}=@numpy runs them on the CPU)'.format(DEVICE_VARIABLE)
    if not chainer.backends.cuda.available:
        return 'GPU test: CuPy is not installed' + hint
    index = int(GPU_SPEC.split(':')[1]) if ':' in GPU_SPEC else 0
    count = _cuda_device_count()
    if count <= index:
        return 'GPU test: CuPy sees {} CUDA device(s), none numbered {}{}'.format(
            count, index, hint)
    return None


# For a test module: ``pytestmark = gpu_mark``.
gpu_mark = [pytest.mark.gpu, pytest.mark.skipif(skip_reason() is not None,
                                                reason=skip_reason() or '')]


def gpu_device():
    return chainer.get_device(GPU_SPEC)


@contextlib.contextmanager
def on_gpu():
    """Run the block the way the GPU would: on the CPU switch, with
    Chainer's functions in place of dcgan.ops (CuPy always uses them)."""
    if ON_CPU:
        with layers.use_fast_cpu(False):
            yield
    else:
        yield


def _to(xp, a):
    return a if xp is numpy else xp.asarray(a)


def _uniform(self, shape, xp=numpy, low=-1.0, high=1.0, dtype=numpy.float32):
    return _to(xp, self.host.uniform(low, high, shape).astype(dtype))


def _normal(self, shape, xp=numpy, dtype=numpy.float32, scale=1.0):
    out = self.host.standard_normal(shape, dtype=numpy.float32) * numpy.float32(scale)
    return _to(xp, out.astype(dtype))


def _normal_like(self, a, scale=1.0):
    return self.normal(a.shape, chainer.backend.get_array_module(a), a.dtype.type, scale)


def _add_normal(self, a, scale=1.0):
    return a + self.normal_like(a, scale)


def _random(self, shape, xp=numpy):
    return _to(xp, self.host.random(shape, dtype=numpy.float32))


def use_same_draws(monkeypatch):
    """From now on (until ``monkeypatch`` undoes it) every TrainingRandom
    draws on the host, in NCHW order, whatever the device."""
    for name, f in (('uniform', _uniform), ('normal', _normal), ('normal_like', _normal_like),
                    ('add_normal', _add_normal), ('random', _random)):
        monkeypatch.setattr(TrainingRandom, name, f)


def _family(key):
    # 'updater/optimizer:gen/bn3/gamma/m' -> ('updater', 'optimizer:gen', 'm'):
    # arrays of one kind in one net.
    parts = key.split('/')
    return tuple(parts[:2] + parts[-1:])


def assert_close(a, b, rtol, what):
    """Dicts of arrays (or two arrays) agree: |a - b| <= rtol * scale, where
    an array's scale is its largest value, but at least 1 % of the largest
    of its kind in the same net (e.g. all of G's Adam moments m). Rounding
    follows the size of the terms summed, not of the sum: a gradient that
    nearly cancels (a batch norm's gamma) keeps the error of its terms."""
    if not isinstance(a, dict):
        a, b = {what: a}, {what: b}
    assert a.keys() == b.keys(), (what, sorted(set(a) ^ set(b)))
    largest = {k: float(numpy.abs(v).max()) if v.size else 0.0 for k, v in a.items()}
    family = {}
    for k, m in largest.items():
        family[_family(k)] = max(family.get(_family(k), 0.0), m)
    bad = []
    for k in sorted(a):
        scale = max(largest[k], 0.01 * family[_family(k)])
        diff = numpy.abs(numpy.asarray(a[k], numpy.float64) - numpy.asarray(b[k], numpy.float64))
        if a[k].shape != b[k].shape or not numpy.all(diff <= rtol * scale + 1e-12):
            bad.append((k, float(diff.max()) if diff.size else 0.0, scale))
    assert not bad, '{}: {} of {} arrays differ beyond rtol {} (first: {}, max |diff| {:.3g} ' \
        'at scale {:.3g})'.format(what, len(bad), len(a), rtol, *bad[0])


def _bias_before_batch_norm(keys):
    """Snapshot keys of the biases that feed a batch norm (``l0/b`` before
    ``bn0``, ``c1_0/b`` before ``bn1_0``, with their Adam moments, in the
    nets and in the EMA's copy) and of those batch norms' running means.
    Batch norm subtracts the bias again, so its gradient is zero but for
    rounding, and Adam, which divides by the gradient's size, turns that
    rounding into steps of random sign: these differ between any two
    devices (even between two CPU code paths), and only these."""
    children = {}
    for key in keys:
        parts = key.split('/')
        for i in range(1, len(parts)):
            children.setdefault('/'.join(parts[:i]), set()).add(parts[i])
    noisy = set()
    for key in keys:
        parts = key.split('/')
        for i in range(1, len(parts) - 1):
            siblings, link, rest = children['/'.join(parts[:i])], parts[i], parts[i + 1:]
            stage = link.lstrip('abcdefghijklmnopqrstuvwxyz')
            if not stage:
                continue
            if link.startswith('bn'):
                fed = [s for s in siblings if not s.startswith('bn')
                       and s.lstrip('abcdefghijklmnopqrstuvwxyz') == stage]
                if rest == ['avg_mean'] and fed:
                    noisy.add(key)
            elif rest[0] == 'b' and 'bn' + stage in siblings:
                noisy.add(key)
    return noisy


def snapshot_numbers(path):
    """(float arrays, exact arrays) of a trainer snapshot: weights, batch-norm
    statistics, Adam moments, iterator and random-stream state; timings and
    the biases of ``_bias_before_batch_norm`` left out."""
    with numpy.load(str(path)) as f:
        arrays = {k: f[k] for k in f.files}
    noisy = _bias_before_batch_norm(arrays)
    floats, exact = {}, {}
    for key, value in arrays.items():
        if 'elapsed_time' in key or key in noisy or value.dtype.kind not in 'fiub':
            continue
        (floats if value.dtype.kind == 'f' else exact)[key] = value
    return floats, exact
