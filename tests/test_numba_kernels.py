"""The numba kernels (the `fast` extra) against float64 references and the
NumPy path they stand in for; skipped when numba is not installed.

Batch norm is checked against float64 arithmetic rather than Chainer's
float32 functions (those are themselves far off on some input gradients).
im2col, col2im and Adam must equal the NumPy code bit for bit.
"""
import dcgan  # noqa: F401  (compat patches before chainer)

import chainer
import chainer.functions as F
import numpy
import pytest

from dcgan import ops
from dcgan.models import nets
from dcgan.ops import fast_backend
from dcgan.ops import im2col as im2col_module
from dcgan.ops import numba_kernels
from dcgan.training import optimizers
from dcgan.training.rng import TrainingRandom

pytestmark = pytest.mark.skipif(
    not numba_kernels.available(),
    reason='numba kernels unavailable (pip install .[fast]): '
           + numba_kernels.unavailable_reason())

U = 2.0 ** -24  # float32 unit roundoff
EPS = 2e-5


@pytest.fixture(autouse=True)
def backend_on():
    # On for these tests even under DCGAN_FAST_CPU=0 (the kernels are what
    # is tested); a test that wants the NumPy path turns it off inside.
    with fast_backend.use_fast_backend(True):
        yield


@pytest.fixture(params=['parallel', 'serial'])
def copy(request, monkeypatch):
    """Each kernel test once per compiled copy."""
    monkeypatch.setattr(numba_kernels, 'MIN_ELEMENTS', 0 if request.param == 'parallel'
                        else 1 << 62)
    return request.param


def _kernels_bn():
    from dcgan.ops import numba_kernels_bn
    return numba_kernels_bn


def _bn_case(rng, n, c, noise=True):
    x = (2 * rng.standard_normal((n, c)) + 0.5).astype(numpy.float32)
    gamma = (1 + 0.1 * rng.standard_normal(c)).astype(numpy.float32)
    beta = (0.1 * rng.standard_normal(c)).astype(numpy.float32)
    z = (0.2 * rng.standard_normal((n, c))).astype(numpy.float32) if noise else None
    # A gradient almost constant over the rows, as in D: the input gradient
    # is then a small difference of large terms.
    gy = (1 + 1e-3 * rng.standard_normal((n, c))).astype(numpy.float32)
    return x, gamma, beta, z, gy


def _reference(x, gamma, beta, noise, slope, gy, y):
    """float64 forward and (gx, ggamma, gbeta), the mask taken from ``y``."""
    x, gamma, beta = (a.astype(numpy.float64) for a in (x, gamma, beta))
    n = len(x)
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / numpy.sqrt(var + EPS)
    x_hat = (x - mean) * inv_std
    z = gamma * x_hat + beta + (0 if noise is None else noise)
    y_ref = numpy.where(z > 0, z, slope * z)
    gz = gy * numpy.where(y > 0, 1.0, slope)
    gbeta, ggamma = gz.sum(axis=0), (gz * x_hat).sum(axis=0)
    a = gamma * inv_std
    gx = a * (gz - (x_hat * ggamma + gbeta) / n)
    # The size of the terms each result is made of, for the error bounds.
    size_y = (numpy.abs(x) + numpy.abs(mean)) * numpy.abs(a) + numpy.abs(beta)
    if noise is not None:
        size_y = size_y + numpy.abs(noise)
    size_gx = numpy.abs(a * gz) + numpy.abs(a * x_hat * ggamma / n) + numpy.abs(a * gbeta / n)
    return y_ref, (mean, var), (gx, ggamma, gbeta), size_y, size_gx


def _assert_within(got, want, bound, what):
    error = numpy.abs(got.astype(numpy.float64) - want)
    worst = numpy.argmax(error - bound)
    assert (error <= bound).all(), '{}: error {:.3g} > bound {:.3g}'.format(
        what, error.flat[worst], numpy.asarray(bound).flat[worst])


