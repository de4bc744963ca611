"""Spectral norm, R1, minibatch std, label smoothing, instance noise,
feature matching: they run, keep defaults unchanged, and save/load."""
import argparse

import chainer
import numpy
import pytest

from dcgan.models import dis_options
from dcgan.training import losses, stabilisers
from dcgan.models.nets import Discriminator
from tests.helpers import max_abs_diff, params, run_steps, tiny_updater


_steps = run_steps


def _finite(up, observations):
    for obs in observations:
        assert all(numpy.isfinite(v) for v in obs.values()), obs
    for chain in (up.gen, up.dis):
        for _, p in chain.namedparams():
            assert numpy.isfinite(p.array).all()


def test_options_off_are_bit_identical_to_the_example():
    plain = tiny_updater()
    off = tiny_updater(augment='', r1_gamma=0.0, label_smoothing=0.0, instance_noise=0.0,
                       feature_matching=0.0,
                       dis_kwargs=dict(spectral_norm=False, minibatch_std=False))
    _steps(plain, 2)
    _steps(off, 2)
    assert max_abs_diff(params(plain.gen), params(off.gen)) == 0
    assert max_abs_diff(params(plain.dis), params(off.dis)) == 0
    assert Discriminator(resolution=16, ch=16).config() == off.dis.config()


@pytest.mark.parametrize('order', ['detached', 'example'])
def test_spectral_norm_and_r1_run_without_nan(order):
    up = tiny_updater(r1_gamma=1.0, update_order=order, dis_kwargs=dict(spectral_norm=True))
    obs = _steps(up, 3)
    _finite(up, obs)
    assert all(o['dis/r1'] > 0 for o in obs)


def test_everything_on_runs_without_nan():
    up = tiny_updater(augment='color,translation,cutout', r1_gamma=1.0, label_smoothing=0.1,
                      instance_noise=0.1, instance_noise_iterations=10, feature_matching=1.0,
                      n_dis=2, dis_every=1,
                      dis_kwargs=dict(spectral_norm=True, minibatch_std=True))
    obs = _steps(up, 3)
    _finite(up, obs)
    assert all('gen/fm' in o for o in obs)


def test_lazy_r1_takes_the_penalty_every_kth_d_step_k_times_as_strong():
    # dis_every 2: D steps on iterations 0, 2, 4, ...; R1 on D steps 0 and 2.
    lazy = tiny_updater(r1_gamma=0.5, r1_interval=2, dis_every=2)
    taken = ['dis/r1' in o for o in _steps(lazy, 8) if 'dis/loss' in o]
    assert taken == [True, False, True, False]
    # A due step is an every-step R1 of gamma * k; a step between is no R1.
    due, every = tiny_updater(r1_gamma=0.5, r1_interval=2), tiny_updater(r1_gamma=1.0)
    _steps(due, 1)
    _steps(every, 1)
    assert max_abs_diff(params(due.dis), params(every.dis)) == 0
    between, plain = tiny_updater(r1_gamma=0.5, r1_interval=2), tiny_updater()
    for up in (between, plain):
        up.get_optimizer('dis').t = 1  # the step after a due one
        _steps(up, 1)
    assert max_abs_diff(params(between.dis), params(plain.dis)) == 0


def test_r1_is_taken_only_for_d_steps_not_for_gs_joint_batch(monkeypatch):
    # With --joint-batch G's step runs D on a real half too; R1 there would
    # be a double backprop whose result G's loss never uses.
    taken = []
    penalty = stabilisers.r1_penalty
    monkeypatch.setattr(stabilisers, 'r1_penalty', lambda y, x: taken.append(1) or penalty(y, x))
    up = tiny_updater(r1_gamma=1.0, joint_batch=True, dis_every=2)
    d_steps = sum('dis/r1' in o for o in _steps(up, 4))
    assert d_steps == 2 and len(taken) == d_steps


def test_r1_penalty_matches_a_hand_gradient():
    # D(x) = sum(w * x): the gradient is w everywhere, so R1 = sum(w^2).
    x = chainer.Variable(numpy.random.RandomState(0).rand(2, 3).astype(numpy.float32))
    w = numpy.array([1.0, -2.0, 0.5], numpy.float32)
    y = chainer.functions.sum(x * w, axis=1)
    assert float(stabilisers.r1_penalty(y, x).array) == pytest.approx(float((w ** 2).sum()))


def test_spectral_norm_hook_runs_and_snapshot_round_trips(tmp_path):
    up = tiny_updater(dis_kwargs=dict(spectral_norm=True))
    u_before = up.dis.c0_0.W_u.copy()
    _steps(up, 1)
    assert not numpy.array_equal(u_before, up.dis.c0_0.W_u)  # the hook ran (fast path or not)
    path = str(tmp_path / 'dis.npz')
    chainer.serializers.save_npz(path, up.dis)
    plain = Discriminator(resolution=16, ch=16)
    with numpy.load(path) as saved:
        keys = set(saved.files)
    plain_keys = {name.lstrip('/') for name, _ in plain.namedparams()} | {
        'c0_0/W_u', 'bn0_1/avg_mean'}
    assert {k for k in keys if not k.endswith('W_u')} >= {k for k in plain_keys
                                                           if not k.endswith('W_u')}
    assert any(k.endswith('/W_u') for k in keys)
    again = Discriminator(resolution=16, ch=16, spectral_norm=True)
    chainer.serializers.load_npz(path, again)
    x = numpy.random.RandomState(0).rand(2, 3, 16, 16).astype(numpy.float32)
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(up.dis(x).array, again(x).array)
    # A plain dis_iter_N.npz (no W_u) still loads into a spectral-norm D.
    plain_path = str(tmp_path / 'plain.npz')
    chainer.serializers.save_npz(plain_path, plain)
    chainer.serializers.load_npz(plain_path, again, strict=False)
    numpy.testing.assert_array_equal(again.c0_0.W.array, plain.c0_0.W.array)


