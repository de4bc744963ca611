"""The built-in demo images and datasets/make_demo.py."""
import os

import numpy
import pytest
from PIL import Image

from dcgan.data import DatasetError, find_image_files, load_image_folder
from dcgan.data.demo import (_draw_parameters, demo_image_folder,
                             make_demo_images, make_demo_labelled)
from tests.labelled_demo import make_demo_script


def test_shape_and_dtype():
    images = make_demo_images(n=20, resolution=32, channels=3, seed=0)
    assert images.shape == (20, 3, 32, 32)
    assert images.dtype == numpy.uint8
    gray = make_demo_images(n=5, resolution=16, channels=1, seed=0)
    assert gray.shape == (5, 1, 16, 16)


def test_deterministic_for_a_seed_and_different_for_another():
    a = make_demo_images(n=40, seed=3)
    b = make_demo_images(n=40, seed=3)
    c = make_demo_images(n=40, seed=4)
    numpy.testing.assert_array_equal(a, b)
    assert not numpy.array_equal(a, c)


def test_images_have_structure_not_constant():
    images = make_demo_images(n=64, resolution=32, seed=0).astype(float)
    # Every image has a shape that stands out from its background ...
    per_image_spread = images.reshape(64, -1).std(axis=1)
    assert (per_image_spread > 10).all()
    # ... and the images differ from one another.
    assert images.std(axis=0).mean() > 20
    # The centre of the picture (where the shape is) differs from the
    # corners (background) in most images.
    centre = images[:, :, 14:18, 14:18].mean(axis=(2, 3))
    corner = images[:, :, :3, :3].mean(axis=(2, 3))
    assert (numpy.abs(centre - corner).max(axis=1) > 40).mean() > 0.8


def test_demo_image_folder():
    folder = demo_image_folder(resolution=16, channels=3, n=10, seed=1)
    assert folder.images.shape == (10, 3, 16, 16)
    assert folder.paths[0] == '<demo>/0000' and len(folder.paths) == 10
    assert folder.skipped == []
    assert (folder.resolution, folder.channels) == (16, 3)
    numpy.testing.assert_array_equal(
        folder.images, make_demo_images(n=10, resolution=16, seed=1))


@pytest.mark.parametrize('kwargs', [{'n': 0}, {'resolution': 4},
                                    {'channels': 2}])
def test_bad_arguments(kwargs):
    with pytest.raises(DatasetError):
        make_demo_images(**kwargs)


def test_make_demo_cli_writes_the_same_images(tmp_path, capsys):
    make_demo = make_demo_script()
    out = tmp_path / 'demo'
    assert make_demo.main(['--out', str(out), '--n', '6', '--resolution',
                           '24', '--seed', '2']) == 0
    files = find_image_files(str(out))
    assert len(files) == 6
    assert Image.open(files[0]).size == (24, 24)
    assert not [f for f in os.listdir(out) if f.startswith('.')]
    folder = load_image_folder(str(out))
    numpy.testing.assert_array_equal(
        folder.images, make_demo_images(n=6, resolution=24, seed=2))
    assert 'wrote 6' in capsys.readouterr().out


def test_labelled_demo_is_the_same_images_with_their_shape():
    images, labels, names = make_demo_labelled(n=60, resolution=20, seed=5)
    numpy.testing.assert_array_equal(
        images, make_demo_images(n=60, resolution=20, seed=5))
    assert names == ['disc', 'maki', 'ring']
    assert labels.dtype == numpy.int32 and labels.shape == (60,)
    assert set(labels.tolist()) == {0, 1, 2}
    # The label is the shape that was drawn.
    images, labels, _ = make_demo_labelled(n=200, resolution=32, seed=0)
    params = _draw_parameters(numpy.random.RandomState(0), 200)
    kind_names = ['disc', 'ring', 'maki']
    assert [names[i] for i in labels] == [kind_names[k]
                                          for k in params['kind']]


def test_labelled_demo_bad_arguments_are_refused_the_same_way():
    with pytest.raises(DatasetError, match='positive whole'):
        make_demo_labelled(n=0)


def test_make_demo_cli_labelled_writes_class_folders(tmp_path, capsys):
    make_demo = make_demo_script()
    out = tmp_path / 'demo'
    assert make_demo.main(['--out', str(out), '--n', '12', '--resolution',
                           '16', '--seed', '3', '--labelled']) == 0
    assert sorted(os.listdir(out)) == ['disc', 'maki', 'ring']
    images, labels, names = make_demo_labelled(n=12, resolution=16, seed=3)
    for i in range(12):
        path = out / names[labels[i]] / 'demo_{:04d}.png'.format(i)
        pixels = numpy.asarray(Image.open(path)).transpose(2, 0, 1)
        numpy.testing.assert_array_equal(pixels, images[i])
    assert len(find_image_files(str(out))) == 12
    assert 'disc/ {}'.format((labels == 0).sum()) in capsys.readouterr().out
