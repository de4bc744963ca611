"""oneDNN convolutions (dcgan.ops.onednn) against a float64 reference.

Every geometry the DCGAN nets use (4x4 stride-2 pad-1 convolutions and
deconvolutions, 3x3 stride-1 pad-1 first/last layers and the
``upsample='nearest'`` convolutions, 4x4 bottom maps) in all three
directions, with few channels so the tests run in seconds. The reference
is a direct float64 convolution written out here; tolerances are relative
to the largest reference value, so they do not depend on how any BLAS
rounds.
"""
import chainer
import chainer.functions as F
import numpy
import pytest

from dcgan.models import nets
from dcgan.ops import fast_backend
from dcgan.ops import onednn
from dcgan.ops import onednn_api
from dcgan.ops.conv2d import convolution_2d
from dcgan.ops.deconv2d import deconvolution_2d
from dcgan.ops.layout import empty_channels_last

needs_onednn = pytest.mark.skipif(
    not onednn.available(),
    reason='oneDNN not available: {}'.format(onednn.unavailable_reason()))

# (name, in channels, out channels, k, stride, pad, input side, batch), in
# the convolution's direction (a generator deconvolution is listed as the
# convolution it transposes).
SHAPES = [
    ('D c0_0 3x3 from the image', 3, 16, 3, 1, 1, 16, 3),
    ('D c0_1 4x4 s2', 16, 32, 4, 2, 1, 16, 3),
    ('D c1_0 3x3', 32, 32, 3, 1, 1, 8, 3),
    ('D c2_1 4x4 s2 onto 4x4', 32, 64, 4, 2, 1, 8, 2),
    ('D c3_0 3x3 on 4x4', 64, 64, 3, 1, 1, 4, 2),
    ('G dc1 4x4 s2 from 4x4', 24, 40, 4, 2, 1, 8, 2),
    ('G dc 4x4 s2 odd channels', 5, 7, 4, 2, 1, 12, 2),
    ('G dc4 3x3 to the image', 3, 16, 3, 1, 1, 16, 3),
    ('G nearest 3x3', 16, 8, 3, 1, 1, 16, 2),
]
IDS = [s[0] for s in SHAPES]
DIRECTIONS = ('forward', 'backward_data', 'backward_weights')
TOLERANCE = 5e-6


def _rng(seed=0):
    return numpy.random.default_rng(seed)


def channels_last(a):
    """A copy of ``a`` in channels-last memory, as the ops hand them out."""
    out = empty_channels_last(a.shape, numpy.float32)
    out[...] = a
    return out


def _windows(x, k, s, p, out):
    xp = numpy.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    for i in range(k):
        for j in range(k):
            yield i, j, xp[:, :, i:i + s * out:s, j:j + s * out:s]


def conv_ref(x, W, b, s, p):
    x, W = x.astype(numpy.float64), W.astype(numpy.float64)
    k, out = W.shape[2], (x.shape[2] + 2 * p - W.shape[2]) // s + 1
    y = numpy.zeros((x.shape[0], W.shape[0], out, out))
    for i, j, window in _windows(x, k, s, p, out):
        y += numpy.einsum('bchw,oc->bohw', window, W[:, :, i, j])
    return y if b is None else y + b.astype(numpy.float64)[None, :, None, None]


def conv_backward_data_ref(gy, W, s, p, side):
    gy, W = gy.astype(numpy.float64), W.astype(numpy.float64)
    k, out = W.shape[2], gy.shape[2]
    gxp = numpy.zeros((gy.shape[0], W.shape[1], side + 2 * p, side + 2 * p))
    for i in range(k):
        for j in range(k):
            gxp[:, :, i:i + s * out:s, j:j + s * out:s] += numpy.einsum(
                'bohw,oc->bchw', gy, W[:, :, i, j])
    return gxp[:, :, p:p + side, p:p + side]


def conv_backward_weights_ref(x, gy, k, s, p):
    x, gy = x.astype(numpy.float64), gy.astype(numpy.float64)
    gw = numpy.zeros((gy.shape[1], x.shape[1], k, k))
    for i, j, window in _windows(x, k, s, p, gy.shape[2]):
        gw[:, :, i, j] = numpy.einsum('bohw,bchw->oc', gy, window)
    return gw


def relative_error(a, ref):
    return float(numpy.abs(numpy.asarray(a, numpy.float64) - ref).max()
                 / numpy.abs(ref).max())


def _case(shape, seed=0):
    _, ci, co, k, s, p, side, batch = shape
    out = (side + 2 * p - k) // s + 1
    rng = _rng(seed)
    x = channels_last(rng.standard_normal((batch, ci, side, side), dtype=numpy.float32))
    gy = channels_last(rng.standard_normal((batch, co, out, out), dtype=numpy.float32))
    W = rng.standard_normal((co, ci, k, k), dtype=numpy.float32)
    b = rng.standard_normal(co, dtype=numpy.float32)
    return x, gy, W, b, k, s, p, side, out