def test_minibatch_std_widens_only_the_last_layer():
    plain = Discriminator(resolution=16, ch=16)
    mb = Discriminator(resolution=16, ch=16, minibatch_std=True)
    last = 'l%d' % (plain.n_stages + 1)
    assert getattr(mb, last).W.shape[1] == (getattr(plain, last).W.shape[1]
                                            + plain.bottom_width ** 2)
    assert mb.config()['minibatch_std'] is True and 'minibatch_std' not in plain.config()
    x = numpy.random.RandomState(0).rand(4, 3, 16, 16).astype(numpy.float32)
    assert mb(x).shape == (4, 1)
    h = chainer.Variable(numpy.random.RandomState(1).rand(4, 2, 3, 3).astype(numpy.float32))
    out = dis_options.append_minibatch_std(h).array
    numpy.testing.assert_allclose(out[:, 2], numpy.std(h.array, axis=0).mean(), rtol=1e-4)


def test_label_smoothing_loss_and_hinge_refusal():
    y_real = chainer.Variable(numpy.array([[0.3], [-1.0]], numpy.float32))
    y_fake = chainer.Variable(numpy.array([[0.2], [0.1]], numpy.float32))
    dis, _ = losses.get_losses('nonsaturating', label_smoothing=0.1)
    def softplus(v):
        return numpy.logaddexp(0, v)
    yr, yf = y_real.array, y_fake.array
    expected = (0.9 * softplus(-yr) + 0.1 * softplus(yr)).mean() + softplus(yf).mean()
    assert float(dis(y_real, y_fake).array) == pytest.approx(float(expected), rel=1e-5)
    assert losses.get_losses('nonsaturating', 0.0)[0] is losses.dis_nonsaturating
    with pytest.raises(ValueError, match='label smoothing'):
        losses.get_losses('hinge', 0.1)


def test_instance_noise_schedule():
    assert stabilisers.instance_noise_sigma(0.2, 0, 100) == pytest.approx(0.2)
    assert stabilisers.instance_noise_sigma(0.2, 50, 100) == pytest.approx(0.1)
    assert stabilisers.instance_noise_sigma(0.2, 150, 100) == 0.0
    assert stabilisers.instance_noise_sigma(0.2, 150, 0) == pytest.approx(0.2)


def _parse(flags):
    from dcgan.cli import stabiliser_options as options
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    args = parser.parse_args(flags)
    args.loss, args.iteration = 'nonsaturating', 100
    options.check_arguments(args, parser)
    return options, args


def test_cli_defaults_off_preset_on_explicit_flags_win():
    options, args = _parse([])
    dis_kw, up_kw = options.dis_kwargs(args), options.updater_kwargs(args, 100)
    assert dis_kw == up_kw == {} and args.ema == 0 and args.nan_guard
    _, args = _parse(['--small-data'])
    for name, value in options.SMALL_DATA_PRESET.items():
        assert getattr(args, name) == value
    _, args = _parse(['--small-data', '--augment', 'none', '--ema', '0'])
    assert args.augment == '' and args.ema == 0
    # The example's D noise (a train_args flag) unless the preset sets it.
    _, args = _parse([])
    assert args.dis_noise == options.EXAMPLE_SETTINGS['dis_noise'] == 0.2
    _, args = _parse(['--small-data'])
    assert args.dis_noise == options.SMALL_DATA_PRESET.get('dis_noise', 0.2)
    _, args = _parse(['--r1-gamma', '0.1', '--r1-interval', '16'])
    assert options.updater_kwargs(args, 100) == {'r1_gamma': 0.1, 'r1_interval': 16}


@pytest.mark.parametrize('flags', [['--augment', 'rotate'], ['--ema', '1.5'],
                                   ['--ema-warmup', '0.5'],
                                   ['--label-smoothing', '1'], ['--r1-gamma', '-1'],
                                   ['--r1-interval', '0', '--r1-gamma', '1'],
                                   ['--r1-interval', '16'],
                                   ['--lr-decay', '1.5'], ['--lr-decay', '-0.5']])
def test_cli_bad_values_name_the_flag(flags, capsys):
    with pytest.raises(SystemExit):
        _parse(flags)
    assert flags[0] in capsys.readouterr().err


def test_r1_gradients_agree_between_fast_cpu_ops_and_chainer():
    # R1 needs double backprop through D's layers: dcgan.models.layers' fast numpy
    # ops must give the same second-order gradients as Chainer's functions.
    from dcgan.models import layers
    numpy.random.seed(0)
    dis = Discriminator(resolution=16, ch=16, noise_sigma=0)
    x = numpy.random.RandomState(1).rand(4, 3, 16, 16).astype(numpy.float32)
    grads = []
    for fast in (True, False):
        with layers.use_fast_cpu(fast):
            xv = chainer.Variable(x.copy())
            dis.cleargrads()
            stabilisers.r1_penalty(dis(xv), xv).backward()
            grads.append({n: (numpy.zeros_like(p.array) if p.grad is None else p.grad.copy())
                          for n, p in dis.namedparams()})
    # Biases followed by batch norm have a true gradient of 0 (float noise
    # here), so the tolerance is relative to the largest gradient.
    scale = max(float(numpy.abs(g).max()) for g in grads[1].values())
    assert scale > 0
    for name in grads[0]:
        numpy.testing.assert_allclose(grads[0][name], grads[1][name], rtol=1e-3,
                                      atol=1e-4 * scale, err_msg=name)
