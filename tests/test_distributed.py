"""Training on 2 processes: `mpiexec -n 2` on the CPU (ChainerMN's naive
communicator), launched from here with a timeout so a hang fails the test.
Skipped, with the reason, where mpi4py or mpiexec is missing
(`pip install -e ".[dist]"` brings both)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

import numpy
import pytest

from dcgan.cli import train

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DRIVER = os.path.join(HERE, 'mpi_driver.py')
TIMEOUT = 120  # seconds for one mpiexec; a run here takes a few
TINY = ['--ch', '16', '--n_hidden', '8', '--demo_images', '24', '--display_interval', '1',
        '--no-progress-bar', '--preview_rows', '2', '--preview_cols', '3', '--no-walk-gif',
        '--no-progress-gif', '--swd-interval', '0', '--nearest-interval', '0', '--no-report']


def _mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
    return beside if os.path.exists(beside) else shutil.which('mpiexec')


def _missing():
    if importlib.util.find_spec('mpi4py') is None:
        return 'mpi4py is not installed (pip install -e ".[dist]")'
    if _mpiexec() is None:
        return 'no mpiexec beside this Python or on PATH (pip install -e ".[dist]")'
    return None


needs_mpi = pytest.mark.skipif(_missing() is not None, reason='multi-process test: {}'.format(
    _missing()))


def _env():
    env = dict(os.environ)
    # Two ranks on two cores: one BLAS thread each. Open MPI as root needs
    # the two ALLOW variables (MPICH ignores them).
    env.update(OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1', OMPI_ALLOW_RUN_AS_ROOT='1',
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1', PYTHONPATH=ROOT)
    return env


def mpirun(*flags, cwd=None, state=None, fail=None, n=2):
    """mpiexec -n 2 tests/mpi_driver.py ... -- FLAGS; the CompletedProcess."""
    command = [_mpiexec(), '-n', str(n), sys.executable, DRIVER]
    for option, value in (('--cwd', cwd), ('--state', state), ('--fail', fail)):
        if value is not None:
            command += [option, str(value)]
    command += ['--'] + TINY + [str(f) for f in flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=_env())


def ok(done):
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def npz(path):
    with numpy.load(str(path)) as f:
        return {k: f[k] for k in f.files}


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(d, name), str(folder))
                  for d, _, names in os.walk(str(folder)) for name in names)


# Per-rank randomness everywhere it exists: z, flips, augmentation, D's noise.
FLAGS = ['--batchsize', '4', '--flip', '--augment', 'translation,cutout', '--ema', '0.9',
         '--communicator', 'naive', '--out', 'run', '--snapshot_interval', '3']


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    """6 iterations on 2 ranks, each in its own folder (a relative --out)."""
    base = tmp_path_factory.mktemp('straight')
    (base / 'state').mkdir()
    done = ok(mpirun(*FLAGS, '--iteration', '6', cwd=base, state=base / 'state'))
    return base, done


@needs_mpi
def test_both_ranks_end_with_the_same_weights_and_their_own_random_streams(straight):
    base, _ = straight
    rank0, rank1 = npz(base / 'state' / 'state_rank0.npz'), npz(base / 'state' / 'state_rank1.npz')
    assert rank0.keys() == rank1.keys()
    weights = [k for k in rank0 if k.startswith('model:')]
    assert any(k.endswith('/W') for k in weights) and any('avg_mean' in k for k in weights)
    for key in rank0:
        if key != 'rng/state':  # weights, BN statistics, Adam moments, iterator: equal
            numpy.testing.assert_array_equal(rank0[key], rank1[key], err_msg=key)
    assert rank0['optimizer:gen/t'] == 6  # every update was an update (no broadcast step)
    assert bytes(rank0['rng/state']) != bytes(rank1['rng/state'])


@needs_mpi
def test_only_rank_0_writes_files_and_the_summary_names_the_global_batch(straight):
    base, done = straight
    assert files_under(base / 'rank1') == []
    written = files_under(base / 'rank0' / 'run')
    for name in ('snapshot_iter_3.npz', 'snapshot_iter_6.npz', 'gen_iter_6.npz',
                 'dis_iter_6.npz', 'gen_ema_iter_6.npz', 'log', 'loss.png', 'config.json',
                 os.path.join('preview', 'image00000006.png')):
        assert name in written, name
    assert done.stdout.count('# Processes: 2 (--communicator naive), global batch 8 = '
                             '2 x --batchsize 4') == 1
    assert done.stdout.count('Device: @numpy') == 1
    config = json.loads((base / 'rank0' / 'run' / 'config.json').read_text())
    assert config['args']['processes'] == 2 and config['args']['communicator'] == 'naive'
    log = json.loads((base / 'rank0' / 'run' / 'log').read_text())
    assert [entry['iteration'] for entry in log] == [1, 2, 3, 4, 5, 6]


@needs_mpi
def test_resume_restores_both_ranks_bit_exactly(straight, tmp_path):
    base, _ = straight
    (tmp_path / 'state').mkdir()
    ok(mpirun(*FLAGS, '--iteration', '3', cwd=tmp_path))
    done = ok(mpirun(*FLAGS, '--iteration', '6', cwd=tmp_path, state=tmp_path / 'state'))
    assert 'Resuming from run/snapshot_iter_3.npz (iteration 3)' in done.stdout
    # Rank 1 never had the file: rank 0 sent it.
    assert files_under(tmp_path / 'rank1') == []
    for rank in (0, 1):
        name = 'state_rank{}.npz'.format(rank)
        expected, resumed = npz(base / 'state' / name), npz(tmp_path / 'state' / name)
        assert expected.keys() == resumed.keys()
        for key in expected:
            numpy.testing.assert_array_equal(expected[key], resumed[key],
                                             err_msg='rank {} {}'.format(rank, key))


@needs_mpi
def test_resuming_on_another_number_of_processes_is_refused(straight, capsys):
    base, _ = straight
    out = base / 'rank0' / 'run'
    with pytest.raises(SystemExit):
        train.main(TINY + ['--batchsize', '4', '--iteration', '9', '--out', str(out)])
    assert ('snapshot_iter_6.npz was written by 2 processes and this run has 1 process, and '
            'the global batch and the random streams depend on that number: resume it with '
            'mpiexec -n 2 ... --communicator NAME') in capsys.readouterr().err


@needs_mpi
def test_an_error_on_one_rank_ends_the_job_with_its_message(tmp_path):
    started = time.time()
    done = mpirun('--batchsize', '4', '--iteration', '50', '--communicator', 'naive',
                  '--out', str(tmp_path / 'run'), fail='1:2')
    assert done.returncode != 0
    assert 'rank 1 of 2 failed' in done.stderr
    assert 'RuntimeError: injected failure on rank 1 at iteration 2' in done.stderr
    assert time.time() - started < TIMEOUT / 2
    log = json.loads((tmp_path / 'run' / 'log').read_text())
    assert log[-1]['iteration'] < 50


@needs_mpi
def test_two_ranks_at_batch_b_repeat_one_process_at_batch_2b(tmp_path):
    # The same images, z, flips, augmentation and D noise (one shared
    # stream, each rank its rows) and batch norm over the global batch.
    common = ['--flip', '--augment', 'color,translation,cutout', '--iteration', '4',
              '--snapshot_interval', '2']
    ok(mpirun('--batchsize', '4', '--communicator', 'naive', '--sync-bn',
              '--random-streams', 'global', '--out', str(tmp_path / 'two'), *common))
    assert train.main(TINY + ['--batchsize', '8', '--out', str(tmp_path / 'one')] + common) == 0
    assert_same_training(tmp_path / 'one', tmp_path / 'two', (
        'gen_iter_2.npz', 'dis_iter_2.npz', 'gen_iter_4.npz', 'dis_iter_4.npz'))
    # ...and that is not because nothing changed: two updates move them far more.
    early, late = npz(tmp_path / 'one' / 'gen_iter_2.npz'), npz(tmp_path / 'one' / 'gen_iter_4.npz')
    assert max(float(numpy.abs(early[k] - late[k]).max()) for k in early) > 1e-3
    logs = [json.loads((tmp_path / run / 'log').read_text()) for run in ('one', 'two')]
    for a, b in zip(*logs):
        for key in ('gen/loss', 'dis/loss', 'dis/real', 'dis/fake'):
            assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-6), (a['iteration'], key)


def _before_batch_norm(weights):
    """The biases of layers a batch norm follows, and that norm's running
    mean. Batch norm subtracts the bias again, so its gradient is 0 but for
    rounding, which Adam scales up to steps of up to 1e-4: those biases
    (and the means they shift) follow the rounding, not the data."""
    keys = set()
    for key in weights:
        layer, _, name = key.rpartition('/')
        for norm in ('bn' + layer.lstrip('cdl'), layer + '_norm'):  # DCGAN's, pix2pix's
            if name == 'b' and norm + '/avg_mean' in weights:
                keys.update((key, norm + '/avg_mean'))
    return keys


def assert_same_training(one, two, names):
    """The files ``names`` in folders ``one`` and ``two`` hold the same weights
    up to float rounding (GEMMs of other row counts, MPI sums)."""
    for name in names:
        a, b = npz(one / name), npz(two / name)
        assert a.keys() == b.keys()
        loose = _before_batch_norm(a)
        assert len(loose) < len(a) / 3  # most numbers are held to rounding
        for key in a:
            numpy.testing.assert_allclose(b[key], a[key], rtol=1e-4,
                                          atol=1e-3 if key in loose else 1e-6,
                                          err_msg=name + ' ' + key)


@needs_mpi
def test_labelled_training_on_two_ranks_and_an_epoch_that_does_not_split_evenly(tmp_path):
    # 20 images in global batches of 8: 2 epochs end at iteration 5 on both ranks.
    done = ok(mpirun('--cond', 'proj', '--sync-bn', '--demo_images', '20', '--batchsize',
                     '4', '--epoch', '2', '--snapshot_interval', '100', '--communicator',
                     'naive', '--out', str(tmp_path / 'run')))
    assert '--cond proj' in done.stdout
    log = json.loads((tmp_path / 'run' / 'log').read_text())
    assert log[-1]['iteration'] == 5 and log[-1]['epoch'] == 2
    config = json.loads((tmp_path / 'run' / 'config.json').read_text())
    assert config['gen']['cond'] == 'bn' and len(config['data']['classes']) == 3
    assert (tmp_path / 'run' / 'gen_iter_5.npz').is_file()


@needs_mpi
def test_pix2pix_on_two_ranks_repeats_one_process_at_the_global_batch(tmp_path):
    # Crops, flips and dropout from the shared stream; batch norm synced.
    common = ['--resolution', '16', '--ngf', '4', '--ndf', '4', '--patch', '16', '--holdout',
              '2', '--demo_images', '20', '--iteration', '4', '--snapshot_interval', '2',
              '--display_interval', '1', '--no-progress-bar']
    command = [_mpiexec(), '-n', '2', sys.executable,
               os.path.join(ROOT, 'examples', 'train_pix2pix.py'), '-b', '2', '--communicator',
               'naive', '--sync-bn', '--random-streams', 'global', '-o', str(tmp_path / 'two')]
    ok(subprocess.run(command + common, capture_output=True, text=True, timeout=TIMEOUT,
                      env=_env()))
    from dcgan.cli import pix2pix
    assert pix2pix.main(common + ['-b', '4', '-o', str(tmp_path / 'one')]) == 0
    assert_same_training(tmp_path / 'one', tmp_path / 'two', (
        'gen_iter_2.npz', 'dis_iter_2.npz', 'gen_iter_4.npz', 'dis_iter_4.npz'))
    logs = [json.loads((tmp_path / run / 'log').read_text()) for run in ('one', 'two')]
    assert [e['iteration'] for e in logs[1]] == [1, 2, 3, 4]
    for a, b in zip(*logs):
        for key in ('gen/l1', 'gen/adv', 'dis/loss'):
            assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-6), (a['iteration'], key)
    config = json.loads((tmp_path / 'two' / 'config.json').read_text())
    assert config['args']['processes'] == 2 and config['model'] == 'pix2pix'


@needs_mpi
def test_a_communicator_without_mpiexec_says_how_to_start(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'train_dcgan.py')]
                          + TINY + ['--communicator', 'naive', '--out', str(tmp_path)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=_env())
    assert done.returncode == 2
    assert ('error: --communicator naive found 1 process: start several with mpiexec, e.g. '
            'mpiexec -n 2 python examples/train_dcgan.py --communicator naive') in done.stderr


def test_a_communicator_without_mpi4py_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, 'mpi4py', None)  # import mpi4py raises ImportError
    with pytest.raises(SystemExit):
        train.main(TINY + ['--communicator', 'naive', '--out', str(tmp_path)])
    err = capsys.readouterr().err
    assert 'error: --communicator naive needs mpi4py and an MPI library' in err
    assert 'pip install -e ".[dist]"' in err


@pytest.mark.parametrize('flags, message', [
    (['--communicator', 'pure_nccl'], '--communicator pure_nccl needs GPUs (--gpu 0: one per '
                                      'process); on the CPU use --communicator naive'),
    (['--communicator', 'naive', '--gpu', '0'], '--communicator naive runs on the CPU only'),
    (['--sync-bn'], '--sync-bn and --random-streams are for several processes'),
])
def test_impossible_multi_process_flags_get_one_sentence(tmp_path, capsys, flags, message):
    with pytest.raises(SystemExit):
        train.main(TINY + flags + ['--out', str(tmp_path)])
    assert message in capsys.readouterr().err


def test_one_process_imports_no_mpi(tmp_path):
    code = ('import sys; from dcgan.cli import train; '
            'assert train.main({!r}) == 0; '
            'print(sorted(m for m in sys.modules if m.split(".")[0] in ("mpi4py", "chainermn")))'
            .format(TINY + ['--batchsize', '8', '--iteration', '1', '--out', str(tmp_path)]))
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=TIMEOUT, env=_env())
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == '[]'
