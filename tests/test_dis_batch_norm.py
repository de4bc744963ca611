"""How D's batch norm sees a step: real and generated images as one batch
(joint_batch), a minibatch-std statistic per half, or no batch norm."""
import chainer
import numpy
import pytest

from dcgan.models import dis_options
from dcgan.models.nets import Discriminator
from tests.helpers import max_abs_diff, params, tiny_updater
from tests.test_stabilisers import _finite, _parse, _steps


def _record_dis_batches(up):
    """Make ``up.dis`` record the batch size of every call."""
    sizes = []
    forward = up.dis.forward

    def recording(x, *args, **kwargs):
        sizes.append(len(x))
        return forward(x, *args, **kwargs)
    up.dis.forward = recording
    return sizes


@pytest.mark.parametrize('order', ['detached', 'example'])
def test_joint_batch_gives_d_one_batch_per_step_and_trains_both_nets(order):
    separate = tiny_updater(update_order=order)
    joint = tiny_updater(update_order=order, joint_batch=True)
    sizes = {name: _record_dis_batches(up) for name, up in
             (('separate', separate), ('joint', joint))}
    before = params(joint.gen), params(joint.dis)
    _finite(separate, _steps(separate, 2))
    _finite(joint, _steps(joint, 2))
    assert sizes['separate'] == [4, 4, 4, 4]
    assert sizes['joint'] == [8, 8]
    # Both nets moved, and not as they do with separate batches.
    assert max_abs_diff(before[0], params(joint.gen)) > 0
    assert max_abs_diff(before[1], params(joint.dis)) > 0
    assert max_abs_diff(params(separate.gen), params(joint.gen)) > 0


