"""dcgan.ops against Chainer's own functions, and the nets on both paths."""
import dcgan  # noqa: F401  (compat patches before chainer)

import chainer
import chainer.functions as F
from chainer import gradient_check
import numpy
import pytest

from dcgan.models import layers
from dcgan.models import nets
from dcgan import ops
from dcgan.ops import threads

# (batch, in_c, out_c, h, w, k, stride, pad): odd and even sizes, kernels
# 3/4, strides 1/2, pads 0/1, and one or more channels.
CASES = [
    (1, 1, 1, 5, 5, 3, 1, 0),
    (2, 3, 2, 6, 5, 3, 1, 1),
    (3, 2, 5, 7, 8, 3, 2, 1),
    (1, 4, 3, 8, 8, 4, 2, 1),
    (2, 5, 4, 9, 7, 4, 2, 0),
    (3, 1, 3, 6, 6, 4, 1, 1),
    (2, 3, 1, 5, 9, 4, 2, 1),
    (1, 2, 2, 4, 4, 3, 2, 0),
    (2, 5, 5, 10, 10, 3, 1, 0),
]


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _float32_sum_bound(fn, x, W, bias, stride, pad, n_terms, **kwargs):
    """Bound on |got - expected| for two float32 evaluations of the
    bilinear ``fn`` (a convolution) whose outputs are sums of at most
    ``n_terms`` terms (products and the bias).

    In any order of summation (whatever a BLAS kernel or im2col/col2im
    does, with or without FMA), a float32 sum of n products is within
    gamma_n * sum|terms| of the exact value, gamma_n = n u / (1 - n u),
    u = 2^-24 (Higham, Accuracy and Stability of Numerical Algorithms,
    3.1); so two of them are within twice that of each other. sum|terms| is
    ``fn`` of the absolute values, in float64."""
    u = 2.0 ** -24
    gamma = n_terms * u / (1 - n_terms * u)
    absolute = [numpy.abs(a).astype(numpy.float64) for a in (x, W)]
    absolute.append(None if bias is None else numpy.abs(bias).astype(numpy.float64))
    return 2 * gamma * fn(*absolute, stride, pad, **kwargs).array


def _assert_within(got, expected, bound):
    error = numpy.abs(got.astype(numpy.float64) - expected)
    worst = numpy.unravel_index(numpy.argmax(error - bound), error.shape)
    assert (error <= bound).all(), 'error {:.3g} > bound {:.3g} at {}'.format(
        error[worst], bound[worst], worst)


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('with_bias', [True, False])
def test_convolution_forward_matches_chainer(case, with_bias):
    b, c, o, h, w, k, s, p = case
    rng = numpy.random.default_rng(0)
    x = _rand(rng, (b, c, h, w), numpy.float32)
    W = _rand(rng, (o, c, k, k), numpy.float32)
    bias = _rand(rng, (o,), numpy.float32) if with_bias else None
    expected = F.convolution_2d(x, W, bias, s, p).array
    got = ops.convolution_2d(x, W, bias, s, p).array
    assert got.shape == expected.shape
    # Each output sums c*k*k products and the bias, in an order that
    # depends on the BLAS kernel: compare within float32's bound for that.
    bound = _float32_sum_bound(F.convolution_2d, x, W, bias, s, p, c * k * k + 1)
    _assert_within(got, expected, bound)


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('with_bias', [True, False])
def test_deconvolution_forward_matches_chainer(case, with_bias):
    b, c, o, h, w, k, s, p = case
    rng = numpy.random.default_rng(1)
    x = _rand(rng, (b, c, h, w), numpy.float32)
    W = _rand(rng, (c, o, k, k), numpy.float32)
    bias = _rand(rng, (o,), numpy.float32) if with_bias else None
    expected = F.deconvolution_2d(x, W, bias, s, p).array
    got = ops.deconvolution_2d(x, W, bias, s, p).array
    assert got.shape == expected.shape
    # Each output sums at most c*k*k products (c * (k/s)^2 windows) and
    # the bias, in a kernel-dependent order.
    bound = _float32_sum_bound(F.deconvolution_2d, x, W, bias, s, p, c * k * k + 1)
    _assert_within(got, expected, bound)


