import chainer
import numpy
import pytest

from dcgan.models.nets import (ArchitectureError, Discriminator, Generator,
                        bottom_width_for, stages_for)


@pytest.mark.parametrize('resolution, stages, width', [
    (28, 2, 7), (32, 3, 4), (64, 3, 8), (96, 3, 12), (128, 4, 8), (256, 5, 8)])
def test_bottom_width_from_resolution(resolution, stages, width):
    assert stages_for(resolution) == stages
    assert bottom_width_for(resolution, stages) == width
    assert Generator(resolution=resolution, ch=64).bottom_width == width


def test_three_stages_match_the_examples_hand_edited_widths():
    # The example's Generator(bottom_width=4) makes 32 px; edited to 12 it makes 96 px.
    assert bottom_width_for(32, 3) == 4
    assert bottom_width_for(96, 3) == 12


def test_impossible_resolution_lists_working_sizes():
    with pytest.raises(ArchitectureError) as e:
        stages_for(30)
    assert '32' in str(e.value) and '30' in str(e.value)
    with pytest.raises(ArchitectureError) as e:
        bottom_width_for(30, 3)
    assert 'multiple of 8' in str(e.value)


def test_too_narrow_for_the_stages_is_refused():
    with pytest.raises(ArchitectureError, match='ch='):
        Generator(resolution=256, ch=16)


@pytest.mark.parametrize('channels', [1, 3])
@pytest.mark.parametrize('resolution', [28, 32, 64])
def test_output_shapes(channels, resolution):
    gen = Generator(n_hidden=10, resolution=resolution, ch=32, out_channels=channels)
    dis = Discriminator(resolution=resolution, ch=32, in_channels=channels)
    z = gen.make_hidden(2)
    assert z.shape == (2, 10, 1, 1) and z.dtype == numpy.float32
    x = gen(z)
    assert x.shape == (2, channels, resolution, resolution)
    assert float(x.array.min()) >= 0 and float(x.array.max()) <= 1
    assert dis(x).shape == (2, 1)
    assert dis.features(x).shape == (2, 32, gen.bottom_width, gen.bottom_width)


