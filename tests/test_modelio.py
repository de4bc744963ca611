"""Reading generator files: the example's format, snapshots, refusals."""
import json
import os
import pickle

import chainer
import numpy
import pytest
from chainer import training
from chainer.training import extensions

from dcgan.io import model_files
from dcgan.data import ImageArrayDataset, to_float_batch
from dcgan.extensions import walk_gif
from dcgan.models.nets import Discriminator, Generator
from dcgan.training.updater import DCGANUpdater

EXAMPLE_KEYS = {'l0/W', 'l0/b'} | {
    'bn%d/%s' % (k, name) for k in range(4)
    for name in ('gamma', 'beta', 'avg_mean', 'avg_var', 'N')} | {
    'dc%d/%s' % (k, name) for k in range(1, 5) for name in ('W', 'b')}


def small_generator(seed=0, **kwargs):
    numpy.random.seed(seed)  # the initialisers draw from the global RNG
    kwargs.setdefault('ch', 32)
    gen = Generator(**kwargs)
    # Non-trivial running statistics, so that loading them is tested too.
    for k in range(gen.n_stages + 1):
        bn = getattr(gen, 'bn%d' % k)
        bn.avg_mean[...] = numpy.random.uniform(-0.1, 0.1, bn.avg_mean.shape)
        bn.avg_var[...] = numpy.random.uniform(0.5, 1.5, bn.avg_var.shape)
    return gen


def outputs(gen, n=4):
    z = numpy.random.RandomState(1).uniform(-1, 1, (n, gen.n_hidden)).astype(numpy.float32)
    return walk_gif.render(gen, z)


def test_example_format_file_has_the_examples_names_and_loads(tmp_path):
    gen = small_generator(ch=32)  # 32 px, bottom width 4, n_hidden 100
    path = str(tmp_path / 'gen_iter_100.npz')
    chainer.serializers.save_npz(path, gen)
    with numpy.load(path) as f:
        shapes = {k: f[k].shape for k in f.files}
    assert set(shapes) == EXAMPLE_KEYS
    assert shapes['l0/W'] == (4 * 4 * 32, 100)
    assert shapes['dc1/W'] == (32, 16, 4, 4)
    assert shapes['dc4/W'] == (4, 3, 3, 3)
    loaded = model_files.load_generator(path)
    assert loaded.config_source == 'array shapes' and loaded.prefix == ''
    assert loaded.config == gen.config()
    numpy.testing.assert_array_equal(outputs(loaded.gen), outputs(gen))


def test_examples_default_architecture_is_inferred_from_shapes():
    # The example's defaults: n_hidden 100, ch 512, bottom width 4.
    shapes = {'l0/W': (4 * 4 * 512, 100), 'dc1/W': (512, 256, 4, 4),
              'dc2/W': (256, 128, 4, 4), 'dc3/W': (128, 64, 4, 4), 'dc4/W': (64, 3, 3, 3)}
    config = model_files.infer_generator_config(shapes)
    assert config == dict(n_hidden=100, resolution=32, ch=512, out_channels=3,
                          n_stages=3, bottom_width=4)
    gray = dict(shapes, **{'dc4/W': (64, 1, 3, 3)})
    assert model_files.infer_generator_config(gray)['out_channels'] == 1


def test_other_architectures_round_trip(tmp_path):
    gen = small_generator(ch=16, resolution=28, n_hidden=12, out_channels=1)
    path = str(tmp_path / 'g.npz')
    chainer.serializers.save_npz(path, gen)
    loaded = model_files.load_generator(path)
    assert loaded.config == gen.config() and gen.config()['n_stages'] == 2
    numpy.testing.assert_array_equal(outputs(loaded.gen), outputs(gen))


def test_file_without_batchnorm_counts_loads(tmp_path):
    # Older Chainer versions did not save BatchNormalization's N.
    gen = small_generator(ch=16, resolution=16)
    arrays = {}
    chainer.serializers.DictionarySerializer(arrays).save(gen)
    arrays = {k: v for k, v in arrays.items() if not k.endswith('/N')}
    path = str(tmp_path / 'old.npz')
    numpy.savez(path, **arrays)
    numpy.testing.assert_array_equal(outputs(model_files.load_generator(path).gen), outputs(gen))


def tiny_trainer(out, gen, iterations=2):
    numpy.random.seed(0)
    dis = Discriminator(resolution=gen.resolution, ch=gen.ch)
    images = numpy.random.RandomState(0).randint(
        0, 256, (8, 3, gen.resolution, gen.resolution)).astype(numpy.uint8)
    iterator = chainer.iterators.SerialIterator(ImageArrayDataset(images), 4)
    opts = {}
    for name, model in (('gen', gen), ('dis', dis)):
        opts[name] = chainer.optimizers.Adam()
        opts[name].setup(model)
    updater = DCGANUpdater(models=(gen, dis), iterator=iterator, optimizer=opts,
                           converter=to_float_batch, device='@numpy')
    return training.Trainer(updater, (iterations, 'iteration'), out=out)


def test_trainer_snapshot_loads_the_generator_inside(tmp_path):
    gen = small_generator(ch=16, resolution=16)
    trainer = tiny_trainer(str(tmp_path), gen)
    trainer.extend(extensions.snapshot(), trigger=(2, 'iteration'))
    trainer.run()
    path = str(tmp_path / 'snapshot_iter_2')
    with numpy.load(path) as f:
        assert 'updater/model:gen/dc1/W' in f.files and 'updater/model:dis/c0_0/W' in f.files
    loaded = model_files.load_generator(path)
    assert loaded.prefix == model_files.SNAPSHOT_PREFIX
    numpy.testing.assert_array_equal(loaded.gen.dc1.W.array, gen.dc1.W.array)
    numpy.testing.assert_array_equal(loaded.gen.bn2.avg_var, gen.bn2.avg_var)
    numpy.testing.assert_array_equal(outputs(loaded.gen), outputs(gen))


