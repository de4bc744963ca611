import chainer
import numpy
import pytest
from chainer import training

from dcgan.training.losses import LOSSES
from tests.helpers import max_abs_diff, params, tiny_updater


def _run(updater, n):
    reporter = chainer.Reporter()
    reporter.add_observer('gen', updater.gen)
    reporter.add_observer('dis', updater.dis)
    observations = []
    for _ in range(n):
        obs = {}
        with reporter.scope(obs):
            updater.update()
        observations.append(obs)
    return observations


def test_one_step_changes_both_nets_and_reports_the_keys():
    updater = tiny_updater()
    g0, d0 = params(updater.gen), params(updater.dis)
    obs = _run(updater, 1)[0]
    assert {'gen/loss', 'dis/loss', 'dis/real', 'dis/fake'} <= set(obs)
    assert max_abs_diff(g0, params(updater.gen)) > 0
    assert max_abs_diff(d0, params(updater.dis)) > 0


def test_detached_order_gives_the_examples_weights():
    a, b = tiny_updater(update_order='example'), tiny_updater(update_order='detached')
    _run(a, 3)
    _run(b, 3)
    assert max_abs_diff(params(a.gen), params(b.gen)) < 1e-6
    assert max_abs_diff(params(a.dis), params(b.dis)) < 1e-6


@pytest.mark.parametrize('loss', sorted(LOSSES))
def test_each_loss_trains_without_nan(loss):
    updater = tiny_updater(loss=loss)
    for obs in _run(updater, 4):
        for key in ('gen/loss', 'dis/loss'):
            assert numpy.isfinite(float(obs[key].array))
    for p in list(updater.gen.params()) + list(updater.dis.params()):
        assert numpy.isfinite(p.array).all()


def test_n_dis_takes_several_d_steps_per_g_step():
    updater = tiny_updater(n_dis=3)
    _run(updater, 2)
    assert updater.get_optimizer('dis').t == 6
    assert updater.get_optimizer('gen').t == 2


def test_dis_every_skips_d_steps():
    updater = tiny_updater(dis_every=2)
    obs = _run(updater, 4)
    assert updater.get_optimizer('dis').t == 2
    assert updater.get_optimizer('gen').t == 4
    assert 'dis/loss' in obs[0] and 'dis/loss' not in obs[1]


def test_bad_balance_and_order_are_refused():
    with pytest.raises(ValueError, match='n_dis'):
        tiny_updater(n_dis=0)
    with pytest.raises(ValueError, match='update_order'):
        tiny_updater(update_order='fast')
    with pytest.raises(ValueError, match='loss'):
        tiny_updater(loss='wasserstein')


def test_flip_is_seeded():
    a, b = tiny_updater(flip=True), tiny_updater(flip=True)
    _run(a, 2)
    _run(b, 2)
    assert max_abs_diff(params(a.gen), params(b.gen)) == 0


def test_snapshot_resume_is_exact(tmp_path):
    # 5 iterations of 4 images from 12 cross an epoch boundary (reshuffle).
    straight = tiny_updater()
    trainer = training.Trainer(straight, (6, 'iteration'), out=str(tmp_path / 'a'))
    trainer.run()

    first = tiny_updater()
    trainer = training.Trainer(first, (3, 'iteration'), out=str(tmp_path / 'b'))
    trainer.run()
    chainer.serializers.save_npz(str(tmp_path / 'snap.npz'), trainer)

    resumed = tiny_updater(seed=0)
    trainer = training.Trainer(resumed, (6, 'iteration'), out=str(tmp_path / 'c'))
    chainer.serializers.load_npz(str(tmp_path / 'snap.npz'), trainer)
    assert resumed.iteration == 3
    trainer.run()
    assert max_abs_diff(params(straight.gen), params(resumed.gen)) == 0
    assert max_abs_diff(params(straight.dis), params(resumed.dis)) == 0
