"""Class-conditional nets and their training: each method trains, obeys the
label, starts as the unconditional model, and leaves unconditional nets alone."""
import chainer
import numpy
import pytest

from dcgan.data import LabelledArrayDataset, to_labelled_batch
from dcgan.models import Discriminator, Generator
from dcgan.models.conditional import class_weights, morph_weights, shown_classes
from dcgan.training import DCGANUpdater, make_iterator
from tests.helpers import params, run_steps, tiny_images

K = 3
METHODS = {  # --cond -> (Generator cond, Discriminator cond), as the CLI maps them
    'proj': ('bn', 'proj'),
    'concat': ('concat', 'concat'),
    'acgan': ('bn', 'acgan'),
}


def shapes(chain):
    return {name: p.shape for name, p in chain.namedparams()}


def labelled_updater(gen_cond=None, dis_cond=None, n_images=12, batchsize=4, seed=0,
                     balance=False, labels=None, **updater_kwargs):
    gen_kwargs = dict(n_classes=K, cond=gen_cond) if gen_cond else {}
    dis_kwargs = dict(n_classes=K, cond=dis_cond) if dis_cond else {}
    gen = Generator(n_hidden=8, resolution=16, ch=16, init_seed=seed, **gen_kwargs)
    dis = Discriminator(resolution=16, ch=16, init_seed=seed + 1, **dis_kwargs)
    images = tiny_images(n_images, 16, 3, seed)
    if labels is None:
        labels = numpy.arange(n_images) % K
    dataset = LabelledArrayDataset(images, labels)
    iterator = make_iterator(dataset, batchsize, seed=seed,
                             balance_labels=dataset.labels if balance else None)
    optimizers = {}
    for name, model in (('gen', gen), ('dis', dis)):
        opt = chainer.optimizers.Adam(alpha=2e-3, beta1=0.5)
        opt.setup(model)
        optimizers[name] = opt
    return DCGANUpdater(models=(gen, dis), iterator=iterator, optimizer=optimizers,
                        device='@numpy', converter=to_labelled_batch, seed=seed,
                        **updater_kwargs)


steps = run_steps


def as_two_classes(gen, seed=1):
    """The same two z drawn as class 0 and as class 1, in one batch (batch
    statistics: a few steps leave the running ones near their start, where
    test mode draws almost nothing at all)."""
    z = numpy.random.RandomState(seed).uniform(-1, 1, (2, gen.n_hidden, 1, 1))
    z = numpy.concatenate([z, z]).astype(numpy.float32)
    with chainer.no_backprop_mode():
        x = gen(z, numpy.array([0, 0, 1, 1], numpy.int32)).array
    return x[:2], x[2:]


@pytest.mark.parametrize('method', sorted(METHODS))
def test_each_method_trains_without_nan_and_its_samples_depend_on_the_label(method):
    gen_cond, dis_cond = METHODS[method]
    up = labelled_updater(gen_cond, dis_cond)
    before = params(up.gen)
    observed = steps(up, 3)
    for obs in observed:
        assert all(numpy.isfinite(v) for v in obs.values()), obs
    if method in ('acgan', 'proj'):
        assert 'dis/class' in observed[-1] and 'gen/class' in observed[-1]
    after = params(up.gen)
    assert any(numpy.abs(after[k] - before[k]).max() > 0 for k in after)
    # The same z drawn as two classes: different pictures.
    a, b = as_two_classes(up.gen)
    assert float(numpy.abs(a - b).max()) > 1e-3


def test_semi_supervised_trains_on_partly_labelled_data_and_g_takes_no_label():
    labels = numpy.array([0, 1, 2, -1, -1, -1, 0, 1, 2, -1, -1, -1])
    up = labelled_updater(None, 'semi', labels=labels, feature_matching=1.0)
    observed = steps(up, 3)
    assert all(numpy.isfinite(v) for obs in observed for v in obs.values())
    assert {'dis/class', 'gen/fm'} <= set(observed[-1])
    assert up.gen.n_classes == 0
    with pytest.raises(ValueError, match='feature matching'):
        labelled_updater(None, 'semi', labels=labels)


