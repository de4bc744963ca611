"""NaNGuard stops a diverging run, says where, and keeps the good snapshots."""
import math

import chainer
import numpy
import pytest
from chainer import training
from chainer.training import extensions

from dcgan.extensions.nan_guard import NaNGuard, TrainingDiverged
from tests.helpers import tiny_updater


def _diverging_trainer(tmp_path, poison_at=3):
    up = tiny_updater()
    update_core = up.update_core

    def poisoned():
        update_core()
        if up.iteration + 1 == poison_at:  # the update that makes iteration poison_at
            up.dis.c0_0.W.array[0, 0, 0, 0] = numpy.nan
    up.update_core = poisoned
    trainer = training.Trainer(up, (10, 'iteration'), out=str(tmp_path))
    trainer.extend(NaNGuard({'gen': up.gen, 'dis': up.dis}))
    trainer.extend(extensions.snapshot(filename='snapshot_iter_{.updater.iteration}.npz'),
                   trigger=(1, 'iteration'))
    trainer.extend(extensions.snapshot_object(up.dis, 'dis_iter_{.updater.iteration}.npz'),
                   trigger=(1, 'iteration'))
    return trainer, up


def test_guard_stops_a_diverging_run_and_keeps_loadable_snapshots(tmp_path):
    trainer, up = _diverging_trainer(tmp_path)
    with pytest.raises(TrainingDiverged, match=r'iteration 3: weight dis/c0_0/W') as info:
        trainer.run()
    assert info.value.iteration == 3
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ['dis_iter_1.npz', 'dis_iter_2.npz',
                     'snapshot_iter_1.npz', 'snapshot_iter_2.npz']
    # The last good snapshot loads into a fresh trainer and is finite.
    fresh, _ = _diverging_trainer(tmp_path / 'fresh')
    chainer.serializers.load_npz(str(tmp_path / 'snapshot_iter_2.npz'), fresh)
    assert fresh.updater.iteration == 2
    for _, p in fresh.updater.dis.namedparams():
        assert numpy.isfinite(p.array).all()


def test_guard_names_a_non_finite_loss():
    guard = NaNGuard()
    guard.check({'gen/loss': chainer.Variable(numpy.array(1.0, numpy.float32))}, 7)
    with pytest.raises(TrainingDiverged, match=r'iteration 7: dis/loss is inf'):
        guard.check({'gen/loss': numpy.float32(1.0), 'dis/loss': numpy.float32(math.inf)}, 7)


@pytest.mark.filterwarnings('ignore:overflow:RuntimeWarning', 'ignore:invalid value:RuntimeWarning')
def test_cli_turns_divergence_into_one_sentence(tmp_path, capsys):
    from dcgan.cli import train
    # Adam steps of 1e30 overflow the weights at once.
    with pytest.raises(SystemExit) as info:
        train.main(['--ch', '16', '-n', '8', '-b', '8', '--demo_images', '24',
                    '--iteration', '4', '--lr_dis', '1e30', '--lr_gen', '1e30',
                    '--no-walk-gif', '--no-progress-gif', '--no-progress-bar',
                    '--out', str(tmp_path / 'out')])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert 'error: training diverged at iteration 1' in err
    assert 'Traceback' not in err