def test_joint_batch_normalises_both_halves_with_the_same_statistics():
    up = tiny_updater(joint_batch=True, dis_kwargs=dict(noise_sigma=0))
    rng = numpy.random.RandomState(0)
    x_real = rng.rand(4, 3, 16, 16).astype(numpy.float32)
    x_fake = (0.5 * rng.rand(4, 3, 16, 16)).astype(numpy.float32)  # all darker
    judged = up._dis_both(x_real, x_fake)
    y_real, y_fake = judged.real, judged.fake
    both = up.dis(numpy.concatenate([x_real, x_fake])).array
    numpy.testing.assert_allclose(y_real.array, both[:4], rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(y_fake.array, both[4:], rtol=1e-5, atol=1e-6)
    # Alone, the darker batch is normalised by its own statistics: D's
    # output on it is not what it is beside the real images.
    alone = up.dis(x_fake).array
    assert float(numpy.abs(alone - y_fake.array).max()) > 1e-3


def test_joint_batch_takes_the_minibatch_std_of_each_half():
    up = tiny_updater(joint_batch=True, dis_kwargs=dict(noise_sigma=0, minibatch_std=True))
    rng = numpy.random.RandomState(0)
    x_real = rng.rand(4, 3, 16, 16).astype(numpy.float32)
    x_fake = numpy.repeat(x_real[:1], 4, axis=0)  # a collapsed generator
    y_fake = up._dis_both(x_real, x_fake).fake
    both = numpy.concatenate([x_real, x_fake])
    halves = up.dis(both, groups=2).array
    numpy.testing.assert_allclose(y_fake.array, halves[4:], rtol=1e-5, atol=1e-6)
    # One statistic over the mixed batch would hide the collapse.
    mixed = up.dis(both).array
    assert float(numpy.abs(mixed[4:] - y_fake.array).max()) > 1e-4


def test_joint_batch_with_every_other_stabiliser_and_extra_steps_runs_without_nan():
    up = tiny_updater(joint_batch=True, augment='color,translation,cutout', r1_gamma=1.0,
                      label_smoothing=0.1, feature_matching=1.0, n_dis=2,
                      dis_kwargs=dict(minibatch_std=True))
    obs = _steps(up, 2)
    _finite(up, obs)
    assert all(o['dis/r1'] > 0 and 'gen/fm' in o for o in obs)
    gen_only = tiny_updater(joint_batch=True, dis_every=2)
    _finite(gen_only, _steps(gen_only, 3))


def test_minibatch_std_in_groups_is_each_group_on_its_own():
    rng = numpy.random.RandomState(0)
    a = rng.randn(4, 2, 3, 3).astype(numpy.float32)
    b = 3 * rng.randn(4, 2, 3, 3).astype(numpy.float32)
    joint = dis_options.append_minibatch_std(numpy.concatenate([a, b]), groups=2).array
    numpy.testing.assert_allclose(joint[:4], dis_options.append_minibatch_std(a).array, rtol=1e-6)
    numpy.testing.assert_allclose(joint[4:], dis_options.append_minibatch_std(b).array, rtol=1e-6)
    numpy.testing.assert_allclose(joint[4:, 2], b.std(axis=0).mean(), rtol=1e-4)
    with pytest.raises(ValueError, match='groups'):
        dis_options.append_minibatch_std(numpy.concatenate([a, b[:1]]), groups=2)


def test_discriminator_without_batch_norm_has_none_and_says_so(tmp_path):
    plain = Discriminator(resolution=16, ch=16)
    bare = Discriminator(resolution=16, ch=16, batch_norm=False)
    assert any(isinstance(link, chainer.links.BatchNormalization) for link in plain.links())
    assert not any(isinstance(link, chainer.links.BatchNormalization) for link in bare.links())
    assert bare.config()['batch_norm'] is False and 'batch_norm' not in plain.config()
    # Rebuilt from its config and weights, it computes the same logits.
    path = str(tmp_path / 'dis.npz')
    chainer.serializers.save_npz(path, bare)
    again = Discriminator(**bare.config())
    chainer.serializers.load_npz(path, again)
    x = numpy.random.RandomState(0).rand(2, 3, 16, 16).astype(numpy.float32)
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(bare(x).array, again(x).array)
    up = tiny_updater(dis_kwargs=dict(batch_norm=False, spectral_norm=True))
    _finite(up, _steps(up, 3))


def test_cli_flags_reach_the_updater_and_the_discriminator():
    options, args = _parse(['--joint-batch', '--no-dis-batch-norm'])
    dis_kw, up_kw = options.dis_kwargs(args), options.updater_kwargs(args, 100)
    assert up_kw == {'joint_batch': True} and dis_kw == {'batch_norm': False}
    options, args = _parse([])
    assert args.joint_batch is False and args.dis_batch_norm is True


def test_a_discriminator_without_batch_norm_starts_on_its_inputs_scale():
    # The example's Normal(0.02) suits a D whose batch norms rescale every
    # layer; without them the signal shrinks at each layer and the logits
    # start (and, in training, stay) near 0.
    x = numpy.random.RandomState(1).uniform(-1, 1, (8, 3, 32, 32)).astype(numpy.float32)
    bare = Discriminator(resolution=32, ch=64, batch_norm=False, noise_sigma=0, init_seed=0)
    plain = Discriminator(resolution=32, ch=64, noise_sigma=0, init_seed=0)
    for link in (bare.c1_0, bare.c2_1):  # He: std sqrt(2 / fan_in)
        fan_in = link.W.array[0].size
        assert abs(float(link.W.array.std()) / numpy.sqrt(2.0 / fan_in) - 1) < 0.05
    assert abs(float(plain.c1_0.W.array.std()) / 0.02 - 1) < 0.05  # the example's, kept
    with chainer.using_config('train', False):
        h = bare.features(x).array
    assert float(h.std()) > 0.1 * float(x.std())
    # Seeded: the same init_seed draws the same weights.
    again = Discriminator(resolution=32, ch=64, batch_norm=False, noise_sigma=0, init_seed=0)
    numpy.testing.assert_array_equal(again.c1_0.W.array, bare.c1_0.W.array)
