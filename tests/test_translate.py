"""dcgan-translate and pix2pix generator files: rebuilt from the file alone, one output
per input of the input's size, bad files refused in a sentence."""
import json
import os

import chainer
import numpy
import pytest
from PIL import Image

import dcgan  # noqa: F401
from dcgan.cli import translate
from dcgan.io import unet_files
from dcgan.io.npz_files import ModelFileError
from dcgan.models.nets import Generator
from dcgan.models.unet import UNetGenerator


def saved_unet(folder, config=True, **kwargs):
    os.makedirs(str(folder), exist_ok=True)
    settings = dict(in_channels=1, out_channels=3, resolution=16, ngf=4, norm='instance',
                    dropout=0.25, init_seed=0)
    settings.update(kwargs)
    gen = UNetGenerator(**settings)
    path = os.path.join(str(folder), 'gen_iter_5.npz')
    chainer.serializers.save_npz(path, gen)
    if config:
        with open(os.path.join(str(folder), 'config.json'), 'w') as f:
            json.dump({'model': 'pix2pix', 'gen': gen.config(), 'args': {'test_mode': 'eval'},
                       'data': {'make_input': 'lineart'}}, f)
    return gen, path


def test_the_architecture_is_read_from_the_arrays_without_a_config(tmp_path):
    gen, path = saved_unet(tmp_path, config=False, resolution=(16, 32), norm='batch')
    loaded = unet_files.load_unet(path)
    assert loaded.config_source == 'array shapes' and loaded.config == gen.config()
    x = numpy.random.RandomState(0).rand(1, 1, 16, 32).astype(numpy.float32)
    with chainer.using_config('train', False):
        assert numpy.array_equal(loaded.gen(x).array, gen(x).array)


def test_wrong_files_are_refused_in_a_sentence(tmp_path):
    _, path = saved_unet(tmp_path / 'u', config=False)
    truncated = str(tmp_path / 'cut.npz')
    with open(path, 'rb') as f, open(truncated, 'wb') as g:
        g.write(f.read()[:300])
    with pytest.raises(ModelFileError, match='not a readable .npz file'):
        unet_files.load_unet(truncated)
    dcgan_file = str(tmp_path / 'dcgan_gen.npz')
    chainer.serializers.save_npz(dcgan_file, Generator(n_hidden=4, resolution=16, ch=16))
    with pytest.raises(ModelFileError, match='DCGAN generator.*not a pix2pix U-Net'):
        unet_files.load_unet(dcgan_file)
    pickled = str(tmp_path / 'pickled.npz')
    numpy.savez(pickled, x=numpy.array([object()], dtype=object))
    with pytest.raises(ModelFileError, match='pickled'):
        unet_files.load_unet(pickled)


def write_mixed_sizes(folder):
    rs = numpy.random.RandomState(0)
    sizes = {'a.png': (20, 13), 'b.jpg': (16, 16), 'sub/c.png': (40, 33)}
    for name, (w, h) in sizes.items():
        path = os.path.join(str(folder), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(rs.randint(0, 256, (h, w, 3)).astype(numpy.uint8)).save(path)
    return sizes


@pytest.mark.parametrize('extra', [[], ['--fit', 'resize', '--make-input', 'same',
                                        '--test-mode', 'paper', '--side-by-side']])
def test_a_folder_of_mixed_sizes_gives_one_output_per_input_of_its_size(tmp_path, extra):
    _, path = saved_unet(tmp_path / 'run')
    sizes = write_mixed_sizes(tmp_path / 'in')
    out = tmp_path / 'out'
    assert translate.main(['--gen', path, '--out', str(out), str(tmp_path / 'in')] + extra) == 0
    written = sorted(os.path.relpath(os.path.join(d, f), str(out))
                     for d, _, fs in os.walk(str(out)) for f in fs)
    assert written == ['a.png', 'b.png', 'sub/c.png']
    for name, (w, h) in sizes.items():
        picture = Image.open(os.path.join(str(out), os.path.splitext(name)[0] + '.png'))
        assert picture.size == ((2 * w, h) if extra else (w, h))


def test_translate_refuses_a_missing_model_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        translate.main(['--gen', str(tmp_path / 'none.npz'), '--out', str(tmp_path), 'x.png'])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'no such file' in err[0]
