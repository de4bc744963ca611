"""GeneratorEMA: the running average by hand, its own BN statistics, resume, CLI wiring."""
import argparse
import os
import types

import chainer
import numpy
import pytest
from chainer import training

from dcgan.extensions.ema import GeneratorEMA, ema_decay
from tests.helpers import tiny_updater


def _perturb(gen, rs):
    for _, p in gen.namedparams():
        p.array[...] += rs.standard_normal(p.shape).astype(numpy.float32)
    for _, link in gen.namedlinks():
        if hasattr(link, 'avg_mean'):
            link.avg_mean[...] += rs.standard_normal(link.avg_mean.shape).astype(numpy.float32)
            link.N += 1


def test_ema_equals_running_average_by_hand():
    gen = tiny_updater().gen
    ext = GeneratorEMA(gen, decay=0.8)
    expected = {n: p.array.astype(numpy.float64) for n, p in gen.namedparams()}
    rs = numpy.random.RandomState(0)
    for n in range(5):
        _perturb(gen, rs)
        ext.update()
        beta = min(0.8, (1.0 + n) / (10.0 + n))
        assert beta == ema_decay(0.8, n)
        for name, p in gen.namedparams():
            expected[name] = beta * expected[name] + (1 - beta) * p.array
    for name, p in ext.ema.namedparams():
        numpy.testing.assert_allclose(p.array, expected[name], rtol=1e-5, atol=1e-6)
    assert ext.ema.bn1.N == gen.bn1.N  # integer state is copied
    # The raw generator was not touched by the averaging.
    assert not numpy.allclose(ext.ema.l0.W.array, gen.l0.W.array)