def test_deconvolution_outsize_covers_odd_inputs():
    # conv of 7 px with k4 s2 p1 gives 3 px; going back needs outsize 7.
    rng = numpy.random.default_rng(2)
    x = _rand(rng, (2, 3, 3, 3), numpy.float32)
    W = _rand(rng, (3, 2, 4, 4), numpy.float32)
    expected = F.deconvolution_2d(x, W, None, 2, 1, outsize=(7, 7)).array
    got = ops.deconvolution_2d(x, W, None, 2, 1, outsize=(7, 7)).array
    bound = _float32_sum_bound(F.deconvolution_2d, x, W, None, 2, 1, 3 * 4 * 4,
                               outsize=(7, 7))
    _assert_within(got, expected, bound)
    with pytest.raises(ValueError):
        ops.deconvolution_2d(x, W, None, 2, 1, outsize=(9, 9))


def _conv_args(case, rng, transposed):
    b, c, o, h, w, k, s, p = case
    x = _rand(rng, (b, c, h, w), numpy.float64)
    W = _rand(rng, (c, o, k, k) if transposed else (o, c, k, k),
              numpy.float64)
    bias = _rand(rng, (o,), numpy.float64)
    return x, W, bias, s, p


@pytest.mark.parametrize('case', CASES[:6])
def test_convolution_backward(case):
    rng = numpy.random.default_rng(3)
    x, W, bias, s, p = _conv_args(case, rng, False)
    y = F.convolution_2d(x, W, bias, s, p).array
    gy = rng.standard_normal(y.shape)
    gradient_check.check_backward(
        lambda *a: ops.convolution_2d(*a, stride=s, pad=p), (x, W, bias), gy,
        dtype=numpy.float64, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize('case', CASES[:6])
def test_deconvolution_backward(case):
    rng = numpy.random.default_rng(4)
    x, W, bias, s, p = _conv_args(case, rng, True)
    y = F.deconvolution_2d(x, W, bias, s, p).array
    gy = rng.standard_normal(y.shape)
    gradient_check.check_backward(
        lambda *a: ops.deconvolution_2d(*a, stride=s, pad=p), (x, W, bias),
        gy, dtype=numpy.float64, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize('case', [CASES[2], CASES[4]])
def test_convolution_and_deconvolution_double_backward(case):
    rng = numpy.random.default_rng(5)
    for transposed, fn in ((False, ops.convolution_2d),
                           (True, ops.deconvolution_2d)):
        x, W, bias, s, p = _conv_args(case, rng, transposed)
        y = fn(x, W, bias, s, p).array
        gy = rng.standard_normal(y.shape)
        ggx = rng.standard_normal(x.shape)
        ggW = rng.standard_normal(W.shape)
        ggb = rng.standard_normal(bias.shape)

        # The function is bilinear, so square the output to make the
        # second derivative non-trivial, as Chainer's own tests do.
        def f(*a):
            out = fn(*a, stride=s, pad=p)
            return out * out

        gradient_check.check_double_backward(
            f, (x, W, bias), gy, (ggx, ggW, ggb), dtype=numpy.float64,
            atol=1e-5, rtol=1e-5)


def test_convolution_gradients_match_chainer_float32():
    # The same gradients as Chainer's functions, in the dtype training uses.
    rng = numpy.random.default_rng(6)
    for fn_ops, fn_ref, transposed in (
            (ops.convolution_2d, F.convolution_2d, False),
            (ops.deconvolution_2d, F.deconvolution_2d, True)):
        x = _rand(rng, (3, 5, 9, 8), numpy.float32)
        shape = (5, 4, 4, 4) if transposed else (4, 5, 4, 4)
        W = _rand(rng, shape, numpy.float32)
        bias = _rand(rng, (4,), numpy.float32)
        grads = []
        for fn in (fn_ops, fn_ref):
            vs = [chainer.Variable(a.copy()) for a in (x, W, bias)]
            y = fn(*vs, stride=2, pad=1)
            gy = numpy.random.default_rng(7).standard_normal(
                y.shape).astype(numpy.float32)
            y.grad = gy
            y.backward()
            grads.append([v.grad for v in vs])
        for got, expected in zip(*grads):
            numpy.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('slope', [0.0, 0.2])
def test_activations_match_chainer_and_differentiate_twice(slope):
    rng = numpy.random.default_rng(8)
    x = rng.standard_normal((2, 3, 4, 5))
    x[numpy.abs(x) < 0.05] = 0.5  # keep away from the kink
    ref = F.relu(x) if slope == 0 else F.leaky_relu(x, slope)
    got = ops.relu(x) if slope == 0 else ops.leaky_relu(x, slope)
    numpy.testing.assert_array_equal(got.array, ref.array)
    gy = rng.standard_normal(x.shape)
    ggx = rng.standard_normal(x.shape)
    gradient_check.check_backward(
        lambda a: ops.leaky_relu(a, slope), x, gy, dtype=numpy.float64)
    gradient_check.check_double_backward(
        lambda a: ops.leaky_relu(a, slope) ** 2, x, gy, ggx,
        dtype=numpy.float64)


@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
@pytest.mark.parametrize('slope', [0.0, 0.01, 0.1, 0.2, 0.3, 0.7, 1.0])
def test_leaky_relu_gradient_is_exactly_gy_or_slope_gy(slope, dtype):
    # The backward multiplies by slope + (1 - slope) * [y > 0]; that factor
    # must be exactly 1 or slope, so gradients equal a masked copy bit for bit.
    rng = numpy.random.default_rng(11)
    x = chainer.Variable(rng.standard_normal((6, 5, 4, 3)).astype(dtype))
    y = ops.leaky_relu(x, slope)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.grad = gy
    y.backward()
    expected = numpy.where(x.array > 0, gy, gy * dtype(slope))
    numpy.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize('shape', [(3, 4, 5, 6), (4, 7)])
def test_batch_norm_matches_chainer_and_differentiates_twice(shape):
    rng = numpy.random.default_rng(9)
    c = shape[1]
    x = rng.standard_normal(shape) * 2 + 0.5
    gamma = rng.standard_normal(c) + 1
    beta = rng.standard_normal(c)
    mean_ref, var_ref = numpy.zeros(c), numpy.ones(c)
    mean_got, var_got = numpy.zeros(c), numpy.ones(c)
    ref = F.batch_normalization(x, gamma, beta, running_mean=mean_ref,
                                running_var=var_ref)
    got = ops.batch_normalization(x, gamma, beta, running_mean=mean_got,
                                  running_var=var_got)
    numpy.testing.assert_allclose(got.array, ref.array, rtol=1e-10, atol=1e-10)
    numpy.testing.assert_allclose(mean_got, mean_ref, rtol=1e-12)
    numpy.testing.assert_allclose(var_got, var_ref, rtol=1e-12)
    gy = rng.standard_normal(shape)
    gradient_check.check_backward(
        lambda *a: ops.batch_normalization(*a), (x, gamma, beta), gy,
        dtype=numpy.float64, atol=1e-6, rtol=1e-6)
    ggs = tuple(rng.standard_normal(a.shape) for a in (x, gamma, beta))
    gradient_check.check_double_backward(
        lambda *a: ops.batch_normalization(*a), (x, gamma, beta), gy, ggs,
        dtype=numpy.float64, atol=1e-5, rtol=1e-5)


def test_switch():
    assert layers.fast_cpu_enabled()
    with layers.use_fast_cpu(False):
        assert not layers.fast_cpu_enabled()
        with chainer.using_config('dcgan_fast_cpu', True):
            assert layers.fast_cpu_enabled()
    assert layers.fast_cpu_enabled()


ALPHA, WEIGHT_DECAY = 2e-4, 1e-4


def _train(fast, steps=3, seed=0, record=None):
    """A few example-order GAN steps (softplus losses, Adam) at 32 px.

    ``record`` (a list) gets, for every update, {(net, name): (gradient,
    parameter)} as the optimizer is about to see them (before the decay)."""
    numpy.random.seed(seed)
    gen = nets.Generator(resolution=32, ch=32)
    dis = nets.Discriminator(resolution=32, ch=32)
    opts = []
    for model in (gen, dis):
        opt = chainer.optimizers.Adam(alpha=ALPHA, beta1=0.5)
        opt.setup(model)
        opt.add_hook(chainer.optimizer_hooks.WeightDecay(WEIGHT_DECAY))
        opts.append(opt)
    opt_gen, opt_dis = opts
    rng = numpy.random.default_rng(seed + 1)
    batch = 4
    with layers.use_fast_cpu(fast):
        for _ in range(steps):
            x = rng.random((batch, 3, 32, 32), dtype=numpy.float32)
            z = rng.uniform(-1, 1, (batch, 100, 1, 1)).astype(numpy.float32)
            # Noise drawn here so both runs see the same numbers.
            noise_rng = numpy.random.default_rng(seed + 2)
            y_real = dis(x, _NoiseFrom(noise_rng))
            x_fake = gen(z)
            y_fake = dis(x_fake, _NoiseFrom(noise_rng))
            loss_dis = (F.sum(F.softplus(-y_real)) +
                        F.sum(F.softplus(y_fake))) / batch
            loss_gen = F.sum(F.softplus(-y_fake)) / batch
            dis.cleargrads()
            loss_dis.backward()
            _record(record, 'dis', dis)
            opt_dis.update()
            gen.cleargrads()
            loss_gen.backward()
            _record(record, 'gen', gen)
            opt_gen.update()
    return gen, dis, float(loss_dis.array), float(loss_gen.array)


def _record(record, net, model):
    if record is not None:
        record.append({(net, name): (p.grad.copy(), p.array.copy())
                       for name, p in model.namedparams()})


class _NoiseFrom(object):
    """The ``rng`` interface the Discriminator asks for its noise."""

    def __init__(self, rng):
        self.rng = rng

    def normal_like(self, a, scale=1.0):
        return self.rng.standard_normal(a.shape, dtype=numpy.float32) * numpy.float32(scale)

    def add_normal(self, a, scale=1.0):  # the fast path's fused draw-and-add
        return a + self.normal_like(a, scale)


_BIASES_BEFORE_BN = {'/l0/b', '/dc1/b', '/dc2/b', '/dc3/b', '/c0_1/b',
                     '/c1_0/b', '/c1_1/b', '/c2_0/b', '/c2_1/b', '/c3_0/b'}


@pytest.fixture(params=['default', 'split'])
def thread_split(request, monkeypatch):
    """Run a test as configured, and again with every array split over
    3 threads (uneven pieces), so the threaded paths are checked too."""
    if request.param == 'split':
        monkeypatch.setattr(threads, 'MIN_ELEMENTS', 0)
        monkeypatch.setattr(threads, 'n_workers', lambda: 3)
    return request.param


def test_threaded_pieces_match_chainer(thread_split):
    rng = numpy.random.default_rng(10)
    x = _rand(rng, (5, 3, 7, 6), numpy.float64)
    for fn, ref, shape in ((ops.convolution_2d, F.convolution_2d,
                            (4, 3, 4, 4)),
                           (ops.deconvolution_2d, F.deconvolution_2d,
                            (3, 4, 4, 4))):
        W = _rand(rng, shape, numpy.float64)
        b = _rand(rng, (4,), numpy.float64)
        got = [chainer.Variable(a.copy()) for a in (x, W, b)]
        want = [chainer.Variable(a.copy()) for a in (x, W, b)]
        y_got = ops.leaky_relu(fn(*got, stride=2, pad=1))
        y_want = F.leaky_relu(ref(*want, stride=2, pad=1))
        numpy.testing.assert_allclose(y_got.array, y_want.array, rtol=1e-12)
        gy = rng.standard_normal(y_got.shape)
        y_got.grad, y_want.grad = gy, gy.copy()
        y_got.backward()
        y_want.backward()
        for a, e in zip(got, want):
            numpy.testing.assert_allclose(a.grad, e.grad, rtol=1e-10,
                                          atol=1e-12)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    gradient_check.check_backward(
        lambda *a: ops.batch_normalization(*a), (x, gamma, beta),
        rng.standard_normal(x.shape), dtype=numpy.float64, atol=1e-6,
        rtol=1e-6)


# Adam moves an element by alpha * m_hat / sqrt(v_hat) a step. With beta1
# 0.5 and beta2 0.999 that ratio is at most 1.134 in magnitude in the first 3
# steps (Cauchy-Schwarz on the moments' weights), so in 3 steps an element
# moves at most 3 * 1.5 * alpha, however its gradient was rounded; two runs
# differ by at most twice that.
_ADAM_BOUND = 2 * 3 * 1.5 * ALPHA


def test_training_steps_match_chainer_functions(thread_split):
    fast_steps, slow_steps = [], []
    fast = _train(True, record=fast_steps)
    slow = _train(False, record=slow_steps)
    # 1. Each update's gradients. They are float32 sums (a weight's over
    #    up to 4 * 32 * 32 batch pixels, through up to 10 layers) rounded in
    #    an order that depends on the BLAS kernel: about u * sqrt(K) ~ 4e-6
    #    of the size of the terms per sum, a few 1e-5 through the layers.
    #    The tolerance is 1e-4 of the layer's largest gradient (the size of
    #    its terms); measured: at most 0.12 of it for 8 seeds under each of
    #    the SkylakeX and Nehalem kernels. Biases before batch norm (true
    #    gradient 0) must be rounding noise on that scale.
    # 2. Parameters. Adam's step does not scale with the gradient, so an
    #    element whose gradient is within rounding of 0 moves by up to alpha
    #    a step either way, and elementwise only _ADAM_BOUND holds in
    #    general (checked below). Where the gradient Adam sees (plus weight
    #    decay) is at least 2% of the layer's scale at every update, (1)
    #    pins it to 0.5%, and a relative change eps of the gradients moves
    #    Adam's ratio by at most 2.3 eps a step: 3 * 2.3 * 0.005 * alpha =
    #    7e-6 < 1e-5, the tolerance there.
    assert len(fast_steps) == len(slow_steps) == 6
    strict = {}
    for got, want in zip(fast_steps, slow_steps):
        assert got.keys() == want.keys()
        scale = {}
        for (net, name), (g, _) in want.items():
            link = (net, name.rsplit('/', 1)[0])
            scale[link] = max(scale.get(link, 0.0), float(numpy.abs(g).max()))
        for key, (g, p) in want.items():
            layer_scale = scale[(key[0], key[1].rsplit('/', 1)[0])]
            numpy.testing.assert_allclose(got[key][0], g, rtol=0, atol=1e-4 * layer_scale,
                                          err_msg='gradient of {} {}'.format(*key))
            if key[1] in _BIASES_BEFORE_BN:
                strict[key] = numpy.zeros(g.shape, bool)
            else:
                seen = numpy.abs(g + WEIGHT_DECAY * p)
                strict[key] = strict.get(key, True) & (seen >= 0.02 * layer_scale)
    n_strict = 0
    for net, model_fast, model_slow in (('gen', fast[0], slow[0]), ('dis', fast[1], slow[1])):
        params_slow = dict(model_slow.namedparams())
        for name, p in model_fast.namedparams():
            want = params_slow[name].array
            numpy.testing.assert_allclose(p.array, want, rtol=0, atol=_ADAM_BOUND,
                                          err_msg=name)
            mask = strict[(net, name)]
            numpy.testing.assert_allclose(p.array[mask], want[mask], rtol=1e-4, atol=1e-5,
                                          err_msg=name)
            n_strict += int(mask.sum())
        links_slow = dict(model_slow.namedlinks())
        for name, link in model_fast.namedlinks():
            if hasattr(link, 'avg_mean') and link.avg_mean is not None:
                # The running mean includes the bias before it (see above);
                # the variance does not, and is a float32 statistic of the
                # layer's outputs (measured: under 0.002 of this tolerance).
                numpy.testing.assert_allclose(
                    link.avg_mean, links_slow[name].avg_mean,
                    rtol=1e-4, atol=_ADAM_BOUND)
                numpy.testing.assert_allclose(
                    link.avg_var, links_slow[name].avg_var,
                    rtol=1e-4, atol=1e-5)
    # The tight check covers a good part of the nets (about 36% here).
    n_params = sum(p.size for m in fast[:2] for p in m.params())
    assert n_strict > 0.2 * n_params
    # Losses: float32 sums of a few softplus terms of D's outputs.
    numpy.testing.assert_allclose(fast[2:], slow[2:], rtol=1e-4)


def test_nets_take_the_fast_path_on_numpy():
    gen = nets.Generator(resolution=32, ch=32)
    z = numpy.zeros((2, 100, 1, 1), numpy.float32)
    y = gen(z)
    creators = set()
    node = y.creator_node
    stack = [node]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        creators.add(type(node).__name__)
        stack.extend(v.creator_node for v in node.inputs)
    assert 'Deconvolution2D' in creators
    # ReLU is LeakyReLU(0); with the numba kernels, BatchNormAct fuses it
    # into the batch norm before it.
    assert 'LeakyReLU' in creators or 'BatchNormAct' in creators
    with layers.use_fast_cpu(False):
        y = gen(z)
    assert type(y.creator_node.inputs[0].creator_node).__name__ == \
        'Deconvolution2DFunction'


def _r1_grads(fast):
    """Gradient of an R1 penalty (|dD(x)/dx|^2) w.r.t. D's weights."""
    numpy.random.seed(3)
    dis = nets.Discriminator(resolution=16, ch=16, noise_sigma=0)
    x = chainer.Variable(numpy.random.default_rng(4).random(
        (3, 3, 16, 16), dtype=numpy.float32))
    with layers.use_fast_cpu(fast):
        y = dis(x)
        gx, = chainer.grad([F.sum(y)], [x], enable_double_backprop=True)
        penalty = F.sum(gx * gx)
        dis.cleargrads()
        penalty.backward()
    return float(penalty.array), {n: p.grad for n, p in dis.namedparams()}


def test_r1_penalty_double_backward_matches_chainer():
    pen_fast, grads_fast = _r1_grads(True)
    pen_slow, grads_slow = _r1_grads(False)
    numpy.testing.assert_allclose(pen_fast, pen_slow, rtol=1e-4)
    checked = 0
    for name, g in grads_slow.items():
        got = grads_fast[name]
        # No path from a parameter is None on one side and exact zeros on
        # the other (the true gradient is 0 either way).
        if got is None or g is None:
            other = g if got is None else got
            assert other is None or not numpy.any(other), name
            continue
        if name in _BIASES_BEFORE_BN:
            continue  # true gradient 0: both sides are rounding noise
        scale = float(numpy.abs(g).max()) + 1e-12
        numpy.testing.assert_allclose(got, g, rtol=1e-3, atol=1e-4 * scale,
                                      err_msg=name)
        checked += 1
    assert checked >= 8  # every conv's W at least


@pytest.mark.parametrize('block_bytes', [1, 300, 1600, 1 << 30])
def test_col2im_blocks_match_chainer(monkeypatch, block_bytes):
    # Bands of 1 and 3 rows of one image, two images per block (with a batch
    # of 5: an uneven last block) and the whole batch in one block all add
    # the same windows back.
    from chainer.utils import conv
    from dcgan.ops import im2col
    monkeypatch.setattr(im2col, 'COL2IM_BLOCK_BYTES', block_bytes)
    rng = numpy.random.default_rng(12)
    for (h, k, s, p) in ((5, 4, 2, 1), (6, 3, 1, 1), (7, 4, 2, 0)):
        oh = (h + 2 * p - k) // s + 1
        col = rng.standard_normal((5, oh, oh, k, k, 3)).astype(numpy.float32)
        got = im2col.col2im(col, h, h, s, s, p, p)
        # Chainer's col2im takes (B, C, kh, kw, OH, OW) and gives NCHW.
        want = conv.col2im_cpu(col.transpose(0, 5, 3, 4, 1, 2), s, s, p, p, h, h)
        numpy.testing.assert_allclose(got.transpose(0, 3, 1, 2), want, rtol=1e-6, atol=1e-6)