@pytest.mark.parametrize('slope', [0.0, 0.2, 1.0])
@pytest.mark.parametrize('n,c,noise', [(3200, 256, True), (50, 1024, False), (7, 3, True)])
def test_batch_norm_kernels_against_float64(copy, slope, n, c, noise):
    kernels = _kernels_bn()
    x, gamma, beta, z, gy = _bn_case(numpy.random.default_rng(n + c), n, c, noise)
    mean, var = kernels.stats(x)
    inv_std = 1 / numpy.sqrt(var + EPS)
    y = numpy.empty_like(x)
    kernels.forward(x, mean.astype(numpy.float32), (gamma * inv_std).astype(numpy.float32),
                    beta, z, slope, y)
    gx, ggamma, gbeta = kernels.backward(x, gy, y, mean, inv_std, gamma, slope)
    y_ref, (mean_ref, var_ref), grads_ref, size_y, size_gx = _reference(
        x, gamma, beta, z, slope, gy, y)
    # Statistics: float64 sums of float32 numbers (shifted by a sample).
    _assert_within(mean, mean_ref, 1e-12 * numpy.abs(x).max(), 'mean')
    _assert_within(var, var_ref, 1e-12 * var_ref.max(), 'var')
    # Forward: the NumPy op's float32 affine step, a handful of roundings of
    # terms no larger than size_y (mean and scale rounded to float32 too).
    _assert_within(y, y_ref, 8 * U * size_y, 'y')
    # Input gradient: float64 arithmetic rounded once, from a float32 gz.
    gx_ref, ggamma_ref, gbeta_ref = grads_ref
    _assert_within(gx, gx_ref, 2 * U * (numpy.abs(gx_ref) + size_gx) + 1e-12 * size_gx, 'gx')
    for got, want in ((ggamma, ggamma_ref), (gbeta, gbeta_ref)):
        sizes = numpy.abs(gy).sum(axis=0) * numpy.abs(x).max()
        _assert_within(got, want, 2 * U * numpy.abs(want) + 1e-12 * sizes, 'gamma/beta grad')


def test_batch_norm_results_do_not_depend_on_the_compiled_copy(monkeypatch):
    kernels = _kernels_bn()
    x, gamma, beta, z, gy = _bn_case(numpy.random.default_rng(5), 5000, 64)
    results = []
    for threshold in (0, 1 << 62):  # parallel, then serial
        monkeypatch.setattr(numba_kernels, 'MIN_ELEMENTS', threshold)
        mean, var = kernels.stats(x)
        inv_std = 1 / numpy.sqrt(var + EPS)
        y = numpy.empty_like(x)
        kernels.forward(x, mean.astype(numpy.float32), (gamma * inv_std).astype(numpy.float32),
                        beta, z, 0.2, y)
        results.append((mean, var, y) + kernels.backward(x, gy, y, mean, inv_std, gamma, 0.2))
    for a, b in zip(*results):
        numpy.testing.assert_array_equal(a, b)


def _node_inputs(shape, seed=0):
    rng = numpy.random.default_rng(seed)
    x = (2 * rng.standard_normal(shape) + 0.5).astype(numpy.float32)
    if x.ndim == 4:  # channels-last memory, as the convolutions hand it over
        x = numpy.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    c = shape[1]
    gamma = (1 + 0.1 * rng.standard_normal(c)).astype(numpy.float32)
    beta = (0.1 * rng.standard_normal(c)).astype(numpy.float32)
    gy = (1 + 1e-3 * rng.standard_normal(shape)).astype(numpy.float32)
    return x, gamma, beta, gy


def _rows(a):
    return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1]) if a.ndim == 4 else a


@pytest.mark.parametrize('shape,slope,sigma', [((4, 8, 5, 6), 0.2, 0.3), ((6, 16), 0.0, 0.0)])
def test_fused_node_against_float64_and_draws_the_same_noise(shape, slope, sigma):
    x, gamma, beta, gy = _node_inputs(shape)
    running = [numpy.zeros(shape[1], numpy.float32), numpy.ones(shape[1], numpy.float32)]
    xv, gv, bv = (chainer.Variable(a.copy()) for a in (x, gamma, beta))
    rng = TrainingRandom(7)
    y = ops.batch_norm_act(xv, gv, bv, EPS, running[0], running[1], 0.9, slope, rng, sigma)
    assert type(y.creator_node).__name__ == 'BatchNormAct'
    y.grad = gy.copy()
    y.backward()
    # The composed NumPy path: same noise stream, same running statistics.
    same = TrainingRandom(7)
    noise = same.normal_like(y.array, sigma) if sigma else None
    running_np = [numpy.zeros(shape[1], numpy.float32), numpy.ones(shape[1], numpy.float32)]
    with fast_backend.use_fast_backend(False):
        h = ops.batch_normalization(x.copy(), gamma.copy(), beta.copy(), EPS, *running_np)
        if sigma:
            h = ops.add_noise(h, TrainingRandom(7), sigma)
        y_np = ops.leaky_relu(h, slope)
    assert rng.host.bit_generator.state == same.host.bit_generator.state
    for got, want in zip(running, running_np):
        numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(y.array, y_np.array, rtol=1e-5, atol=1e-5)
    # Against float64, in rows.
    rows_noise = None if noise is None else _rows(noise).astype(numpy.float64)
    y_ref, _, (gx_ref, ggamma_ref, gbeta_ref), size_y, size_gx = _reference(
        _rows(x), gamma, beta, rows_noise, slope, _rows(gy).astype(numpy.float64),
        _rows(y.array))
    _assert_within(_rows(y.array), y_ref, 8 * U * size_y, 'y')
    _assert_within(_rows(xv.grad), gx_ref, 2 * U * (numpy.abs(gx_ref) + size_gx)
                   + 1e-12 * size_gx, 'gx')
    numpy.testing.assert_allclose(gv.grad, ggamma_ref, rtol=4 * U, atol=1e-9)
    numpy.testing.assert_allclose(bv.grad, gbeta_ref, rtol=4 * U, atol=1e-9)


