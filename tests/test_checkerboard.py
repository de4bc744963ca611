"""Nearest-neighbour up-sampling in G, minibatch discrimination in D, and
the checkerboard number that tells the two up-samplings apart."""
import chainer
import chainer.functions as F
import numpy
import pytest

from dcgan import ops
from dcgan.evaluation.checkerboard import CheckerboardReference, grid_energy, grid_mask
from dcgan.models import Discriminator, Generator, layers
from dcgan.models.dis_options import minibatch_discrimination
from tests.helpers import tiny_images


@pytest.mark.parametrize('resolution', [16, 28, 48])
def test_both_upsamplings_give_the_same_shapes_and_the_default_keeps_the_examples_names(resolution):
    deconv = Generator(n_hidden=8, resolution=resolution, ch=32)
    nearest = Generator(n_hidden=8, resolution=resolution, ch=32, upsample='nearest')
    z = numpy.zeros((2, 8, 1, 1), numpy.float32)
    assert deconv(z).shape == nearest(z).shape == (2, 3, resolution, resolution)
    names = sorted(n for n, _ in deconv.namedparams())
    assert names == sorted(n for n, _ in nearest.namedparams())
    assert deconv.dc1.W.shape == (32, 16, 4, 4) and nearest.dc1.W.shape == (16, 32, 3, 3)
    assert 'upsample' not in deconv.config() and nearest.config()['upsample'] == 'nearest'


def test_the_fast_upsampling_equals_chainers_forward_backward_and_twice():
    x = numpy.random.RandomState(0).rand(2, 3, 5, 4).astype(numpy.float32)
    gy = numpy.random.RandomState(1).rand(2, 3, 10, 8).astype(numpy.float32)
    results = []
    for fast in (True, False):
        v = chainer.Variable(x.copy())
        with layers.use_fast_cpu(fast):
            y = layers.upsample(v)
            gx, = chainer.grad([y], [v], grad_outputs=[chainer.Variable(gy)],
                               enable_double_backprop=True)
            ggx, = chainer.grad([F.sum(gx * gx)], [v])
        results.append((y.array, gx.array, None if ggx is None else ggx.array))
    for a, b in zip(*results):
        if a is None or b is None:
            assert a is None and b is None
        else:
            numpy.testing.assert_allclose(a, b, rtol=1e-6)
    assert type(ops.upsample_nearest(x).array) is numpy.ndarray


def test_minibatch_discrimination_sees_a_collapsed_batch():
    link = chainer.links.Linear(12, 4 * 3, nobias=True)
    varied = numpy.random.RandomState(0).normal(size=(6, 12)).astype(numpy.float32)
    collapsed = numpy.repeat(varied[:1], 6, axis=0)
    o_varied = minibatch_discrimination(varied, link, 4, 3).array
    o_collapsed = minibatch_discrimination(collapsed, link, 4, 3).array
    # Five identical neighbours give exp(0) * 5 per kernel; varied ones less.
    numpy.testing.assert_allclose(o_collapsed, 5.0, rtol=1e-6)
    assert float(o_varied.max()) < 5.0
    halves = minibatch_discrimination(numpy.concatenate([varied[:3], collapsed[:3]]), link, 4, 3,
                                      groups=2).array
    numpy.testing.assert_allclose(halves[3:], 2.0, rtol=1e-6)  # within its own half
    d = Discriminator(resolution=16, ch=16, minibatch_discrimination=(5, 3))
    x = (tiny_images(4, 16) / 255.0).astype(numpy.float32)
    assert d.l4.W.shape == (1, 2 * 2 * 16 + 5) and d(x).shape == (4, 1)


def test_the_checkerboard_number_follows_the_grid_texture():
    real = tiny_images(32, 16).astype(numpy.float64) / 255
    reference = CheckerboardReference(real)
    assert reference.db(real) == pytest.approx(0.0)
    yy, xx = numpy.mgrid[0:16, 0:16]
    grid = ((yy + xx) % 2).astype(numpy.float64)  # period-2 checkerboard
    numbers = [reference.db(numpy.clip(real + a * (grid - 0.5), 0, 1))
               for a in (0.02, 0.05, 0.1, 0.2)]
    assert numbers == sorted(numbers) and numbers[0] > 0.1 and numbers[-1] > 5
    # A smooth blur of the same images has less grid energy than the images.
    blurred = (real + numpy.roll(real, 1, axis=3) + numpy.roll(real, 1, axis=2)) / 3
    assert reference.db(blurred) < 0
    assert grid_mask(16, 16).sum() == 15 and grid_energy(real).shape == (32,)
    with pytest.raises(ValueError, match='divisible by 4'):
        grid_mask(14, 16)
