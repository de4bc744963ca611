"""Labelled sets: classes from sub-folders and label files, and the refusals."""
import json
import os
import warnings

import numpy
import pytest
from PIL import Image

from dcgan.data import DatasetError, LabelWarning, load_labelled_folder, looks_labelled
from dcgan.data.labels import read_label_file


def write_image(path, colour, size=16):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new('RGB', (size, size), colour).save(path)


def make_classes(root, counts, nested=False):
    """One sub-folder per class name with ``count`` distinct images each."""
    for c, (name, count) in enumerate(sorted(counts.items())):
        for i in range(count):
            sub = os.path.join(name, 'deep', 'er') if nested and i % 2 else name
            write_image(os.path.join(root, sub, '{}.png'.format(i)), (10 * i, 40 * c, 7))


def load(root, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        folder = load_labelled_folder(str(root), **kwargs)
    return folder, [str(w.message) for w in caught if issubclass(w.category, LabelWarning)]


def test_class_ids_follow_sorted_names_and_images_are_found_nested(tmp_path):
    make_classes(tmp_path, {'tuna': 20, 'ebi': 20, 'salmon': 20}, nested=True)
    os.makedirs(tmp_path / '.thumbnails')
    write_image(str(tmp_path / '.thumbnails' / 'x.png'), (1, 2, 3))  # hidden: not a class
    folder, warned = load(tmp_path)
    assert folder.class_names == ['ebi', 'salmon', 'tuna']
    assert folder.counts.tolist() == [20, 20, 20]
    assert folder.images.shape == (60, 3, 16, 16) and folder.labels.dtype == numpy.int32
    for path, label in zip(folder.paths, folder.labels):
        assert os.path.relpath(path, str(tmp_path)).split(os.sep)[0] == folder.class_names[label]
    assert any(os.sep + 'deep' + os.sep in p for p in folder.paths)
    assert warned == [] and folder.source == 'folders'
    assert looks_labelled(str(tmp_path))


def test_loose_images_and_empty_classes_are_refused_naming_them(tmp_path):
    make_classes(tmp_path, {'a': 3, 'b': 3})
    write_image(str(tmp_path / 'stray.png'), (0, 0, 0))
    with pytest.raises(DatasetError, match=r'1 image beside its class folders \(stray.png\)'):
        load(tmp_path)
    os.remove(str(tmp_path / 'stray.png'))
    os.makedirs(tmp_path / 'c' / 'empty')
    with pytest.raises(DatasetError, match=r'class folder c in .* holds no image'):
        load(tmp_path)


def test_a_single_class_folder_is_not_a_labelled_set(tmp_path):
    make_classes(tmp_path, {'only': 3})
    assert not looks_labelled(str(tmp_path))
    with pytest.raises(DatasetError, match='1 class sub-folder .only.; labelled training needs two'):
        load(tmp_path)


def test_semi_supervised_keeps_loose_images_unlabelled(tmp_path):
    make_classes(tmp_path, {'a': 3, 'b': 3})
    write_image(str(tmp_path / 'stray.png'), (0, 0, 0))
    folder, _ = load(tmp_path, allow_unlabelled=True)
    assert folder.n_unlabelled == 1 and folder.counts.tolist() == [3, 3]
    assert folder.labels[folder.paths.index(str(tmp_path / 'stray.png'))] == -1


def test_thin_imbalanced_classes_and_duplicates_are_warned_about(tmp_path):
    make_classes(tmp_path, {'big': 30, 'small': 2})
    # The same picture filed under both classes.
    Image.open(str(tmp_path / 'big' / '0.png')).save(str(tmp_path / 'small' / 'copy.png'))
    folder, warned = load(tmp_path)
    assert folder.counts.tolist() == [30, 3]
    text = ' | '.join(warned)
    assert 'class small has fewer than 20 images' in text
    assert 'imbalanced: big has 30 images and small has 3' in text
    assert 'same picture is in two classes' in text and 'copy.png' in text


def test_chainer_label_file_and_stylegan_dataset_json(tmp_path):
    for i in range(4):
        write_image(str(tmp_path / 'img' / 'my pic {}.png'.format(i)), (60 * i, 0, 0))
    text = tmp_path / 'labels.txt'
    text.write_text('# Chainer LabeledImageDataset\nimg/my pic 0.png 7\nimg/my pic 1.png 3\n'
                    'img/my pic 2.png 7\n')
    folder, _ = load(tmp_path, label_file=str(text))
    # Integer labels sort by value; the unlisted image is left out.
    assert folder.class_names == ['3', '7'] and folder.counts.tolist() == [1, 2]
    assert len(folder.images) == 3 and folder.source == str(text)
    data = tmp_path / 'dataset.json'
    data.write_text(json.dumps({'labels': [['img/my pic 0.png', 0], ['img/my pic 1.png', 1],
                                           ['img/my pic 3.png', 1]]}))
    folder, _ = load(tmp_path, label_file=str(data))
    assert folder.class_names == ['0', '1'] and folder.counts.tolist() == [1, 2]


def test_label_file_problems_get_a_sentence(tmp_path):
    write_image(str(tmp_path / 'a.png'), (0, 0, 0))
    bad = tmp_path / 'bad.txt'
    bad.write_text('a.png\n')
    with pytest.raises(DatasetError, match='line 1: expected "relative/path.png label"'):
        read_label_file(str(bad))
    missing = tmp_path / 'missing.txt'
    missing.write_text('a.png x\nb.png y\n')
    with pytest.raises(DatasetError, match=r'lists 1 file not found .* \(b.png\)'):
        load(tmp_path, label_file=str(missing))
    broken = tmp_path / 'd.json'
    broken.write_text('{"labels": null}')
    with pytest.raises(DatasetError, match="StyleGAN2-ADA's dataset.json"):
        read_label_file(str(broken))


def test_demo_images_labelled_by_hue_family():
    from dcgan.data.demo import make_demo_labelled, make_demo_images
    images, hue, names = make_demo_labelled(120, by='hue')
    _, shape, shapes = make_demo_labelled(120)
    assert names == ['blue', 'green', 'red'] and shapes == ['disc', 'maki', 'ring']
    numpy.testing.assert_array_equal(images, make_demo_images(120))
    # A disc's centre is the shape's colour: its strongest channel names the family.
    channel = {'red': 0, 'green': 1, 'blue': 2}
    discs = numpy.flatnonzero(shape == shapes.index('disc'))
    agree = [numpy.argmax(images[i, :, 14:18, 14:18].mean(axis=(1, 2))) == channel[names[hue[i]]]
             for i in discs]
    assert numpy.mean(agree) > 0.8
    with pytest.raises(DatasetError, match='demo labels are by shape or hue'):
        make_demo_labelled(4, by='size')
