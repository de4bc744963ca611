"""SWD: zero against itself, grows with noise; pyramid; extension; evaluate CLI
(nearest neighbours: tests/test_nearest.py)."""
import numpy
import pytest

from dcgan.io import imaging
from dcgan.data.demo import make_demo_images
from dcgan.evaluation.swd import SWDError, SWDReference, laplacian_pyramid, level_count, pyr_up


@pytest.fixture(scope='module')
def images():
    return make_demo_images(32, 32, 3, seed=0)


@pytest.fixture(scope='module')
def reference(images):
    # Fewer patches than the default, for speed.
    return SWDReference(images, n_images=32, patches_per_image=32, seed=0)


def test_set_against_itself_is_zero(reference, images):
    assert reference.distance(images) == pytest.approx(0.0, abs=1e-6)


def test_grows_monotonically_with_noise(reference, images):
    rs = numpy.random.RandomState(0)
    noise = rs.standard_normal(images.shape)
    values = [reference.distance(numpy.clip(images / 255.0 + s * noise, 0, 1))
              for s in (0.0, 0.02, 0.05, 0.1, 0.2)]
    assert all(a < b for a, b in zip(values, values[1:])), values


def test_other_real_images_score_far_below_noise(reference):
    other = make_demo_images(32, 32, 3, seed=1)
    garbage = numpy.random.RandomState(0).rand(32, 3, 32, 32)
    assert reference.distance(other) < 0.3 * reference.distance(garbage)


def test_pyramid_levels_and_reconstruction(images):
    assert level_count(32) == 2 and level_count(28) == 1 and level_count(128) == 4
    lap = laplacian_pyramid(images, 3)
    assert [p.shape[2] for p in lap] == [32, 16, 8]
    rebuilt = lap[2]
    for band in (lap[1], lap[0]):
        rebuilt = band + pyr_up(rebuilt, band.shape[2:])
    numpy.testing.assert_allclose(rebuilt, images / 255.0, atol=1e-5)


def test_shape_mismatch_is_a_clear_error(reference):
    with pytest.raises(SWDError, match='reference images'):
        reference.distance(numpy.zeros((4, 1, 32, 32), numpy.uint8))


def test_extension_reports_swd(images):
    import chainer
    from dcgan.extensions.swd_report import SWDReport
    from tests.helpers import tiny_updater
    gen = tiny_updater(resolution=32, ch=16).gen
    ext = SWDReport(gen, images[:8], n_images=8)
    observation = {}
    with chainer.reporter.Reporter().scope(observation):
        ext()
    assert observation['swd'] > 0
    with chainer.reporter.Reporter().scope({}) :
        assert ext.evaluate() == observation['swd']  # fixed z and patches


def _saved_generator(tmp_path):
    import chainer
    from tests.helpers import tiny_updater
    gen = tiny_updater(resolution=16, ch=16).gen
    path = str(tmp_path / 'gen_iter_1.npz')
    chainer.serializers.save_npz(path, gen)
    folder = tmp_path / 'data'
    for i, img in enumerate(make_demo_images(12, 16, 3, seed=0)):
        imaging.save_png(str(folder / '{}.png'.format(i)), img.transpose(1, 2, 0))
    return path, str(folder)


def test_evaluate_cli_prints_swd_and_writes_nearest(tmp_path, capsys):
    from dcgan.cli.evaluate import main, nearest_main
    gen, folder = _saved_generator(tmp_path)
    nn = str(tmp_path / 'nn.png')
    assert main(['--gen', gen, '--dataset', folder, '--samples', '16', '--nearest', nn]) == 0
    out = capsys.readouterr().out
    assert out.startswith('swd ') and float(out.split()[1]) > 0
    assert (tmp_path / 'nn.png').exists()
    nearest_main(['--gen', gen, '--dataset', folder, '-o', str(tmp_path / 'n2.png'),
                  '--samples', '3', '--k', '2'])
    from PIL import Image
    assert Image.open(str(tmp_path / 'n2.png')).size[1] > Image.open(str(tmp_path / 'n2.png')).size[0] / 3


def test_evaluate_cli_bad_file_is_one_sentence(tmp_path, capsys):
    from dcgan.cli.evaluate import main
    with pytest.raises(SystemExit):
        main(['--gen', str(tmp_path / 'missing.npz')])
    err = capsys.readouterr().err
    assert err.startswith('error: --gen') and err.count('\n') == 1