def test_conditioning_off_keeps_the_example_nets_keys_and_shapes():
    # The example's nets (32 px, ch 512, n_hidden 100): the names Chainer's
    # examples/dcgan/net.py gives, with their shapes; no class arrays.
    gen, dis = Generator(), Discriminator()
    assert shapes(gen)['/l0/W'] == (4 * 4 * 512, 100)
    assert shapes(dis)['/c0_0/W'] == (64, 3, 3, 3) and shapes(dis)['/l4/W'] == (1, 4 * 4 * 512)
    assert not any('class' in name or 'l_y' in name for name in shapes(gen).keys() | shapes(dis).keys())
    assert 'n_classes' not in gen.config() and 'n_classes' not in dis.config()
    # A proj model only adds arrays: every unconditional one is there, same shape.
    cgen = Generator(n_classes=K, cond='bn')
    cdis = Discriminator(n_classes=K, cond='proj')
    for plain, cond in ((gen, cgen), (dis, cdis)):
        for name, shape in shapes(plain).items():
            assert shapes(cond)[name] == shape, name


def test_a_proj_model_starts_as_the_unconditional_one():
    x = tiny_images(4, 16, 3, 0).astype(numpy.float32) / 255
    y = numpy.array([0, 1, 2, 1], numpy.int32)
    plain = Discriminator(resolution=16, ch=16, init_seed=3, noise_sigma=0)
    cond = Discriminator(resolution=16, ch=16, init_seed=3, noise_sigma=0, n_classes=K, cond='proj')
    # (Training mode: batch statistics, as D is used at step 0.)
    numpy.testing.assert_array_equal(cond(x, y=y).array, plain(x).array)
    # Once its embedding has moved, the class matters.
    cond.l_y.W.array[:] = numpy.random.RandomState(0).normal(size=cond.l_y.W.shape)
    assert float(numpy.abs(cond(x, y=y).array - plain(x).array).max()) > 1e-2
    # G: zero class tables, so every class draws what the unconditional G draws.
    gen = Generator(n_hidden=8, resolution=16, ch=16, init_seed=5)
    cgen = Generator(n_hidden=8, resolution=16, ch=16, init_seed=5, n_classes=K, cond='bn')
    z = numpy.random.RandomState(1).uniform(-1, 1, (4, 8, 1, 1)).astype(numpy.float32)
    numpy.testing.assert_allclose(cgen(z, y).array, gen(z).array, atol=1e-5)
    cgen.bn1.class_beta.array[1] += 0.5
    assert float(numpy.abs(cgen(z, y).array - gen(z).array).max()) > 1e-3


def test_proj_class_scores_are_the_projection_term_of_every_class():
    x = tiny_images(4, 16, 3, 0).astype(numpy.float32) / 255
    dis = Discriminator(resolution=16, ch=16, init_seed=3, noise_sigma=0, n_classes=K, cond='proj')
    dis.l_y.W.array[:] = numpy.random.RandomState(0).normal(size=dis.l_y.W.shape)
    h = dis.features(x)
    scores = dis.class_logits(h).array
    plain = dis.head(h, y=numpy.zeros(4, numpy.int32)).array[:, 0] - scores[:, 0]
    for k in range(K):
        out = dis.head(h, y=numpy.full(4, k, numpy.int32)).array[:, 0]
        numpy.testing.assert_allclose(out - plain, scores[:, k], rtol=1e-5, atol=1e-5)


def test_proj_class_loss_trains_the_zero_embedding_to_classify_real_images():
    # At zero embedding the class-matching loss on real images pulls each
    # class's row towards its images' pooled features (softmax 1/K):
    # dL/dE_k = mean_i (1/K - [y_i = k]) pooled_i, on top of the GAN loss's.
    def step0(cond_weight):
        up = labelled_updater('bn', 'proj', cond_weight=cond_weight)
        x_real, c_real = up.real_batch()
        x_fake, c_fake = up.generate(len(x_real))
        judged = up._dis_both(x_real, x_fake.array, c_real, c_fake)
        up.dis.cleargrads()
        up._dis_loss(judged, c_real).backward()
        return up.dis.l_y.W.grad.copy(), judged, c_real
    plain, _, _ = step0(0.0)
    with_class, judged, c_real = step0(2.0)
    assert judged.cls_real is not None
    pooled = judged.h_real.array.sum(axis=(2, 3)).astype(numpy.float64)
    onehot = numpy.eye(K)[c_real]
    expected = 2.0 * ((1.0 / K - onehot).T @ pooled) / len(c_real)
    numpy.testing.assert_allclose(with_class - plain, expected, rtol=1e-4, atol=1e-5)
    assert numpy.abs(expected).max() > 1e-3


