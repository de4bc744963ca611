"""dcgan-evaluate on a conditional generator: the per-class table and pictures.

A stand-in generator that draws real demo images of the class it is asked
for must score high on the classifier column, one that draws the next class
low; the classifier is the one tests/labelled_demo.py trains once (stood in
for the CLI's own, which would take seconds to train again). Measured with 32
samples a class: classifier 0.84-1.0 vs 0-0.09, per-class SWD 53-104 vs 143-436.
"""
import os

import chainer
import numpy
import pytest

from dcgan.cli import evaluate
from dcgan.data.demo import make_demo_labelled
from dcgan.evaluation import classifier as classifier_module
from dcgan.io import model_files
from dcgan.models.nets import Generator
from tests.labelled_demo import demo_classifier, make_demo_script

NAMES = ['disc', 'maki', 'ring']


class DrawsRealImages(chainer.Chain):
    """gen(z, y): a fresh demo image of class (y + shift) % 3, picked by z."""

    n_hidden = 4
    resolution = 32
    out_channels = 3
    n_classes = 3
    class_names = NAMES

    def __init__(self, shift):
        super().__init__()
        self.shift = shift
        self.pool, self.pool_labels, _ = make_demo_labelled(n=300, resolution=32, seed=9)

    def forward(self, z, y):
        out = []
        for z_i, y_i in zip(z, y):
            members = numpy.flatnonzero(self.pool_labels == (int(y_i) + self.shift) % 3)
            pick = int((z_i[0, 0, 0] + 1) / 2 * (len(members) - 1))
            out.append(self.pool[members[pick]])
        return numpy.stack(out).astype(numpy.float32) / 255


@pytest.fixture
def stand_in(monkeypatch):
    """Make --gen load a DrawsRealImages(shift), and the classifier the shared one."""
    def use(shift):
        monkeypatch.setattr(model_files, 'load_generator', lambda *a, **k: (
            model_files.LoadedGenerator(DrawsRealImages(shift), 'stand-in', '', {}, 'test')))
        monkeypatch.setattr(classifier_module, 'train_classifier',
                            lambda *a, **k: demo_classifier())
    return use


def _table(out):
    """{class: row fields} of the per-class table."""
    rows = {}
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] in NAMES + ['mean']:
            rows[fields[0]] = fields
    return rows


def test_the_classifier_column_tells_the_asked_class_from_another(stand_in, capsys):
    argv = ['--gen', 'x.npz', '--demo_images', '240', '--samples', '32',
            '--class-samples', '32']
    stand_in(0)
    assert evaluate.main(argv) == 0
    right = capsys.readouterr().out
    stand_in(1)
    assert evaluate.main(argv) == 0
    wrong = _table(capsys.readouterr().out)
    assert right.startswith('swd ') and 'per class (32 samples asked of each, seed 0)' in right
    right = _table(right)
    assert sorted(right) == sorted(NAMES + ['mean'])
    held = demo_classifier().held_out_accuracy
    for k, name in enumerate(NAMES):
        # images, swd, nearest median, /, min, real, classifier, held-out, of, count
        assert right[name][-3:] == ['{:.2f}'.format(held.per_class[k]), 'of',
                                    str(held.counts[k])]
        assert float(right[name][2]) < float(wrong[name][2])  # per-class SWD
    assert float(right['mean'][2]) > 0.75 and float(wrong['mean'][2]) < 0.4
    assert right['disc'][1] == str((make_demo_labelled(240)[1] == 0).sum())


def test_a_saved_conditional_generator_on_a_labelled_folder(tmp_path, capsys):
    make_demo = make_demo_script()
    folder = str(tmp_path / 'shapes')
    make_demo.main(['--out', folder, '--n', '30', '--resolution', '16', '--labelled'])
    # The generator knows only two of the folder's classes, in its own order:
    # they are matched by name and the rings are left out of the per-class table.
    numpy.random.seed(0)
    gen = Generator(n_hidden=8, resolution=16, ch=16, n_classes=2, class_names=['maki', 'disc'])
    path = str(tmp_path / 'gen_iter_1.npz')
    chainer.serializers.save_npz(path, gen)
    capsys.readouterr()
    nn = str(tmp_path / 'nn.png')
    assert evaluate.main(['--gen', path, '--dataset', folder, '--samples', '16',
                          '--class-samples', '4', '--classifier-iterations', '2',
                          '--nearest', nn, '--nearest-samples', '4', '--k', '2']) == 0
    out = capsys.readouterr().out
    rows = _table(out)
    _, labels, _ = make_demo_labelled(30, 16)
    assert rows['maki'][1] == str((labels == 1).sum()) and rows['disc'][1] == str(
        (labels == 0).sum())
    assert 'ring' not in rows
    assert 'each beside its 2 nearest training images of its class' in out
    assert os.path.exists(nn)


def test_classes_the_folder_lacks_are_named(tmp_path, capsys):
    folder = tmp_path / 'other'
    from dcgan.io.imaging import save_png
    images, _, _ = make_demo_labelled(4, 16)
    for i, name in enumerate(['tuna', 'tuna', 'salmon', 'salmon']):
        save_png(str(folder / name / '{}.png'.format(i)), images[i].transpose(1, 2, 0))
    numpy.random.seed(0)
    gen = Generator(n_hidden=8, resolution=16, ch=16, n_classes=3, class_names=NAMES)
    path = str(tmp_path / 'gen.npz')
    chainer.serializers.save_npz(path, gen)
    with pytest.raises(SystemExit):
        evaluate.main(['--gen', path, '--dataset', str(folder)])
    err = capsys.readouterr().err
    assert err.count('\n') == 1
    assert "has no images of the generator's classes disc, maki, ring" in err
    assert 'its classes: salmon, tuna' in err


def test_the_demo_is_refused_for_other_classes_and_labels_for_unconditional(tmp_path, capsys):
    numpy.random.seed(0)
    path = str(tmp_path / 'gen.npz')
    chainer.serializers.save_npz(path, Generator(n_hidden=8, resolution=16, ch=16, n_classes=2,
                                                 class_names=['tuna', 'salmon']))
    with pytest.raises(SystemExit):
        evaluate.main(['--gen', path])
    assert 'not the demo shapes or hues; give its labelled folder with --dataset' in \
        capsys.readouterr().err
    plain = str(tmp_path / 'plain.npz')
    chainer.serializers.save_npz(plain, Generator(n_hidden=8, resolution=16, ch=16))
    with pytest.raises(SystemExit):
        evaluate.main(['--gen', plain, '--labels', 'labels.txt'])
    assert 'is not conditional' in capsys.readouterr().err
    assert evaluate.main(['--gen', plain, '--samples', '8']) == 0
    assert 'per class' not in capsys.readouterr().out