def _run(direction, shape, seed=0):
    """(oneDNN's result as (B, C, H, W) or OIHW, float64 reference)."""
    x, gy, W, b, k, s, p, side, out = _case(shape, seed)
    if direction == 'forward':
        y = onednn.forward(x, W, b, (s, s), (p, p), (out, out))
        return y.transpose(0, 3, 1, 2), conv_ref(x, W, b, s, p)
    if direction == 'backward_data':
        gx = onednn.backward_data(gy, W, (s, s), (p, p), (side, side))
        return gx.transpose(0, 3, 1, 2), conv_backward_data_ref(gy, W, s, p, side)
    gw = onednn.backward_weights(x, gy, (k, k), (s, s), (p, p))
    return gw, conv_backward_weights_ref(x, gy, k, s, p)


@pytest.fixture
def every_case_on_onednn(monkeypatch):
    # The per-layer choice would send some cases to GEMM: test oneDNN on all.
    monkeypatch.setattr(onednn, 'ROUTE_BY_LAYER', False)


def test_the_reference_is_chainers_convolution():
    # The float64 reference itself, checked once against Chainer's float64
    # functions so that the comparisons below mean what they say.
    x, gy, W, b, k, s, p, side, out = _case(SHAPES[1])
    xd, Wd, gyd = (chainer.Variable(a.astype(numpy.float64)) for a in (x, W, gy))
    y = F.convolution_2d(xd, Wd, b.astype(numpy.float64), s, p)
    assert relative_error(conv_ref(x, W, b, s, p), y.array) < 1e-12
    gx, gw = chainer.grad([y], [xd, Wd], grad_outputs=[gyd])
    assert relative_error(conv_backward_data_ref(gy, W, s, p, side), gx.array) < 1e-12
    assert relative_error(conv_backward_weights_ref(x, gy, k, s, p), gw.array) < 1e-12


@needs_onednn
@pytest.mark.parametrize('direction', DIRECTIONS)
@pytest.mark.parametrize('shape', SHAPES, ids=IDS)
def test_onednn_matches_float64(shape, direction, every_case_on_onednn):
    result, ref = _run(direction, shape)
    assert result.dtype == numpy.float32
    assert relative_error(result, ref) < TOLERANCE


@needs_onednn
@pytest.mark.parametrize('direction', DIRECTIONS)
def test_onednn_is_deterministic(direction, every_case_on_onednn):
    for shape in SHAPES:
        first, _ = _run(direction, shape, seed=1)
        second, _ = _run(direction, shape, seed=1)
        assert numpy.array_equal(first, second), shape[0]


def _node_gradients(kind, shape, backend):
    """The op's output and its x, W, b gradients through chainer.grad."""
    x, gy, W, b, k, s, p, side, out = _case(shape)
    with fast_backend.use_fast_backend(backend):
        if kind == 'conv':
            xv, Wv, bv = chainer.Variable(x), chainer.Variable(W), chainer.Variable(b)
            y = convolution_2d(xv, Wv, bv, s, p)
            g = gy
        else:  # the deconvolution that maps gy's shape back to x's
            xv, Wv = chainer.Variable(gy), chainer.Variable(W)
            bv = chainer.Variable(_rng(2).standard_normal(W.shape[1], dtype=numpy.float32))
            y = deconvolution_2d(xv, Wv, bv, s, p, outsize=(side, side))
            g = x
        grads = chainer.grad([y], [xv, Wv, bv], grad_outputs=[chainer.Variable(g)])
    return [y.array] + [v.array for v in grads]


@needs_onednn
@pytest.mark.parametrize('kind', ('conv', 'deconv'))
@pytest.mark.parametrize('shape', SHAPES, ids=IDS)
def test_nodes_with_backend_match_numpy_path(kind, shape, monkeypatch):
    ran = []
    real = onednn.primitive

    def recording(direction, *args, **kwargs):
        found = real(direction, *args, **kwargs)
        if found is not None:
            ran.append(direction)
        return found
    monkeypatch.setattr(onednn, 'primitive', recording)
    on = _node_gradients(kind, shape, True)
    _, ci, co, k, s, p, side, batch = shape
    out = (side + 2 * p - k) // s + 1
    direction = 'forward' if kind == 'conv' else 'backward_data'
    # The per-layer choice may keep this one on GEMM; then oneDNN must not run.
    expected = onednn.preferred(direction, (batch, ci, side, side), (co, ci, k, k),
                                (batch, co, out, out), (s, s))
    assert (direction in ran) == expected
    del ran[:]
    off = _node_gradients(kind, shape, False)
    assert not ran
    for a, b in zip(on, off):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert relative_error(a, b.astype(numpy.float64)) < 2 * TOLERANCE


