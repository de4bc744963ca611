"""--device/--gpu handling shared by the command-line tools."""
import chainer

from dcgan.cli.errors import UsageError

GPU_INSTALL = 'pip install -e ".[gpu]"  (installs cupy-cuda12x for CUDA 12)'


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
    if spec.startswith('@cupy') and not chainer.backends.cuda.available:
        raise UsageError('--device {} asks for a GPU, but CuPy is not installed or '
                         'no CUDA device is visible; install it with: {}'.format(
                             spec, GPU_INSTALL))
    try:
        device = chainer.get_device(spec)
    except Exception as e:  # Chainer raises several types for a bad specifier
        raise UsageError('--device {!r} is not a device Chainer knows ({}); use -1 '
                         'for the CPU or a GPU number such as 0'.format(spec, e))
    return device