def test_recorded_config_is_used_and_checked(tmp_path):
    gen = small_generator(ch=16, resolution=16, n_hidden=10)
    path = str(tmp_path / 'gen_iter_1.npz')
    chainer.serializers.save_npz(path, gen)
    model_files.save_config(str(tmp_path / 'config.json'), gen=gen, args={'seed': 0})
    loaded = model_files.load_generator(path)
    assert loaded.config_source == str(tmp_path / 'config.json')
    assert loaded.config == gen.config()

    wrong = dict(gen.config(), ch=32)
    (tmp_path / 'config.json').write_text(json.dumps({'gen': wrong}))
    with pytest.raises(model_files.ModelFileError) as e:
        model_files.load_generator(path)
    message = str(e.value)
    assert path in message and 'dc1/W has shape (16, 8, 4, 4), expected (32, 16, 4, 4)' in message
    # Ignoring the recorded config falls back to the shapes.
    assert model_files.load_generator(path, use_config=False).config == gen.config()
    other = tmp_path / 'other.json'
    other.write_text(json.dumps(gen.config()))  # a bare dict of Generator arguments
    assert model_files.load_generator(path, config_path=str(other)).config_source == str(other)


def test_unknown_config_keys_are_named(tmp_path):
    path = tmp_path / 'config.json'
    path.write_text(json.dumps({'gen': {'n_hidden': 10, 'wings': 2}}))
    with pytest.raises(model_files.ModelFileError, match='wings'):
        model_files.read_config(str(path))


def test_pickled_objects_are_refused_without_running_them(tmp_path):
    path = str(tmp_path / 'objects.npz')
    numpy.savez(path, **{'l0/W': numpy.array([{'a': 1}, None], dtype=object)})
    with pytest.raises(model_files.ModelFileError, match='pickled Python objects') as e:
        model_files.load_generator(path)
    assert path in str(e.value)

    marker = tmp_path / 'ran'

    class Payload(object):
        def __reduce__(self):
            return (open, (str(marker), 'w'))
    bare = tmp_path / 'payload.npz'
    bare.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(model_files.ModelFileError, match='pickled'):
        model_files.load_generator(str(bare))
    assert not marker.exists()


def test_truncated_and_corrupt_files_are_refused(tmp_path):
    path = str(tmp_path / 'gen.npz')
    chainer.serializers.save_npz(path, small_generator(ch=16, resolution=16))
    data = open(path, 'rb').read()
    cut = tmp_path / 'cut.npz'
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(model_files.ModelFileError, match='truncated') as e:
        model_files.load_generator(str(cut))
    assert str(cut) in str(e.value)
    # Damage inside the compressed data, with the archive's index intact.
    broken = bytearray(data)
    start = len(data) // 3
    broken[start:start + 64] = bytes(64)
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(bytes(broken))
    with pytest.raises(model_files.ModelFileError, match=str(bad)):
        model_files.load_generator(str(bad))
    empty = tmp_path / 'empty.npz'
    empty.write_bytes(b'')
    with pytest.raises(model_files.ModelFileError, match='empty.npz'):
        model_files.load_generator(str(empty))


def test_files_without_a_generator_say_what_they_hold(tmp_path):
    numpy.random.seed(0)
    path = str(tmp_path / 'dis_iter_1.npz')
    chainer.serializers.save_npz(path, Discriminator(resolution=16, ch=16))
    with pytest.raises(model_files.ModelFileError, match='holds no generator.*c0_0/W'):
        model_files.load_generator(path)
    single = str(tmp_path / 'z.npy')
    numpy.save(single, numpy.zeros((3, 4)))
    with pytest.raises(model_files.ModelFileError, match=r'single array of shape \(3, 4\)'):
        model_files.load_generator(single)
    with pytest.raises(model_files.ModelFileError, match='no such file'):
        model_files.load_generator(str(tmp_path / 'missing.npz'))


def test_shape_mismatch_lists_the_arrays(tmp_path):
    gen = small_generator(ch=16, resolution=16)
    path = str(tmp_path / 'g.npz')
    chainer.serializers.save_npz(path, gen)
    with pytest.raises(model_files.ModelFileError, match='l0/W has shape') as e:
        model_files.load_generator(path, config=dict(gen.config(), n_hidden=50))
    assert 'n_hidden=50' in str(e.value)


def test_save_config_is_json_and_atomic(tmp_path):
    gen = small_generator(ch=16, resolution=16)
    path = str(tmp_path / 'sub' / 'config.json')
    model_files.save_config(path, gen=gen, note='x')
    assert json.load(open(path))['gen'] == gen.config()
    assert model_files.read_config(path) == gen.config()
    assert [n for n in os.listdir(str(tmp_path / 'sub'))] == ['config.json']


def test_arrays_the_generator_has_no_place_for_are_refused(tmp_path):
    gen = small_generator(ch=16, resolution=16)
    arrays = {}
    chainer.serializers.DictionarySerializer(arrays).save(gen)
    arrays['dc1/W_u'] = numpy.ones((1, 8), numpy.float32)  # e.g. a spectral-norm hook's
    path = str(tmp_path / 'hooked.npz')
    numpy.savez(path, **arrays)
    expected = r'1 array\(s\) it has no place for \(dc1/W_u\)'
    with pytest.raises(model_files.ModelFileError, match=expected):
        model_files.load_generator(path)