def _r1_penalty_grad(backend, dtype):
    """d/dW of sum((d D(x) / dx)^2) for a two-conv discriminator."""
    rng = _rng(3)
    x = rng.standard_normal((2, 3, 8, 8)).astype(dtype)
    W0 = rng.standard_normal((8, 3, 3, 3)).astype(dtype) * 0.3
    W1 = rng.standard_normal((16, 8, 4, 4)).astype(dtype) * 0.3
    if dtype == numpy.float32:
        x = channels_last(x)
    conv = convolution_2d if dtype == numpy.float32 else F.convolution_2d
    with fast_backend.use_fast_backend(backend):
        xv, w0, w1 = (chainer.Variable(a) for a in (x, W0, W1))
        h = F.leaky_relu(conv(xv, w0, None, 1, 1), 0.2)
        y = F.sum(conv(h, w1, None, 2, 1) ** 2)
        gx, = chainer.grad([y], [xv], enable_double_backprop=True)
        penalty = F.sum(gx * gx)
        return [g.array for g in chainer.grad([penalty], [w0, w1])]


@needs_onednn
def test_r1_double_backward_through_onednn(every_case_on_onednn):
    on = _r1_penalty_grad(True, numpy.float32)
    ref = _r1_penalty_grad(False, numpy.float64)  # Chainer, float64
    for a, r in zip(on, ref):
        assert relative_error(a, r) < 1e-5


@needs_onednn
def test_a_small_training_step_is_bit_identical_twice():
    def step():
        numpy.random.seed(0)
        gen = nets.Generator(resolution=16, ch=32, n_hidden=8, init_seed=1)
        dis = nets.Discriminator(resolution=16, ch=32, init_seed=2)
        z = _rng(4).uniform(-1, 1, (4, 8, 1, 1)).astype(numpy.float32)
        with fast_backend.use_fast_backend(True):
            y = F.sum(dis(gen(z)))
            grads = chainer.grad([y], list(gen.params()) + list(dis.params()))
        return [g.array for g in grads]
    for a, b in zip(step(), step()):
        assert numpy.array_equal(a, b)


def test_missing_library_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(onednn_api, 'candidate_paths', lambda: ['/nonexistent/libdnnl.so.3'])
    with pytest.raises(OSError, match='not found'):
        onednn_api.load()
    monkeypatch.setattr(onednn, '_state', dict(onednn._state, tried=False, lib=None,
                                               reason=None))
    monkeypatch.setattr(onednn, '_cache', {})
    assert not onednn.available()
    assert 'libdnnl not found' in onednn.unavailable_reason()
    assert fast_backend.status()['onednn'].startswith('absent: ')
    assert onednn.forward is not None  # the module itself imported fine
    # The nodes then take the NumPy path.
    x, gy, W, b, k, s, p, side, out = _case(SHAPES[1])
    y = convolution_2d(x, W, b, s, p)
    assert relative_error(y.array, conv_ref(x, W, b, s, p)) < 1e-5


def test_routing_keeps_the_gemm_path_where_it_measured_faster():
    assert not onednn.preferred('backward_weights', (50, 512, 4, 4), (512, 512, 3, 3),
                                (50, 512, 4, 4), (1, 1))
    assert onednn.preferred('backward_weights', (50, 3, 32, 32), (64, 3, 3, 3),
                            (50, 64, 32, 32), (1, 1))
    # Narrow layers (32 channels or fewer on a side, the demo's --ch 128 nets)
    # measured faster on oneDNN (benchmarks/grad_w_route.py); 64 and up not.
    assert onednn.preferred('backward_weights', (32, 64, 16, 16), (32, 64, 3, 3),
                            (32, 32, 16, 16), (1, 1))
    assert not onednn.preferred('backward_weights', (32, 64, 8, 8), (128, 64, 4, 4),
                                (32, 128, 4, 4), (2, 2))
    assert not onednn.preferred('backward_data', (50, 256, 8, 8), (512, 256, 4, 4),
                                (50, 512, 4, 4), (2, 2))
    assert onednn.preferred('forward', (50, 256, 8, 8), (512, 256, 4, 4),
                            (50, 512, 4, 4), (2, 2))


def _child_convolves(shape, queue):
    x, gy, W, b, k, s, p, side, out = _case(shape)
    with fast_backend.use_fast_backend(True):
        y = convolution_2d(x, W, b, s, p)
    queue.put((relative_error(y.array, conv_ref(x, W, b, s, p)),
               fast_backend.status()['onednn']))


@needs_onednn
def test_a_forked_child_falls_back_instead_of_hanging():
    # GNU OpenMP's threads do not survive fork: a child that called oneDNN
    # would wait for them forever.
    import multiprocessing
    _run('forward', SHAPES[1])  # the parent has used oneDNN's threads
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    child = context.Process(target=_child_convolves, args=(SHAPES[1], queue))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        pytest.fail('the forked child hung')
    error, status = queue.get(timeout=5)
    assert error < 1e-5
    assert status.startswith('absent: not used in a forked child')
    assert onednn.available()  # the parent keeps it