def _example_shapes(n_hidden=100, bottom_width=4, ch=512):
    """Key -> shape of Chainer's examples/dcgan net.py, written from its layer list."""
    w = bottom_width * bottom_width * ch
    gen = {'l0/W': (w, n_hidden), 'l0/b': (w,), 'bn0/gamma': (w,), 'bn0/beta': (w,),
           'bn0/avg_mean': (w,), 'bn0/avg_var': (w,), 'bn0/N': ()}
    for k, (cin, cout) in enumerate([(ch, ch // 2), (ch // 2, ch // 4), (ch // 4, ch // 8)], 1):
        gen['dc%d/W' % k] = (cin, cout, 4, 4)
        gen['dc%d/b' % k] = (cout,)
        for p in ('gamma', 'beta', 'avg_mean', 'avg_var'):
            gen['bn%d/%s' % (k, p)] = (cout,)
        gen['bn%d/N' % k] = ()
    gen['dc4/W'] = (ch // 8, 3, 3, 3)
    gen['dc4/b'] = (3,)
    dis = {}
    convs = [('c0_0', 3, ch // 8, 3), ('c0_1', ch // 8, ch // 4, 4), ('c1_0', ch // 4, ch // 4, 3),
             ('c1_1', ch // 4, ch // 2, 4), ('c2_0', ch // 2, ch // 2, 3),
             ('c2_1', ch // 2, ch, 4), ('c3_0', ch, ch, 3)]
    for name, cin, cout, k in convs:
        dis[name + '/W'] = (cout, cin, k, k)
        dis[name + '/b'] = (cout,)
        if name != 'c0_0':
            bn = 'bn' + name[1:]
            for p in ('beta', 'avg_mean', 'avg_var'):
                dis['%s/%s' % (bn, p)] = (cout,)
            dis[bn + '/N'] = ()
    dis['l4/W'] = (1, bottom_width * bottom_width * ch)
    dis['l4/b'] = (1,)
    return gen, dis


def _write_npz(path, shapes, seed):
    rs = numpy.random.RandomState(seed)
    arrays = {k: (numpy.asarray(7) if s == () else rs.standard_normal(s).astype(numpy.float32))
              for k, s in shapes.items()}
    numpy.savez(str(path), **arrays)
    return arrays


@pytest.mark.parametrize('resolution, bottom_width', [(32, 4), (96, 12)])
def test_example_npz_files_load(tmp_path, resolution, bottom_width):
    ch = 64  # the example's ch is 512; its key names and shape formulas are the same
    gen_shapes, dis_shapes = _example_shapes(bottom_width=bottom_width, ch=ch)
    gen_arrays = _write_npz(tmp_path / 'gen_iter_1000.npz', gen_shapes, 0)
    dis_arrays = _write_npz(tmp_path / 'dis_iter_1000.npz', dis_shapes, 1)
    gen = Generator(n_hidden=100, resolution=resolution, ch=ch)
    dis = Discriminator(resolution=resolution, ch=ch)
    chainer.serializers.load_npz(str(tmp_path / 'gen_iter_1000.npz'), gen)
    chainer.serializers.load_npz(str(tmp_path / 'dis_iter_1000.npz'), dis)
    numpy.testing.assert_array_equal(gen.dc2.W.array, gen_arrays['dc2/W'])
    numpy.testing.assert_array_equal(gen.bn0.avg_var, gen_arrays['bn0/avg_var'])
    numpy.testing.assert_array_equal(dis.l4.W.array, dis_arrays['l4/W'])
    # Nothing in our default nets is missing from the example's files, and back.
    ours = {}
    chainer.serializers.DictionarySerializer(ours).save(gen)
    assert set(ours) == set(gen_shapes)
    ours = {}
    chainer.serializers.DictionarySerializer(ours).save(dis)
    assert set(ours) == set(dis_shapes)


def test_default_nets_have_the_examples_shapes():
    gen_shapes, dis_shapes = _example_shapes()
    for chain, shapes in ((Generator(), gen_shapes), (Discriminator(), dis_shapes)):
        saved = {}
        chainer.serializers.DictionarySerializer(saved).save(chain)
        assert {k: tuple(numpy.shape(v)) for k, v in saved.items()} == shapes


def test_discriminator_noise_only_while_training_and_optional():
    dis = Discriminator(resolution=16, ch=16)
    x = numpy.random.RandomState(0).rand(2, 3, 16, 16).astype(numpy.float32)
    with chainer.using_config('train', False):
        a, b = dis(x).array, dis(x).array
    numpy.testing.assert_array_equal(a, b)
    quiet = Discriminator(resolution=16, ch=16, noise_sigma=0)
    quiet.copyparams(dis)
    with chainer.using_config('train', True):
        assert not numpy.array_equal(dis(x).array, dis(x).array)
        numpy.testing.assert_allclose(quiet(x).array, quiet(x).array)


def test_spectral_norm_hook_runs_on_the_fast_cpu_path():
    # The hook's power iteration updates u on every training forward; a
    # fast path that read link.W directly would leave u untouched.
    dis = Discriminator(resolution=16, ch=16, spectral_norm=True)
    x = numpy.random.RandomState(0).rand(2, 3, 16, 16).astype(numpy.float32)
    hook = dis.c1_0.local_link_hooks['SpectralNormalization']
    with chainer.using_config('train', True):
        dis(x)
        u_before = getattr(dis.c1_0, hook.vector_name).copy()
        dis(x)
    assert not numpy.array_equal(u_before, getattr(dis.c1_0, hook.vector_name))


@pytest.mark.parametrize('net', [Generator, Discriminator])
def test_a_bottom_width_that_does_not_make_the_resolution_is_refused(net):
    with pytest.raises(ArchitectureError, match='gives 64 px, not 32'):
        net(resolution=32, ch=32, n_stages=3, bottom_width=8)
    assert net(resolution=32, ch=32, n_stages=3, bottom_width=4).bottom_width == 4
