"""--device's sentences when CuPy is missing, sees no GPU, or has no cuDNN.

CuPy is replaced by stand-ins (monkeypatch), so these run on any machine.
"""
import types

import chainer
import pytest

from dcgan.cli import devices
from dcgan.cli.errors import UsageError


class NoDevice(Exception):
    """Stands in for cupy.cuda.runtime.CUDARuntimeError."""


def fake_cupy(count=None, error=None, version='13.6.0'):
    def get_device_count():
        if error:
            raise NoDevice(error)
        return count
    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(__version__=version,
                                 cuda=types.SimpleNamespace(runtime=runtime))


@pytest.fixture
def cuda(monkeypatch):
    """chainer.backends.cuda with CuPy "installed" (set .cupy, .cudnn_enabled)."""
    module = chainer.backends.cuda
    monkeypatch.setattr(module, 'available', True)
    monkeypatch.setattr(module, 'cudnn_enabled', True, raising=False)
    monkeypatch.setattr(module, '_cudnn_disabled_by_user', False, raising=False)
    monkeypatch.setattr(module, 'cupy', fake_cupy(count=1), raising=False)
    return module


def refused(spec):
    with pytest.raises(UsageError) as e:
        devices.get_device(spec)
    return str(e.value)


def test_cupy_missing_says_how_to_install(monkeypatch):
    monkeypatch.setattr(chainer.backends.cuda, 'available', False)
    message = refused('0')
    assert message.startswith('--device @cupy:0 asks for a GPU, but CuPy is not installed')
    assert 'pip install -e ".[gpu]"' in message and 'gpu-cuda13' in message


def test_cupy_without_a_driver_or_device_is_one_sentence(cuda):
    cuda.cupy = fake_cupy(error='cudaErrorNoDevice: no CUDA-capable device is detected')
    message = refused('@cupy:0')
    assert message == (
        '--device @cupy:0: CuPy 13.6.0 is installed but sees no GPU (cudaErrorNoDevice: no '
        'CUDA-capable device is detected); check that nvidia-smi lists one and that the CuPy '
        'package matches its CUDA version (cupy-cuda12x for CUDA 12, cupy-cuda13x for 13)')
    cuda.cupy = fake_cupy(count=0)
    assert '(no CUDA device)' in refused('0')


def test_a_gpu_number_past_the_last_names_the_ones_there(cuda):
    cuda.cupy = fake_cupy(count=2)
    assert refused('2') == '--device @cupy:2: CuPy 13.6.0 sees 2 GPU(s), numbered 0 to 1; ' \
                           'use one of those'


@pytest.mark.parametrize('version,disabled,expected', [
    ('13.6.0', False, 'CuPy 13.6.0 finds no cuDNN library'),
    ('14.0.1', False, 'CuPy 14.0.1 has no cuDNN support (CuPy 14 removed it)'),
    ('13.6.0', True, 'CHAINER_CUDNN=0 turns it off'),
])
def test_without_cudnn_training_starts_with_a_warning(cuda, monkeypatch, capsys,
                                                      version, disabled, expected):
    cuda.cupy = fake_cupy(count=1, version=version)
    cuda.cudnn_enabled = False
    cuda._cudnn_disabled_by_user = disabled
    sentinel = object()
    monkeypatch.setattr(chainer, 'get_device', lambda spec: sentinel)
    assert devices.get_device('0') is sentinel
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('warning: training on the GPU without cuDNN: ')
    assert expected in err[0] and 'correct but slower' in err[0]


def test_with_cudnn_or_on_the_cpu_nothing_is_said(cuda, monkeypatch, capsys):
    monkeypatch.setattr(chainer, 'get_device', lambda spec: spec)
    assert devices.get_device('@cupy:0') == '@cupy:0'
    cuda.cudnn_enabled = False
    assert devices.get_device('-1') == '@numpy'
    assert capsys.readouterr().err == ''