def test_fake_labels_follow_the_data_and_uniform_sampling_balances_real_batches():
    probs = numpy.array([0.7, 0.2, 0.1])
    up = labelled_updater('bn', 'proj', label_probs=probs)
    drawn = numpy.concatenate([up.fake_labels(1000) for _ in range(10)])
    numpy.testing.assert_allclose(numpy.bincount(drawn, minlength=K) / len(drawn), probs, atol=0.02)
    # 10 images of class 0, 2 of class 1, 1 of class 2; balanced batches even them out.
    labels = numpy.array([0] * 10 + [1] * 2 + [2])
    up = labelled_updater('bn', 'proj', n_images=13, labels=labels, balance=True,
                          label_probs=[1 / 3.0] * 3)
    seen = numpy.concatenate([up.real_batch()[1] for _ in range(300)])
    numpy.testing.assert_allclose(numpy.bincount(seen, minlength=K) / len(seen), [1 / 3.0] * 3,
                                  atol=0.04)


def test_the_warmup_ramps_the_conditioning_in():
    up = labelled_updater('bn', 'proj', cond_warmup=(2, 6))
    strengths = []
    for _ in range(8):
        steps(up, 1)
        strengths.append(up.gen.cond_strength)
    # Strength during iterations 0..7 (set before each step).
    numpy.testing.assert_allclose(strengths, [0, 0, 0, 0.25, 0.5, 0.75, 1, 1])
    assert up.dis.cond_strength == 1


def test_mismatched_classes_and_bad_probabilities_are_refused():
    with pytest.raises(ValueError, match='3 probabilities'):
        labelled_updater('bn', 'proj', label_probs=[0.5, 0.5])
    gen = Generator(n_hidden=8, resolution=16, ch=16, n_classes=3)
    with pytest.raises(ValueError, match='pass their ids as y'):
        gen(numpy.zeros((1, 8, 1, 1), numpy.float32))
    with pytest.raises(ValueError, match='class ids must be in 0..2'):
        class_weights(numpy.array([3]), 3, numpy)


def test_morph_weights_start_and_pass_through_the_pure_classes():
    w = morph_weights([0, 2], 3, 4, closed=True)
    assert w.shape == (8, 3)
    numpy.testing.assert_array_equal(w[0], [1, 0, 0])
    numpy.testing.assert_array_equal(w[4], [0, 0, 1])
    numpy.testing.assert_allclose(w.sum(axis=1), 1)
    w = morph_weights([0, 1, 2], 3, 2, closed=False)
    assert len(w) == 5
    numpy.testing.assert_array_equal(w[-1], [0, 0, 1])
    assert shown_classes(3, 10) == [0, 1, 2] and shown_classes(10, 4) == [0, 2, 5, 7]


@pytest.mark.parametrize('method', sorted(METHODS))
def test_every_stabiliser_and_step_schedule_works_with_labels(method):
    gen_cond, dis_cond = METHODS[method]
    for extra in (dict(n_dis=2, augment='color,translation,cutout', r1_gamma=1.0,
                       feature_matching=1.0, instance_noise=0.1, instance_noise_iterations=4),
                  dict(dis_every=2, joint_batch=True, label_smoothing=0.1)):
        up = labelled_updater(gen_cond, dis_cond, **extra)
        observed = steps(up, 3)
        assert all(numpy.isfinite(v) for obs in observed for v in obs.values()), (extra, observed)


def test_the_ema_generator_averages_the_class_tables_too():
    from dcgan.extensions.ema import GeneratorEMA
    up = labelled_updater('bn', 'proj')
    ema = GeneratorEMA(up.gen, decay=0.5, warmup=1)
    for _ in range(3):
        steps(up, 1)
        ema.update()
    raw, avg = up.gen.bn1.class_gamma.array, ema.ema.bn1.class_gamma.array
    assert float(numpy.abs(avg).max()) > 0 and float(numpy.abs(avg - raw).max()) > 0
    assert ema.ema.class_names == up.gen.class_names
