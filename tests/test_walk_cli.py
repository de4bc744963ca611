"""dcgan-walk end to end on small generators."""
import os
import subprocess
import sys

import chainer
import numpy
import pytest
from PIL import Image, ImageSequence

from dcgan.io import imaging
from dcgan.models import latent
from dcgan.cli import walk
from dcgan.extensions import walk_gif
from dcgan.models.nets import Generator
from tests.helpers import assert_same_picture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def gen_file(tmp_path):
    """A random-init generator (its frames all differ) saved as the example does."""
    numpy.random.seed(0)
    gen = Generator(resolution=16, ch=16, n_hidden=10)
    path = tmp_path / 'run' / 'gen_iter_10.npz'
    path.parent.mkdir()
    chainer.serializers.save_npz(str(path), gen)
    return gen, str(path)


def gif_frames(path):
    with Image.open(path) as im:
        return [numpy.asarray(f.convert('RGB')) for f in ImageSequence.Iterator(im)]


def png(path):
    return numpy.asarray(Image.open(path).convert('RGB'))


def cell(gen, z, scale):
    """What the CLI should draw for one z: the upscaled image, (H, W, 3)."""
    image = walk_gif.render(gen, z[None])
    return imaging.upscale(image[0].transpose(1, 2, 0), scale)


def test_walk_gif_frames_pass_through_every_keypoint(gen_file, tmp_path, capsys):
    gen, path = gen_file
    out, zfile, frames_dir = tmp_path / 'w.gif', tmp_path / 'z.npy', tmp_path / 'frames'
    assert walk.main(['--gen', path, '--out', str(out), '-k', '3', '-f', '4', '--batch', '5',
                      '--save-z', str(zfile), '--frames-dir', str(frames_dir)]) == 0
    keypoints = numpy.load(str(zfile))
    numpy.testing.assert_array_equal(keypoints, latent.sample_keypoints(1, 3, 10, seed=0)[0])
    frames = gif_frames(str(out))
    assert len(frames) == 12 and frames[0].shape == (128, 128, 3)  # 16 px upscaled 8x
    assert sorted(os.listdir(str(frames_dir))) == ['frame_%05d.png' % i for i in range(12)]
    for k in range(3):  # rendered in batches of 5 against alone
        assert_same_picture(png(str(frames_dir / ('frame_%05d.png' % (4 * k)))),
                            cell(gen, keypoints[k], 8))
    printed = capsys.readouterr().out
    assert 'architecture from array shapes' in printed
    assert '12 frame(s) of 128x128 px' in printed and 'KiB' in printed


def test_given_keypoints_reproduce_the_walk(gen_file, tmp_path):
    gen, path = gen_file
    first, again = tmp_path / 'a', tmp_path / 'b'
    walk.main(['--gen', path, '--seed', '3', '-k', '2', '-f', '3', '--save-z',
               str(tmp_path / 'z.npy'), '--frames-dir', str(first),
               '--out', str(tmp_path / 'a.gif')])
    z = numpy.load(str(tmp_path / 'z.npy'))
    numpy.save(str(tmp_path / 'z4.npy'), z[:, :, None, None])  # (K, n_hidden, 1, 1) works too
    walk.main(['--gen', path, '--z', str(tmp_path / 'z4.npy'), '-f', '3',
               '--frames-dir', str(again), '--out', str(tmp_path / 'b.gif')])
    for name in sorted(os.listdir(str(first))):
        numpy.testing.assert_array_equal(png(str(first / name)), png(str(again / name)))


def test_grid_of_walks_and_default_output_beside_the_file(gen_file):
    gen, path = gen_file
    assert walk.main(['--gen', path, '--grid', '2x3', '-k', '2', '-f', '2', '--scale', '2',
                      '--gap', '1', '--duration', '50', '--loop', '2']) == 0
    out = os.path.join(os.path.dirname(path), 'walk.gif')
    frames = gif_frames(out)
    assert len(frames) == 4
    assert frames[0].shape == (2 * (2 * 16 + 1), 2 * (3 * 16 + 2), 3)
    with Image.open(out) as im:
        assert im.info['duration'] == 50 and im.info['loop'] == 2


def test_open_walk_has_one_frame_more(gen_file, tmp_path):
    gen, path = gen_file
    walk.main(['--gen', path, '-k', '3', '-f', '2', '--open', '--out', str(tmp_path / 'o.gif')])
    assert len(gif_frames(str(tmp_path / 'o.gif'))) == 5