def test_plain_batch_norm_goes_through_the_kernels_against_float64():
    x, gamma, beta, gy = _node_inputs((5, 12, 7, 7), seed=3)
    xv, gv, bv = (chainer.Variable(a.copy()) for a in (x, gamma, beta))
    y = ops.batch_normalization(xv, gv, bv, EPS)
    y.grad = gy.copy()
    y.backward()
    y_ref, _, (gx_ref, _, gbeta_ref), size_y, size_gx = _reference(
        _rows(x), gamma, beta, None, 1.0, _rows(gy).astype(numpy.float64), _rows(y.array))
    _assert_within(_rows(y.array), y_ref, 8 * U * size_y, 'y')
    _assert_within(_rows(xv.grad), gx_ref, 2 * U * (numpy.abs(gx_ref) + size_gx)
                   + 1e-12 * size_gx, 'gx')
    numpy.testing.assert_allclose(bv.grad, gbeta_ref, rtol=4 * U, atol=1e-9)


# (batch, channels, h, w, k, stride, pad), as in test_ops, plus D's shapes.
CONV_CASES = [(1, 1, 5, 5, 3, 1, 0), (2, 3, 6, 5, 3, 1, 1), (3, 2, 7, 8, 3, 2, 1),
              (1, 4, 8, 8, 4, 2, 1), (2, 5, 9, 7, 4, 2, 0), (3, 1, 6, 6, 4, 1, 1),
              (2, 3, 5, 9, 4, 2, 1), (1, 2, 4, 4, 3, 2, 0), (4, 64, 16, 16, 4, 2, 1),
              (2, 3, 32, 32, 3, 1, 1), (2, 3, 3, 3, 3, 1, 2)]


@pytest.mark.parametrize('case', CONV_CASES)
def test_im2col_and_col2im_equal_the_numpy_path(copy, case):
    b, c, h, w, k, s, p = case
    rng = numpy.random.default_rng(sum(case))
    x = rng.standard_normal((b, h, w, c)).astype(numpy.float32)
    from dcgan.ops import numba_kernels_im2col as kernels
    oh, ow = im2col_module.out_size(h, k, s, p), im2col_module.out_size(w, k, s, p)
    got = kernels.im2col(x, k, k, s, s, p, p, oh, ow)  # also where the op would not
    col = rng.standard_normal(got.shape).astype(numpy.float32)
    back = im2col_module.col2im(col, h, w, s, s, p, p)
    with fast_backend.use_fast_backend(False):
        want = im2col_module.im2col(x, k, k, s, s, p, p)
        back_want = im2col_module.col2im(col, h, w, s, s, p, p)
        # float64 reference: the NumPy path on float64 numbers.
        back_64 = im2col_module.col2im(col.astype(numpy.float64), h, w, s, s, p, p)
        size = im2col_module.col2im(numpy.abs(col).astype(numpy.float64), h, w, s, s, p, p)
    assert got.flags.c_contiguous and back.flags.c_contiguous
    numpy.testing.assert_array_equal(got, want)
    numpy.testing.assert_array_equal(back, back_want)
    _assert_within(back, back_64, k * k * U * size, 'col2im')