def test_warmup_2_is_the_plain_mean_and_warmup_1_a_constant_decay():
    # (1 + n) / (2 + n) weights the initial state and every update alike.
    gen = tiny_updater().gen
    mean_ext = GeneratorEMA(gen, decay=0.999, warmup=2)
    constant = GeneratorEMA(gen, decay=0.7, warmup=1)
    states = [gen.l0.W.array.astype(numpy.float64)]
    expected_constant = states[0].copy()
    rs = numpy.random.RandomState(4)
    for _ in range(6):
        _perturb(gen, rs)
        mean_ext.update()
        constant.update()
        states.append(gen.l0.W.array.astype(numpy.float64))
        expected_constant = 0.7 * expected_constant + 0.3 * states[-1]
    numpy.testing.assert_allclose(mean_ext.ema.l0.W.array, numpy.mean(states, axis=0),
                                  rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(constant.ema.l0.W.array, expected_constant,
                                  rtol=1e-5, atol=1e-6)
    # The default warm-up (10) reaches further back as training goes on.
    assert ema_decay(0.999, 90) == 91.0 / 100.0 and ema_decay(0.999, 90, warmup=4) == 91.0 / 94.0


def test_bad_warmup_is_refused():
    with pytest.raises(ValueError, match='warm-up'):
        GeneratorEMA(tiny_updater().gen, warmup=0.5)


def test_batch_norm_statistics_are_the_averaged_generators_own():
    gen = tiny_updater().gen
    ext = GeneratorEMA(gen, decay=0.8, stat_batches=3, stat_batchsize=16)
    rs = numpy.random.RandomState(2)
    for _ in range(4):
        _perturb(gen, rs)
        ext.update()
    assert ext.stale
    # A test-mode call (a preview, a GIF, SWD) refreshes them first.
    z = numpy.random.RandomState(3).uniform(-1, 1, (5, gen.n_hidden, 1, 1)).astype(numpy.float32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        ext.ema(z)
    assert not ext.stale
    # bn0 normalises l0(z): its running mean is the mean of l0(z) over the
    # fixed latent vectors, not the raw generator's statistic.
    rng = numpy.random.default_rng(ext.stat_seed)
    zs = numpy.concatenate([rng.uniform(-1, 1, (16, gen.n_hidden, 1, 1)) for _ in range(3)])
    with chainer.no_backprop_mode():
        h = ext.ema.l0(zs.astype(numpy.float32)).array
    numpy.testing.assert_allclose(ext.ema.bn0.avg_mean, h.mean(axis=0), rtol=1e-4, atol=1e-5)
    assert not numpy.allclose(ext.ema.bn0.avg_mean, gen.bn0.avg_mean)
    # Training-mode calls (the refresh itself) do not refresh again; a
    # second refresh gives the same numbers.
    before = ext.ema.bn1.avg_var.copy()
    ext.refresh_statistics()
    numpy.testing.assert_array_equal(ext.ema.bn1.avg_var, before)
    # Its test-mode output is then close to normalising with batch
    # statistics, as the generator was trained.
    with chainer.no_backprop_mode():
        zs = zs.astype(numpy.float32)
        with chainer.using_config('train', True):
            train_mode = ext.ema(zs).array
        with chainer.using_config('train', False):
            test_mode = ext.ema(zs).array
    assert numpy.abs(train_mode - test_mode).mean() < 0.05


def test_ema_state_round_trips_through_a_serializer():
    gen = tiny_updater().gen
    ext = GeneratorEMA(gen, decay=0.9)
    rs = numpy.random.RandomState(1)
    for _ in range(3):
        _perturb(gen, rs)
        ext.update()
    saved = chainer.serializers.DictionarySerializer()
    ext.serialize(saved)
    other = GeneratorEMA(gen, decay=0.9)
    other.serialize(chainer.serializers.NpzDeserializer(saved.target))
    assert other.n_updates == 3
    for (name, a), (_, b) in zip(sorted(ext.ema.namedparams()), sorted(other.ema.namedparams())):
        numpy.testing.assert_array_equal(a.array, b.array)


def _cli_args(flags):
    from dcgan.cli import stabiliser_options as options
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    args = parser.parse_args(flags)
    args.iteration, args.seed, args.loss = 4, 0, 'nonsaturating'
    options.check_arguments(args, parser)
    return options, args


def _trainer(tmp_path, flags, stop=4):
    # The stabiliser part of dcgan-train's wiring, on a tiny updater.
    from dcgan.cli.train_extensions import add_ema, add_guards, add_quality_checks
    options, args = _cli_args(flags)
    up = tiny_updater()
    trainer = training.Trainer(up, (stop, 'iteration'), out=str(tmp_path))
    images = up.get_iterator('main').dataset.images
    every2 = (2, 'iteration')
    add_guards(trainer, args, up.gen, up.dis, up, stop)
    sample_gen = add_ema(trainer, args, up.gen, every2)
    add_quality_checks(trainer, args, sample_gen, images, every2, every2)
    return trainer, types.SimpleNamespace(gen=up.gen, dis=up.dis, sample_gen=sample_gen)


def test_cli_ema_is_the_sample_generator_is_saved_and_resumes_exactly(tmp_path):
    from chainer.training import extensions
    trainer, ctx = _trainer(tmp_path / 'a', ['--ema', '0.9', '--swd-interval', '0',
                                             '--nearest-interval', '0'])
    assert ctx.sample_gen is trainer.get_extension('gen_ema').ema
    trainer.extend(extensions.snapshot(filename='snap_{.updater.iteration}.npz'),
                   trigger=(2, 'iteration'))
    trainer.run()
    ema_file = tmp_path / 'a' / 'gen_ema_iter_4.npz'
    assert ema_file.exists() and (tmp_path / 'a' / 'gen_ema_iter_2.npz').exists()
    with numpy.load(str(ema_file)) as saved:
        numpy.testing.assert_array_equal(saved['l0/W'], ctx.sample_gen.l0.W.array)
        # Saved with its own batch-norm statistics, refreshed before writing.
        assert not trainer.get_extension('gen_ema').stale
        numpy.testing.assert_array_equal(saved['bn0/avg_mean'], ctx.sample_gen.bn0.avg_mean)
        assert not numpy.allclose(saved['bn0/avg_mean'], ctx.gen.bn0.avg_mean)
    full = {n: p.array.copy() for n, p in ctx.sample_gen.namedparams()}

    # Resume from iteration 2 and finish: the same EMA weights.
    resumed, ctx2 = _trainer(tmp_path / 'b', ['--ema', '0.9', '--swd-interval', '0',
                                              '--nearest-interval', '0'])
    chainer.serializers.load_npz(str(tmp_path / 'a' / 'snap_2.npz'), resumed)
    assert resumed.get_extension('gen_ema').n_updates == 2
    resumed.run()
    for name, p in ctx2.sample_gen.namedparams():
        numpy.testing.assert_array_equal(p.array, full[name])
    assert os.path.exists(str(tmp_path / 'b' / 'gen_ema_iter_4.npz'))


def test_cli_ema_warmup_reaches_the_extension(tmp_path):
    trainer, _ = _trainer(tmp_path, ['--ema', '0.9', '--ema-warmup', '3'])
    assert trainer.get_extension('gen_ema').warmup == 3.0
    trainer, _ = _trainer(tmp_path, ['--ema', '0.9'])
    assert trainer.get_extension('gen_ema').warmup == 10.0


def test_ema_leaves_the_training_itself_unchanged(tmp_path):
    # benchmarks/ema_warmup.py scores several EMAs of one run as if each were
    # its own run, so the EMA (its statistics refreshed by the snapshot at
    # iteration 2) must draw nothing from the training stream.
    off = ['--swd-interval', '0', '--nearest-interval', '0']
    plain, plain_ctx = _trainer(tmp_path / 'plain', off)
    with_ema, ema_ctx = _trainer(tmp_path / 'ema', off + ['--ema', '0.9'])
    plain.run()
    with_ema.run()
    assert (tmp_path / 'ema' / 'gen_ema_iter_2.npz').exists()
    for name in ('gen', 'dis'):
        a = dict(getattr(plain_ctx, name).namedparams())
        for key, p in getattr(ema_ctx, name).namedparams():
            numpy.testing.assert_array_equal(p.array, a[key].array)
    numpy.testing.assert_array_equal(ema_ctx.gen.bn0.avg_mean, plain_ctx.gen.bn0.avg_mean)
    assert not numpy.array_equal(ema_ctx.sample_gen.l0.W.array, ema_ctx.gen.l0.W.array)
