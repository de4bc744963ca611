"""dcgan.training.optimizers.Adam: Chainer's Adam + WeightDecay, bit for bit."""
import chainer
import chainer.links as L
import numpy
import pytest

from dcgan.training import optimizers
from dcgan.ops import threads


class _Net(chainer.Chain):
    def __init__(self):
        super(_Net, self).__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(3, 40, 4, initialW=chainer.initializers.Normal(0.1))
            self.bn = L.BatchNormalization(40)
            self.fc = L.Linear(None, 1)

    def __call__(self, x):
        return self.fc(self.bn(self.conv(x)))


def _train(make_optimizer, steps=4):
    net = _Net()
    net(numpy.zeros((1, 3, 8, 8), numpy.float32))  # initialise fc lazily
    rng = numpy.random.default_rng(0)
    for name, p in sorted(net.namedparams()):
        p.array[...] = rng.standard_normal(p.shape).astype(numpy.float32)
    opt = make_optimizer(net)
    for step in range(steps):
        x = rng.standard_normal((5, 3, 8, 8)).astype(numpy.float32)
        net.cleargrads()
        loss = chainer.functions.sum(net(x) ** 2)
        loss.backward()
        opt.update()
    return net, opt



@pytest.fixture(params=['whole', 'pieces'])
def pieces(request, monkeypatch):
    """'pieces': tiny slices over 3 threads, so slicing and threads are checked."""
    if request.param == 'pieces':
        monkeypatch.setattr(optimizers, 'PIECE', 37)
        monkeypatch.setattr(threads, 'MIN_ELEMENTS', 0)
        monkeypatch.setattr(threads, 'n_workers', lambda: 3)
    return request.param


def _chainer(weight_decay=0.0, **kw):
    """Chainer's Adam, with the WeightDecay hook the Chainer example adds."""
    def make(net):
        opt = chainer.optimizers.Adam(alpha=2e-4, beta1=0.5, **kw)
        opt.setup(net)
        if weight_decay:
            opt.add_hook(chainer.optimizer_hooks.WeightDecay(weight_decay))
        return opt
    return make


def _ours(**kw):
    def make(net):
        opt = optimizers.Adam(alpha=2e-4, beta1=0.5, **kw)
        opt.setup(net)
        return opt
    return make


def _assert_same_weights(got, want):
    pairs = list(zip(sorted(got.namedparams()), sorted(want.namedparams())))
    assert len(pairs) == 6  # conv W, b; bn gamma, beta; fc W, b
    for (name, a), (_, b) in pairs:
        numpy.testing.assert_array_equal(a.array, b.array, err_msg=name)


@pytest.mark.parametrize('weight_decay,weight_decay_rate', [(0.0, 0.0), (1e-4, 0.0), (1e-2, 1e-3)])
def test_matches_chainer_adam_with_weight_decay_hook(pieces, weight_decay, weight_decay_rate):
    want, _ = _train(_chainer(weight_decay, weight_decay_rate=weight_decay_rate))
    got, _ = _train(_ours(weight_decay=weight_decay, weight_decay_rate=weight_decay_rate))
    _assert_same_weights(got, want)
    # The weights did move (the comparison is not of two untouched nets).
    untouched, _ = _train(_ours(), steps=0)
    assert not numpy.array_equal(got.conv.W.array, untouched.conv.W.array)


def test_snapshot_state_is_chainers(tmp_path):
    _, ours = _train(_ours(weight_decay=1e-4))
    path = str(tmp_path / 'opt.npz')
    chainer.serializers.save_npz(path, ours)
    net = _Net()
    net(numpy.zeros((1, 3, 8, 8), numpy.float32))
    theirs = _chainer()(net)
    chainer.serializers.load_npz(path, theirs)
    assert theirs.t == ours.t == 4
    numpy.testing.assert_array_equal(net.conv.W.update_rule.state['m'],
                                     ours.target.conv.W.update_rule.state['m'])


def test_amsgrad_falls_back_to_chainer():
    want, _ = _train(_chainer(1e-3, amsgrad=True))
    got, _ = _train(_ours(weight_decay=1e-3, amsgrad=True))
    _assert_same_weights(got, want)