def test_ops_use_the_kernels_only_where_covered(monkeypatch):
    calls = []
    from dcgan.ops import numba_kernels_im2col
    real = numba_kernels_im2col.im2col
    monkeypatch.setattr(numba_kernels_im2col, 'im2col', lambda *a: calls.append(1) or real(*a))
    x = numpy.zeros((1, 4, 4, 32), numpy.float32)
    im2col_module.im2col(x, 3, 3, 1, 1, 1, 1)
    im2col_module.im2col(x.astype(numpy.float64), 3, 3, 1, 1, 1, 1)  # NumPy
    im2col_module.im2col(x[..., :3].copy(), 3, 3, 1, 1, 1, 1)  # NumPy: 3 channels
    with fast_backend.use_fast_backend(False):
        im2col_module.im2col(x, 3, 3, 1, 1, 1, 1)  # NumPy
    assert calls == [1]


@pytest.mark.parametrize('shape', [(50, 8, 8, 256), (7, 3), (4, 5, 5, 3)])
def test_bias_add_equals_the_numpy_path(copy, shape):
    from dcgan.ops import _common
    rng = numpy.random.default_rng(len(shape))
    y = rng.standard_normal(shape).astype(numpy.float32)
    b = rng.standard_normal(shape[-1]).astype(numpy.float32)
    got, want = y.copy(), y.copy()
    _common.add_bias(got, b)
    with fast_backend.use_fast_backend(False):
        _common.add_bias(want, b)
    numpy.testing.assert_array_equal(got, want)
    # float64: one rounding of the exact sum.
    exact = y.astype(numpy.float64) + b
    _assert_within(got, exact, U * numpy.abs(exact), 'bias add')


def _adam_run(weight_decay, weight_decay_rate, steps=4):
    rng = numpy.random.default_rng(1)
    link = chainer.Link()
    with link.init_scope():
        link.w = chainer.Parameter(rng.standard_normal((300, 700)).astype(numpy.float32))
        link.b = chainer.Parameter(rng.standard_normal(13).astype(numpy.float32))
    opt = optimizers.Adam(alpha=2e-4, beta1=0.5, weight_decay=weight_decay,
                          weight_decay_rate=weight_decay_rate)
    opt.setup(link)
    for _ in range(steps):
        for p in link.params():
            p.grad = (rng.standard_normal(p.shape) * 10 ** rng.uniform(-8, 1)).astype(numpy.float32)
        opt.update()
    return link


@pytest.mark.parametrize('weight_decay,weight_decay_rate', [(0.0, 0.0), (1e-4, 0.0), (1e-2, 1e-3)])
def test_adam_equals_the_numpy_path_and_float64(copy, monkeypatch, weight_decay, weight_decay_rate):
    from dcgan.ops import numba_kernels_adam
    calls = []
    real = numba_kernels_adam.update
    monkeypatch.setattr(numba_kernels_adam, 'update', lambda *a: calls.append(1) or real(*a))
    got = _adam_run(weight_decay, weight_decay_rate)
    assert len(calls) == 8  # both parameters, every step, took the kernel
    with fast_backend.use_fast_backend(False):
        want = _adam_run(weight_decay, weight_decay_rate)
    for name in ('w', 'b'):
        a, b = getattr(got, name), getattr(want, name)
        numpy.testing.assert_array_equal(a.array, b.array, err_msg=name)
        numpy.testing.assert_array_equal(a.grad, b.grad, err_msg=name)  # decayed too
        for key in ('m', 'v'):
            numpy.testing.assert_array_equal(a.update_rule.state[key], b.update_rule.state[key])
    # One step in float64 from the same state gives the same result to
    # float32 rounding (a few roundings of each of the step's terms).
    link = chainer.Link()
    with link.init_scope():
        link.p = chainer.Parameter(
            numpy.random.default_rng(2).standard_normal(5000).astype(numpy.float32))
    g = numpy.random.default_rng(3).standard_normal(5000).astype(numpy.float32)
    link.p.grad = g.copy()
    start = link.p.array.astype(numpy.float64)
    single = optimizers.Adam(alpha=2e-4, beta1=0.5, weight_decay=weight_decay,
                             weight_decay_rate=weight_decay_rate)
    single.setup(link)
    single.update()
    rule = link.p.update_rule
    g64 = g + numpy.float32(weight_decay) * start if weight_decay else g.astype(numpy.float64)
    m = 0.5 * g64
    v = (1 - 0.999) * g64 * g64
    step = rule.alpha_t / (numpy.sqrt(v) + 1e-8)
    want64 = (1 - weight_decay_rate) * start - step * m
    bound = 16 * U * (numpy.abs(start) + numpy.abs(step * m))
    _assert_within(link.p.array, want64, bound, 'adam step')


