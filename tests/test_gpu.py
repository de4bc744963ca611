"""Training, resume, walks and evaluation on the GPU, checked against the CPU.

Marked ``gpu`` and skipped with the reason where CuPy or a CUDA device is
missing (``pytest -m gpu`` selects them; ``python dev.py gpu-check`` runs them
on a GPU machine). ``DCGAN_TEST_GPU_DEVICE=@numpy`` runs them on the CPU
instead, with Chainer's functions on the "GPU" side (tests/gpu_helpers.py):
every test compares numbers, so a wrong result fails, not only a crash.

Each comparison starts both devices from the same weights (the command's
``--seed``) and, through ``use_same_draws``, the same random numbers.
Tolerances are relative to each array's largest value: float32 sums in
another order (cuDNN, cuBLAS) differ by about 1e-6 per step; 2e-3 leaves
room for that over a few steps and still catches a wrong kernel, a weight
left behind on one device, or a resume that loads nothing.
"""
import json
import os
import shutil
import subprocess
import sys

import chainer
import numpy
import pytest

from dcgan.cli import evaluate, train, train_args, walk
from dcgan.models import Generator
from tests import gpu_helpers
from tests.gpu_helpers import assert_close, on_gpu, snapshot_numbers, use_same_draws
from tests.helpers import assert_same_picture

pytestmark = gpu_helpers.gpu_mark

# cuDNN may use TF32 (10-bit mantissa) for float32 convolutions on Ampere and
# newer; these tests compare float32 results. Read when cuDNN starts.
os.environ.setdefault('NVIDIA_TF32_OVERRIDE', '0')

RTOL = 2e-3
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Tiny nets, and no quality checks or GIFs unless a test asks for them.
BASE = ['--ch', '16', '--n_hidden', '8', '--batchsize', '8', '--demo_images', '24',
        '--display_interval', '1', '--no-progress-bar', '--preview_rows', '2',
        '--preview_cols', '3', '--swd-interval', '0', '--nearest-interval', '0',
        '--snapshot_interval', '100']
TINY = BASE + ['--no-walk-gif', '--no-progress-gif']
LOG_KEYS = ('gen/loss', 'dis/loss', 'dis/real', 'dis/fake')

# Every stabiliser and option of the update, a few at a time. One model
# family exists so far (DCGAN); the class-conditional and pix2pix ones get
# a row here when they land.
CONFIGS = {
    'example': [],
    'small-data': ['--small-data'],
    'augment': ['--augment', 'color,translation,cutout'],
    'r1': ['--r1-gamma', '1.0'],
    'spectral-norm': ['--spectral-norm'],
    'sn-plain-d': ['--spectral-norm', '--no-dis-batch-norm'],
    'mbstd-joint': ['--minibatch-std', '--joint-batch'],
    'fm-smoothing': ['--feature-matching', '1.0', '--label-smoothing', '0.1'],
    'hinge-ndis': ['--loss', 'hinge', '--n_dis', '2', '--instance-noise', '0.1'],
    'lsgan-every': ['--loss', 'lsgan', '--dis_every', '2', '--lr-decay', '0.5'],
    'order-flip': ['--update_order', 'example', '--flip', '--ema', '0.9'],
    'gray-28px': ['--channels', '1', '--resolution', '28'],
    # Labels (the demo shapes: disc, maki, ring).
    'cond-proj': ['--cond', 'proj'],
    'cond-concat-warmup': ['--cond', 'concat', '--cond-warmup', '0:2'],
    'cond-acgan-uniform': ['--cond', 'acgan', '--label-sampling', 'uniform', '--ema', '0.9'],
    'semi-supervised': ['--semi-supervised'],
}


def train_on(device, out, *flags, base=TINY):
    """dcgan-train on ``device`` ('cpu' or 'gpu') into ``out``."""
    argv = base + ['--out', str(out)] + list(flags)
    numpy.random.seed(0)  # spectral norm's first u comes from NumPy's global RNG
    if device == 'cpu':
        assert train.main(argv) == 0
        return
    with on_gpu():
        assert train.main(argv + ['--device', gpu_helpers.GPU_SPEC]) == 0


def log_values(out):
    """Each reported value over the iterations (0 where not reported: D
    steps skipped by --dis_every)."""
    with open(os.path.join(str(out), 'log')) as f:
        log = json.load(f)
    return {k: numpy.array([entry.get(k, 0.0) for entry in log]) for k in LOG_KEYS}


def assert_finite(floats, what):
    bad = [k for k, v in floats.items() if not numpy.all(numpy.isfinite(v))]
    assert not bad, '{}: non-finite values in {}'.format(what, bad[:5])