def test_traversal_grid_rows_are_dimensions(gen_file, tmp_path):
    gen, path = gen_file
    out = tmp_path / 't.png'
    assert walk.main(['--gen', path, '--traverse', '0-2,7', '--values', '5', '--scale', '1',
                      '--gap', '0', '--out', str(out)]) == 0
    grid = png(str(out))
    assert grid.shape == (4 * 16, 5 * 16, 3)
    base = latent.sample_keypoints(1, 5, 10, seed=0)[0, 0]
    z = base.copy()
    z[7] = 1.0  # row 3 is dimension 7, last column is +1
    assert_same_picture(grid[48:64, 64:80], cell(gen, z, 1))  # a batch of 20 against alone


def test_snapshot_with_recorded_config(tmp_path, capsys):
    numpy.random.seed(1)
    gen = Generator(resolution=16, ch=16, n_hidden=10)
    arrays = {}
    chainer.serializers.DictionarySerializer(arrays, path='updater/model:gen/').save(gen)
    arrays['updater/iteration'] = numpy.array(5)
    numpy.savez_compressed(str(tmp_path / 'snapshot_iter_5.npz'), **arrays)
    from dcgan.io import model_files
    model_files.save_config(str(tmp_path / 'config.json'), gen=gen)
    assert walk.main(['--gen', str(tmp_path / 'snapshot_iter_5.npz'), '-k', '2', '-f', '2']) == 0
    printed = capsys.readouterr().out
    assert 'under updater/model:gen/' in printed and 'config.json' in printed
    assert len(gif_frames(str(tmp_path / 'walk.gif'))) == 4


@pytest.mark.parametrize('make, expected', [
    (lambda p: numpy.savez(p, x=numpy.array([None], dtype=object)), 'pickled Python objects'),
    (lambda p: open(p, 'wb').write(b'PK\x03\x04 not really'), 'truncated'),
])
def test_unusable_files_get_one_error_line(tmp_path, capsys, make, expected):
    path = str(tmp_path / 'gen.npz')
    make(path)
    with pytest.raises(SystemExit) as e:
        walk.main(['--gen', path])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ' + path) and expected in err and err.count('\n') == 1


def test_bad_flags_are_refused(gen_file, tmp_path, capsys):
    gen, path = gen_file
    numpy.save(str(tmp_path / 'z.npy'), numpy.zeros((3, 7)))
    with pytest.raises(SystemExit):
        walk.main(['--gen', path, '--z', str(tmp_path / 'z.npy')])
    assert 'n_hidden=10' in capsys.readouterr().err
    for bad in (['--grid', '3by3'], ['--out', 'walk.mp4'], ['--traverse', 'a-b'],
                ['--traverse', '40']):
        with pytest.raises(SystemExit):
            walk.main(['--gen', path] + bad)
        assert capsys.readouterr().err.strip()


@pytest.mark.skipif(chainer.backends.cuda.available, reason='CuPy is installed here')
def test_gpu_without_cupy_says_how_to_install(gen_file, capsys):
    with pytest.raises(SystemExit):
        walk.main(['--gen', gen_file[1], '--gpu', '0'])
    assert 'pip install -e' in capsys.readouterr().err


def test_example_script_runs(gen_file):
    gen, path = gen_file
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'examples', 'walk.py'), '--gen', path,
         '-k', '2', '-f', '2'], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert os.path.isfile(os.path.join(os.path.dirname(path), 'walk.gif'))


def test_a_result_folder_means_its_newest_generator(gen_file, tmp_path, capsys):
    gen, path = gen_file
    folder = os.path.dirname(path)
    numpy.random.seed(3)
    chainer.serializers.save_npz(os.path.join(folder, 'gen_iter_9.npz'),
                                 Generator(resolution=16, ch=16, n_hidden=10))
    assert walk.main(['--gen', folder, '-k', '2', '-f', '1']) == 0
    assert 'gen_iter_10.npz' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        walk.main(['--gen', str(tmp_path / 'empty_dir_does_not_exist')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit):
        walk.main(['--gen', str(tmp_path / 'empty')])
    assert 'is a folder without gen_iter_N.npz' in capsys.readouterr().err


def test_a_result_folder_prefers_the_ema_generator_of_the_newest_iteration(gen_file):
    _, path = gen_file
    folder = os.path.dirname(path)
    for name in ('gen_ema_iter_10.npz', 'gen_ema_iter_9.npz', 'snapshot_iter_10'):
        open(os.path.join(folder, name), 'wb').close()
    assert os.path.basename(walk.newest_model(folder)) == 'gen_ema_iter_10.npz'
    # A newer raw generator wins over an older EMA one (EMA turned off on resume).
    open(os.path.join(folder, 'gen_iter_11.npz'), 'wb').close()
    assert os.path.basename(walk.newest_model(folder)) == 'gen_iter_11.npz'
