"""dcgan.compat: Chainer 7.8.1 imports and runs on this interpreter/NumPy."""
import os
import subprocess
import sys

import numpy
import pytest

import dcgan
from dcgan import compat

import chainer  # after dcgan, as users do
import chainer.functions as F
import chainer.links as L

NUMPY2 = int(numpy.__version__.split('.')[0]) >= 2
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _numpy_distutils_imports():
    # Gone on Python >= 3.12 and NumPy 2, and on 3.11 it also breaks under
    # setuptools versions whose distutils lacks msvccompiler (80.8 does):
    # asked of a fresh interpreter, without dcgan's stub.
    code = 'import numpy.distutils.system_info'
    return subprocess.run([sys.executable, '-c', code], capture_output=True).returncode == 0


def test_patches_applied_only_where_needed():
    needs_distutils = not _numpy_distutils_imports()
    assert ('numpy.distutils stub' in compat.APPLIED) == needs_distutils
    assert ('numpy.sctypes' in compat.APPLIED) == NUMPY2


def test_apply_is_idempotent():
    before = list(compat.APPLIED)
    sctypes = numpy.sctypes
    compat.apply()
    compat.apply()
    assert compat.APPLIED == before
    assert numpy.sctypes is sctypes


def test_sctypes_match_numpy_1_layout():
    assert numpy.sctypes['int'] == [numpy.int8, numpy.int16, numpy.int32,
                                    numpy.int64]
    assert numpy.float32 in numpy.sctypes['float']
    assert numpy.float64 in numpy.sctypes['float']


def test_numpy_distutils_system_info_imports():
    # Chainer imports it on every platform and calls get_info on macOS.
    import numpy.distutils.system_info as system_info
    assert callable(system_info.get_info)
    if 'numpy.distutils stub' in compat.APPLIED:
        assert system_info.get_info('blas_opt') == {}


def test_as_strided_forward_and_backward():
    # chainer/functions/array/as_strided.py is where np.sctypes is read.
    x = chainer.Variable(numpy.arange(6, dtype=numpy.float32))
    y = F.as_strided(x, (2, 2), (2, 1))
    numpy.testing.assert_array_equal(y.array, [[0, 1], [2, 3]])
    F.sum(y).backward()
    numpy.testing.assert_array_equal(x.grad, [1, 1, 1, 1, 0, 0])


def tiny_gan_shaped_model():
    # Same order of layers as a DCGAN generator followed by a discriminator.
    # (The Linear comes first on purpose: Chainer 7.8.1's Deconvolution2D
    # backward crashes when its input needs no gradient, see the report.)
    return chainer.Sequential(
        L.Linear(8, 4 * 4 * 4), lambda h: F.reshape(h, (-1, 4, 4, 4)),
        L.BatchNormalization(4), F.relu,
        L.Deconvolution2D(4, 3, 4, 2, 1), F.tanh,
        L.Convolution2D(3, 4, 4, 2, 1), F.leaky_relu, L.Linear(None, 1))


def test_dcgan_building_blocks_train_one_step(tmp_path):
    # The links, functions, optimizer and serializer the project relies on.
    rng = numpy.random.RandomState(0)
    z = rng.standard_normal((2, 8)).astype(numpy.float32)
    model = tiny_gan_shaped_model()
    optimizer = chainer.optimizers.Adam(alpha=2e-4, beta1=0.5)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(1e-4))
    y = model(z)
    assert y.shape == (2, 1) and y.dtype == numpy.float32
    loss = F.mean(F.softplus(-y)) + F.mean(F.sigmoid(y))
    model.cleargrads()
    loss.backward()
    before = model[4].W.array.copy()
    optimizer.update()
    assert model[4].W.dtype == numpy.float32
    assert not numpy.array_equal(before, model[4].W.array)

    path = str(tmp_path / 'model.npz')
    chainer.serializers.save_npz(path, model)
    copy = tiny_gan_shaped_model()
    copy(z)  # materialise the lazily sized Linear
    chainer.serializers.load_npz(path, copy)
    with chainer.using_config('train', False):
        numpy.testing.assert_allclose(copy(z).array, model(z).array)


def test_fresh_interpreter_imports_chainer_through_dcgan():
    # In this process conftest imported things already; a user's process
    # starts empty.
    code = ('import dcgan, chainer, numpy; '
            'print(chainer.__version__, numpy.__version__)')
    result = subprocess.run([sys.executable, '-c', code], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == chainer.__version__
    # Under Python's default warning filters users see nothing from the
    # import (setuptools >= 80.9 would warn about pkg_resources here).
    for noise in ('pkg_resources', 'distutils', 'sctypes'):
        assert noise not in result.stderr, result.stderr


def test_project_code_avoids_resize_images():
    # chainer/functions/array/resize_images.py uses numpy.float (removed in
    # NumPy 1.24), so F.resize_images fails on every NumPy dcgan supports;
    # compat does not patch it, so project code must not call it.
    offenders = []
    for folder in ('dcgan', 'examples', 'datasets'):
        for base, _, names in os.walk(os.path.join(ROOT, folder)):
            for name in names:
                path = os.path.join(base, name)
                if (not name.endswith('.py')
                        or os.path.realpath(path) == os.path.realpath(compat.__file__)):
                    continue
                with open(path, encoding='utf-8') as f:
                    if 'resize_images' in f.read():
                        offenders.append(os.path.relpath(path, ROOT))
    assert offenders == []


def test_resize_images_is_still_broken_upstream():
    # If this starts failing, the note in dcgan/compat.py is out of date.
    x = numpy.zeros((1, 1, 4, 4), dtype=numpy.float32)
    with pytest.raises(AttributeError, match='float'):
        F.resize_images(x, (2, 2))


def test_version_is_a_string():
    assert isinstance(dcgan.__version__, str)