def assert_same_training(cpu_out, gpu_out, iteration):
    """The two runs' snapshots and logs agree: floats within RTOL, the
    iterator and random-stream states exactly."""
    name = 'snapshot_iter_{}.npz'.format(iteration)
    cpu_floats, cpu_exact = snapshot_numbers(os.path.join(str(cpu_out), name))
    gpu_floats, gpu_exact = snapshot_numbers(os.path.join(str(gpu_out), name))
    assert_finite(gpu_floats, 'GPU snapshot')
    assert_close(cpu_floats, gpu_floats, RTOL, 'CPU vs GPU snapshot')
    assert cpu_exact.keys() == gpu_exact.keys()
    for key in cpu_exact:
        numpy.testing.assert_array_equal(cpu_exact[key], gpu_exact[key], err_msg=key)
    cpu_log, gpu_log = log_values(cpu_out), log_values(gpu_out)
    assert len(cpu_log['gen/loss']) == iteration
    for key in LOG_KEYS:
        assert_close(cpu_log[key], gpu_log[key], RTOL, key)


@pytest.mark.parametrize('flags', list(CONFIGS.values()), ids=list(CONFIGS))
def test_first_steps_on_the_gpu_match_the_cpu(tmp_path, monkeypatch, flags):
    use_same_draws(monkeypatch)
    train_on('cpu', tmp_path / 'cpu', '--iteration', '3', *flags)
    train_on('gpu', tmp_path / 'gpu', '--iteration', '3', *flags)
    assert_same_training(tmp_path / 'cpu', tmp_path / 'gpu', 3)


def test_the_gpus_own_random_numbers_train_without_nan(tmp_path, capsys):
    # No use_same_draws: z, noise, flips and augmentation from CuPy's generator.
    flags = ['--iteration', '4', '--small-data', '--augment', 'color,translation,cutout',
             '--r1-gamma', '1.0', '--flip', '--dis_noise', '0.2']
    train_on('gpu', tmp_path / 'gpu', *flags)
    assert 'Device: {}'.format(gpu_helpers.gpu_device()) in capsys.readouterr().out
    floats, _ = snapshot_numbers(tmp_path / 'gpu' / 'snapshot_iter_4.npz')
    assert_finite(floats, 'GPU snapshot')
    losses = log_values(tmp_path / 'gpu')
    assert all(numpy.isfinite(v).all() and len(v) == 4 for v in losses.values())
    # Training moved every weight from where the same seed starts on the CPU.
    args = train.parse_arguments(TINY + ['--out', str(tmp_path / 'init')] + flags)
    gen, dis = train.build_models(args, train.load_training_images(args),
                                  chainer.get_device('@numpy'))
    for net, chain in (('gen', gen), ('dis', dis)):
        for name, p in chain.namedparams():
            if name.endswith('/W'):
                moved = floats['updater/model:{}{}'.format(net, name)]
                assert not numpy.array_equal(p.array, moved), name


@pytest.mark.parametrize('first,then', [('gpu', 'cpu'), ('cpu', 'gpu')])
def test_a_snapshot_resumes_on_the_other_device(tmp_path, monkeypatch, capsys, first, then):
    use_same_draws(monkeypatch)
    train_on('cpu', tmp_path / 'straight', '--iteration', '7', '--seed', '1')
    train_on(first, tmp_path / 'split', '--iteration', '4', '--seed', '1')
    # The resuming command names another seed: only a run that really loads
    # the snapshot's weights, Adam state, data order and random stream ends
    # where the unbroken seed-1 run does.
    capsys.readouterr()
    train_on(then, tmp_path / 'split', '--iteration', '7', '--seed', '2')
    printed = capsys.readouterr().out
    assert 'Resuming from' in printed and '(iteration 4)' in printed
    assert_same_training(tmp_path / 'straight', tmp_path / 'split', 7)


@pytest.fixture(scope='module')
def gen_file(tmp_path_factory):
    """A random-init generator, saved as the example does; weights 15x the
    example's so that its pictures change with z by more than rounding."""
    numpy.random.seed(0)
    gen = Generator(resolution=32, ch=16, n_hidden=10, wscale=0.3)
    path = tmp_path_factory.mktemp('gen') / 'gen_iter_10.npz'
    chainer.serializers.save_npz(str(path), gen)
    return str(path)


def frames(path):
    from PIL import Image, ImageSequence
    with Image.open(path) as im:
        return numpy.stack([numpy.asarray(f.convert('RGB')) for f in ImageSequence.Iterator(im)])


@pytest.mark.parametrize('flags', [['--grid', '2x2', '-k', '3', '-f', '4'],
                                   ['--traverse', '0-3']], ids=['walk', 'traverse'])