def _gan_steps(seed=0, steps=2):
    """A few DCGAN updates (noise from a TrainingRandom, Adam with decay)."""
    numpy.random.seed(seed)
    gen = nets.Generator(resolution=16, ch=32)
    dis = nets.Discriminator(resolution=16, ch=32)
    opts = []
    for model in (gen, dis):
        opt = optimizers.Adam(alpha=2e-4, beta1=0.5, weight_decay=1e-4)
        opt.setup(model)
        opts.append(opt)
    rng = TrainingRandom(seed)
    for _ in range(steps):
        x = rng.random((4, 3, 16, 16))
        z = gen.make_hidden(4, rng)
        y_real = dis(x, rng)
        y_fake = dis(gen(z), rng)
        loss_dis = F.sum(F.softplus(-y_real)) + F.sum(F.softplus(y_fake))
        dis.cleargrads()
        loss_dis.backward()
        opts[1].update()
        loss_gen = F.sum(F.softplus(-y_fake))
        gen.cleargrads()
        loss_gen.backward()
        opts[0].update()
    return gen, dis, rng


def _all_arrays(gen, dis, rng):
    out = {}
    for net, model in (('gen', gen), ('dis', dis)):
        for name, p in model.namedparams():
            out[net + name] = p.array
        for name, link in model.namedlinks():
            if getattr(link, 'avg_mean', None) is not None:
                out[net + name + '/avg_mean'] = link.avg_mean
                out[net + name + '/avg_var'] = link.avg_var
    out['rng'] = numpy.frombuffer(str(rng.host.bit_generator.state).encode(), numpy.uint8)
    return out


def test_two_trainings_are_bit_identical_whatever_the_threads(monkeypatch):
    first = _all_arrays(*_gan_steps())
    second = _all_arrays(*_gan_steps())
    monkeypatch.setattr(numba_kernels, 'MIN_ELEMENTS', 1 << 62)  # serial copies only
    serial = _all_arrays(*_gan_steps())
    assert first.keys() == second.keys() == serial.keys()
    for key in first:
        numpy.testing.assert_array_equal(first[key], second[key], err_msg=key)
        numpy.testing.assert_array_equal(first[key], serial[key], err_msg=key)


def test_nets_fuse_batch_norm_and_r1_double_backward_falls_back():
    def r1(fast):
        numpy.random.seed(3)
        dis = nets.Discriminator(resolution=16, ch=16)
        x = chainer.Variable(numpy.random.default_rng(4).random((3, 3, 16, 16), numpy.float32))
        with fast_backend.use_fast_backend(fast):
            y = dis(x, TrainingRandom(5))
            nodes, stack = set(), [y.creator_node]
            while stack:
                node = stack.pop()
                if node is not None:
                    nodes.add(type(node).__name__)
                    stack.extend(v.creator_node for v in node.inputs)
            gx, = chainer.grad([F.sum(y)], [x], enable_double_backprop=True)
            penalty = F.sum(gx * gx)
            dis.cleargrads()
            penalty.backward()
        return nodes, float(penalty.array), {n: p.grad for n, p in dis.namedparams()}
    nodes, pen_fast, grads_fast = r1(True)
    assert 'BatchNormAct' in nodes
    nodes, pen_slow, grads_slow = r1(False)
    assert 'BatchNormAct' not in nodes
    numpy.testing.assert_allclose(pen_fast, pen_slow, rtol=1e-4)
    checked = 0
    for name, g in grads_slow.items():
        if g is None or name.endswith('/b') and name != '/c0_0/b':
            continue  # biases before batch norm: true gradient 0
        scale = float(numpy.abs(g).max()) + 1e-12
        numpy.testing.assert_allclose(grads_fast[name], g, rtol=1e-3, atol=1e-4 * scale,
                                      err_msg=name)
        checked += 1
    assert checked >= 8


def test_status_and_a_missing_numba(monkeypatch):
    assert fast_backend.status()['numba_kernels'] == 'on'
    import sys
    monkeypatch.setitem(sys.modules, 'numba', None)  # import numba now fails
    monkeypatch.setattr(numba_kernels, '_state', {'checked': False, 'reason': None})
    assert not numba_kernels.available()
    assert not numba_kernels.usable()
    assert 'numba' in numba_kernels.unavailable_reason()
    assert fast_backend.status()['numba_kernels'].startswith('absent: ')
    # ... and the ops run their NumPy code.
    x = numpy.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype(numpy.float32)
    with fast_backend.use_fast_backend(False):
        want = im2col_module.im2col(x, 3, 3, 1, 1, 1, 1)
    numpy.testing.assert_array_equal(im2col_module.im2col(x, 3, 3, 1, 1, 1, 1), want)
