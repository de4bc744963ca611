"""Small builders shared by the tests (tiny nets, a tiny updater)."""
import chainer
import numpy
import pytest
from chainer import training

import dcgan  # noqa: F401  (applies the compat layer before chainer is used)
from dcgan.data import ImageArrayDataset, to_float_batch
from dcgan.training.iterators import make_iterator
from dcgan.models.nets import Discriminator, Generator
from dcgan.training.updater import DCGANUpdater


def tiny_images(n=12, resolution=16, channels=3, seed=0):
    rs = numpy.random.RandomState(seed)
    return rs.randint(0, 256, (n, channels, resolution, resolution)).astype(numpy.uint8)


def tiny_updater(resolution=16, channels=3, ch=16, batchsize=4, seed=0, n_images=12,
                 gen_kwargs=None, dis_kwargs=None, **updater_kwargs):
    numpy.random.seed(seed)  # weight initialisers draw from the global RNG
    gen = Generator(n_hidden=8, resolution=resolution, ch=ch, out_channels=channels,
                    **(gen_kwargs or {}))
    dis = Discriminator(resolution=resolution, ch=ch, in_channels=channels,
                        **(dis_kwargs or {}))
    images = tiny_images(n_images, resolution, channels, seed)
    iterator = make_iterator(ImageArrayDataset(images), batchsize, seed=seed)
    optimizers = {}
    for name, model in (('gen', gen), ('dis', dis)):
        opt = chainer.optimizers.Adam(alpha=2e-4, beta1=0.5)
        opt.setup(model)
        opt.add_hook(chainer.optimizer_hooks.WeightDecay(1e-4))
        optimizers[name] = opt
    updater = DCGANUpdater(models=(gen, dis), iterator=iterator, optimizer=optimizers,
                           device='@numpy', converter=to_float_batch, seed=seed,
                           **updater_kwargs)
    return updater


def params(chain):
    return {name: p.array.copy() for name, p in chain.namedparams()}


def max_abs_diff(a, b):
    assert a.keys() == b.keys()
    return max(float(numpy.abs(a[k] - b[k]).max()) for k in a)


def assert_same_picture(got, expected):
    """uint8 pictures of one batch of z rendered in batches of other sizes:
    equal within one level, on under 1 % of the values. A GEMM's rounding
    of a row may depend on the number of rows (by an ulp, 3e-8, seen at
    ch=64), and to_uint8 then puts a value that close to a half-level on the
    other side; a wrong image differs far more."""
    got, expected = numpy.asarray(got), numpy.asarray(expected)
    assert got.shape == expected.shape
    diff = got.astype(int) - expected
    assert numpy.abs(diff).max() <= 1 and (diff != 0).mean() < 0.01


def run_until_crash(trainer, iteration):
    """Run ``trainer`` with an extension that raises at ``iteration``, as a
    crash or Ctrl-C in the middle of training would end it."""
    @training.make_extension(trigger=(iteration, 'iteration'))
    def crash(t):
        raise RuntimeError('stop here')
    trainer.extend(crash)
    with pytest.raises(RuntimeError, match='stop here'):
        trainer.run(show_loop_exception_msg=False)


def training_state(trainer):
    """Every number training depends on: weights, running statistics,
    optimizer moments, iterator position and RNG streams (to show an
    extension leaves them as they would be without it)."""
    arrays = {}
    chainer.serializers.DictionarySerializer(arrays).save(trainer.updater)
    arrays['global_rng'] = numpy.random.get_state()[1]
    return arrays


def run_steps(updater, n=3):
    """``n`` updates; each one's reported values as floats (``gen/...``, ``dis/...``)."""
    observations = []
    reporter = chainer.Reporter()
    reporter.add_observer('gen', updater.gen)
    reporter.add_observer('dis', updater.dis)
    for _ in range(n):
        obs = {}
        with reporter.scope(obs):
            updater.update()
        observations.append({k: float(getattr(v, 'array', v)) for k, v in obs.items()})
    return observations