def test_walk_on_the_gpu_draws_the_cpus_frames(gen_file, tmp_path, flags):
    ext = '.png' if '--traverse' in flags else '.gif'
    cpu, gpu = str(tmp_path / ('cpu' + ext)), str(tmp_path / ('gpu' + ext))
    assert walk.main(['--gen', gen_file, '--out', cpu] + flags) == 0
    with on_gpu():
        assert walk.main(['--gen', gen_file, '--out', gpu, '--device', gpu_helpers.GPU_SPEC]
                         + flags) == 0
    a, b = frames(cpu), frames(gpu)
    assert len(a) == (1 if ext == '.png' else 12)
    if len(a) > 1:  # frames change with z, as they would not on a device that lost it
        assert numpy.abs(a[0].astype(int) - a[4]).mean() > 4
    assert_same_picture(b, a)


def test_evaluate_on_the_gpu_scores_like_the_cpu(gen_file, tmp_path, capsys):
    def score(device, nearest):
        argv = ['--gen', gen_file, '--samples', '64', '--demo_images', '64',
                '--nearest', nearest]
        capsys.readouterr()
        if device == 'cpu':
            assert evaluate.main(argv) == 0
        else:
            with on_gpu():
                assert evaluate.main(argv + ['--device', gpu_helpers.GPU_SPEC]) == 0
        line = capsys.readouterr().out.splitlines()[0]
        assert line.startswith('swd '), line
        return float(line.split()[1])
    cpu_nn, gpu_nn = str(tmp_path / 'cpu.png'), str(tmp_path / 'gpu.png')
    cpu, gpu = score('cpu', cpu_nn), score('gpu', gpu_nn)
    assert cpu > 0 and abs(cpu - gpu) <= 0.01 * cpu, (cpu, gpu)
    assert_same_picture(frames(gpu_nn)[0], frames(cpu_nn)[0])


def test_previews_gifs_and_checks_leave_gpu_training_untouched(tmp_path):
    # Without use_same_draws: the GPU's own random numbers, which the
    # extensions must not draw from. cuDNN may pick non-deterministic
    # algorithms (atomic adds), so two runs are asked to be deterministic.
    with chainer.using_config('cudnn_deterministic', True):
        train_on('gpu', tmp_path / 'plain', '--iteration', '4', '--ema', '0.9')
        train_on('gpu', tmp_path / 'watched', '--iteration', '4', '--ema', '0.9',
                 '--snapshot_interval', '1', '--swd-interval', '1', '--swd-samples', '32',
                 '--nearest-interval', '1', '--walk-interval', '1', '--walk-frames', '2',
                 base=BASE)
    watched = tmp_path / 'watched'
    for name in ('walk.gif', 'progress.gif', 'nearest/nearest_iter_2.png',
                 'preview/image00000003.png'):
        assert (watched / name).is_file(), name
    with numpy.load(str(tmp_path / 'plain' / 'snapshot_iter_4.npz')) as f:
        plain = {k: f[k] for k in f.files if k.startswith('updater/')}
    with numpy.load(str(watched / 'snapshot_iter_4.npz')) as f:
        seen = {k: f[k] for k in f.files if k.startswith('updater/')}
    assert plain.keys() == seen.keys() and len(plain) > 50
    for key in plain:
        numpy.testing.assert_array_equal(plain[key], seen[key], err_msg=key)


def _has_communicator_flag():
    return any('--communicator' in a.option_strings for a in train_args.build_parser()._actions)


@pytest.mark.skipif(gpu_helpers.device_count() < 2 or gpu_helpers.ON_CPU,
                    reason='multi-process test: needs two CUDA devices')
@pytest.mark.skipif(not _has_communicator_flag(),
                    reason='multi-process test: ChainerMN training (--communicator) is not '
                           'built yet')
def test_two_processes_with_pure_nccl_train_without_nan(tmp_path):
    # Each process trains on its own GPU (rank k on --gpu 0 + k); rank 0 writes the files.
    # The MPICH wheel of the dist extra puts mpiexec beside the Python, not on PATH.
    beside = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
    mpiexec = beside if os.path.exists(beside) else shutil.which('mpiexec')
    if mpiexec is None:
        pytest.skip('multi-process test: mpiexec is not installed (pip install -e ".[dist]")')
    command = [mpiexec, '-n', '2', sys.executable, os.path.join(ROOT, 'examples', 'train_dcgan.py')
               ] + TINY + ['--iteration', '3', '--communicator', 'pure_nccl', '--gpu', '0',
                           '--out', str(tmp_path / 'mn')]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    floats, _ = snapshot_numbers(tmp_path / 'mn' / 'snapshot_iter_3.npz')
    assert_finite(floats, 'two-process snapshot')
