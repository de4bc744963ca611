"""--device/--gpu handling shared by the command-line tools."""
import sys

import chainer

from dcgan.cli.errors import UsageError

GPU_INSTALL = ('pip install -e ".[gpu]"  (cupy-cuda12x for CUDA 12; ".[gpu-cuda13]" for '
               'CUDA 13; docs/gpu.md)')


def add_device_arguments(parser):
    """The example's ``--device/-d`` and its deprecated alias ``--gpu/-g``."""
    parser.add_argument('--device', '-d', type=str, default='-1',
                        help='device: -1 or @numpy for the CPU, N or @cupy:N for GPU N')
    parser.add_argument('--gpu', '-g', dest='device', type=int, nargs='?', const=0,
                        help='GPU id (same as --device N); negative means the CPU')


def get_device(spec):
    """A Chainer device for ``spec``; UsageError with the fix when CuPy is missing."""
    spec = str(spec).strip()
    try:
        number = int(spec)
    except ValueError:
        number = None
    if number is not None:
        spec = '@numpy' if number < 0 else '@cupy:{}'.format(number)
    if spec.startswith('@cupy'):
        check_gpu(spec)
    try:
        device = chainer.get_device(spec)
    except Exception as e:  # Chainer raises several types for a bad specifier
        raise UsageError('--device {!r} is not a device Chainer knows ({}); use -1 '
                         'for the CPU or a GPU number such as 0'.format(spec, e))
    if spec.startswith('@cupy'):
        note = cudnn_note()
        if note:
            print('warning: ' + note, file=sys.stderr)
    return device


def check_gpu(spec):
    """UsageError with a sentence when CuPy is missing or sees no such GPU."""
    cuda = chainer.backends.cuda
    if not cuda.available:
        raise UsageError('--device {} asks for a GPU, but CuPy is not installed or does not '
                         'import; install it with: {}'.format(spec, GPU_INSTALL))
    try:
        count = cuda.cupy.cuda.runtime.getDeviceCount()
        problem = None
    except Exception as e:  # CUDARuntimeError: no driver, no device, driver too old
        count, problem = 0, str(e).strip() or type(e).__name__
    number = int(spec.split(':')[1]) if ':' in spec else 0
    if count > number:
        return
    cupy = 'CuPy {}'.format(getattr(cuda.cupy, '__version__', '?'))
    if count == 0:
        raise UsageError('--device {}: {} is installed but sees no GPU ({}); check that '
                         'nvidia-smi lists one and that the CuPy package matches its CUDA '
                         'version (cupy-cuda12x for CUDA 12, cupy-cuda13x for 13)'.format(
                             spec, cupy, problem or 'no CUDA device'))
    raise UsageError('--device {}: {} sees {} GPU(s), numbered 0 to {}; use one of those'
                     .format(spec, cupy, count, count - 1))


def cudnn_note():
    """A sentence when the GPU runs without cuDNN (and why), else None."""
    cuda = chainer.backends.cuda
    if cuda.cudnn_enabled:
        return None
    if getattr(cuda, '_cudnn_disabled_by_user', False):
        why = 'CHAINER_CUDNN=0 turns it off'
    else:
        version = str(getattr(cuda.cupy, '__version__', '?'))
        major = version.split('.')[0]
        why = ('CuPy {} has no cuDNN support (CuPy 14 removed it)'.format(version)
               if major.isdigit() and int(major) >= 14 else
               'CuPy {} finds no cuDNN library (docs/gpu.md says how to add one)'.format(version))
    return ('training on the GPU without cuDNN: {}; Chainer then computes convolutions '
            'and batch norm with its own CuPy kernels, correct but slower'.format(why))
