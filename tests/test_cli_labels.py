"""Labelled training from the command line: summary, outputs, config, resume,
loaders and walk, and the sentences for what cannot work."""
import json
import os

import numpy
import pytest
from PIL import Image

from dcgan.cli import train, walk
from dcgan.extensions import walk_gif
from dcgan.io import model_files
from tests.test_cli_train import TINY, npz

TINY_LABELS = [a for a in TINY if a not in ('--no-walk-gif',)] + [
    '--walk-frames', '2', '--walk-keypoints', '2']


def run(tmp_path, *extra, out='out'):
    return train.main(TINY_LABELS + ['--out', str(tmp_path / out)] + list(extra))


def test_a_proj_run_shows_classes_in_rows_and_records_them(tmp_path, capsys):
    assert run(tmp_path, '--cond', 'proj', '--iteration', '3', '--snapshot_interval', '3',
               '--preview_rows', '3') == 0
    printed = capsys.readouterr().out
    assert '# Classes (3, from the built-in demo shapes): disc ' in printed
    assert '--cond proj; fake labels: class frequencies' in printed
    out = tmp_path / 'out'
    # One row per class (3), --preview_cols 3 columns of 32 px.
    assert Image.open(out / 'preview' / 'image00000003.png').size == (3 * 32, 3 * 32)
    for name in ('morph.gif', 'walk.gif', 'gen_iter_3.npz'):
        assert (out / name).is_file(), name
    config = json.loads((out / 'config.json').read_text())
    assert config['gen']['class_names'] == ['disc', 'maki', 'ring']
    assert config['gen']['cond'] == 'bn' and config['dis']['cond'] == 'proj'
    assert config['data']['classes'] == ['disc', 'maki', 'ring']
    assert sum(config['data']['class_counts']) == 24 and config['args']['cond'] == 'proj'


def test_without_labels_config_and_files_are_as_before(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '2', '--snapshot_interval', '2') == 0
    config = json.loads((tmp_path / 'out' / 'config.json').read_text())
    assert not set(config['args']) & {'cond', 'semi_supervised', 'labels', 'cond_weight'}
    assert 'classes' not in config['data'] and 'n_classes' not in config['gen']
    assert not any('class' in k for k in npz(tmp_path / 'out' / 'gen_iter_2.npz'))
    assert not (tmp_path / 'out' / 'morph.gif').exists()


def test_more_classes_than_rows_says_which_are_shown(tmp_path, capsys):
    assert run(tmp_path, '--cond', 'concat', '--iteration', '1', '--preview_rows', '2') == 0
    assert 'preview rows show 2 of the 3 classes: disc, maki' in capsys.readouterr().out


@pytest.mark.parametrize('method', ['acgan', 'proj'])
def test_a_labelled_run_resumes_exactly(tmp_path, capsys, method):
    flags = ['--cond', method, '--cond-warmup', '1:5', '--label-sampling', 'uniform',
             '--snapshot_interval', '100', '--no-walk-gif']
    assert run(tmp_path, '--iteration', '6', *flags, out='straight') == 0
    assert run(tmp_path, '--iteration', '4', *flags, out='split') == 0
    assert run(tmp_path, '--iteration', '6', *flags, out='split') == 0
    assert 'Resuming from' in capsys.readouterr().out
    for name in ('gen_iter_6.npz', 'dis_iter_6.npz'):
        a, b = npz(tmp_path / 'straight' / name), npz(tmp_path / 'split' / name)
        assert a.keys() == b.keys()
        for k in a:
            numpy.testing.assert_array_equal(a[k], b[k], err_msg=k)


def write_classes(root, n=6):
    for c, name in enumerate(('cats', 'dogs')):
        os.makedirs(root / name, exist_ok=True)
        for i in range(n):
            Image.new('RGB', (16, 16), (40 * i, 120 * c, 9)).save(root / name / '{}.png'.format(i))


def test_labelled_folder_hint_and_refusals(tmp_path, capsys):
    write_classes(tmp_path / 'data')
    base = ['--dataset', str(tmp_path / 'data'), '--iteration', '1', '--batchsize', '4']
    assert run(tmp_path, *base) == 0
    assert ('has 2 class sub-folders (cats, dogs); they are used as one unlabelled set: '
            'pass --cond proj') in capsys.readouterr().out
    flat = tmp_path / 'flat'
    os.makedirs(flat)
    Image.new('RGB', (16, 16)).save(flat / 'a.png')
    for extra, message in (
            (['--dataset', str(flat), '--cond', 'proj'], 'has 0 class sub-folders'),
            (base + ['--cond', 'concat', '--cond-weight', '2'], '--cond concat has none'),
            (base + ['--semi-supervised', '--cond-weight', '0'], 'give a positive weight'),
            (base + ['--cond', 'proj', '--cond-weight', '-1'], 'must be 0 or a positive'),
            (base + ['--semi-supervised', '--cond', 'acgan'], 'cannot be combined with --cond'),
            (base + ['--label-sampling', 'uniform'], 'only works with --cond'),
            (base + ['--cond', 'proj', '--cond-warmup', '5:2'], 'START must be 0 or more')):
        with pytest.raises(SystemExit):
            run(tmp_path, *extra)
        err = capsys.readouterr().err
        assert message in err and 'Traceback' not in err, err


def test_semi_supervised_run_on_a_partly_labelled_folder(tmp_path, capsys):
    write_classes(tmp_path / 'data')
    Image.new('RGB', (16, 16), (1, 2, 3)).save(tmp_path / 'data' / 'loose.png')
    assert run(tmp_path, '--dataset', str(tmp_path / 'data'), '--semi-supervised',
               '--iteration', '5', '--batchsize', '4', '--no-walk-gif') == 0
    printed = capsys.readouterr().out
    assert 'cats 6, dogs 6; 1 unlabelled; --semi-supervised (G unconditional)' in printed
    log = json.loads((tmp_path / 'out' / 'log').read_text())
    assert 'dis/class' in log[-1] and 'gen/fm' in log[-1]


def test_every_loader_rebuilds_a_conditional_generator_from_its_file(tmp_path, capsys):
    assert run(tmp_path, '--cond', 'concat', '--iteration', '2', '--snapshot_interval', '2',
               '--ema', '0.9') == 0
    out = tmp_path / 'out'
    for name in ('gen_iter_2.npz', 'gen_ema_iter_2.npz', 'snapshot_iter_2.npz'):
        for use_config in (True, False):
            loaded = model_files.load_generator(str(out / name), use_config=use_config)
            gen = loaded.gen
            assert (gen.n_classes, gen.cond, gen.class_names) == (3, 'concat',
                                                                 ['disc', 'maki', 'ring'])
            assert gen.n_hidden == 8
    # A copy of the file alone, far from its config.json, still knows its classes.
    lonely = tmp_path / 'elsewhere'
    os.makedirs(lonely)
    data = (out / 'gen_iter_2.npz').read_bytes()
    (lonely / 'g.npz').write_bytes(data)
    assert model_files.load_generator(str(lonely / 'g.npz')).gen.class_names[2] == 'ring'


def walk_frames(tmp_path, *extra):
    """The frames walk.py writes (as PNG with --frames-dir: a GIF's palette
    would blur the comparison)."""
    out, frames_dir = tmp_path / 'w.gif', tmp_path / 'frames'
    if frames_dir.exists():
        for f in frames_dir.iterdir():
            f.unlink()
    assert walk.main(['--gen', str(tmp_path / 'out'), '--out', str(out), '--frames', '3',
                      '--keypoints', '2', '--frames-dir', str(frames_dir)] + list(extra)) == 0
    return [numpy.asarray(Image.open(p).convert('RGB'), dtype=int)
            for p in sorted(frames_dir.iterdir())]


def write_drawing_generator(folder):
    """A conditional generator file whose samples differ by class in test
    mode (a 2-step run's still draw flat gray): random class tables, and
    running statistics of its own activations."""
    import chainer
    from dcgan.models import Generator
    gen = Generator(n_hidden=8, resolution=32, ch=32, init_seed=0, n_classes=3,
                    class_names=['disc', 'maki', 'ring'])
    rng = numpy.random.RandomState(0)
    for k in range(1, gen.n_stages + 1):
        bn = getattr(gen, 'bn%d' % k)
        bn.class_gamma.array[:] = rng.normal(0, 0.5, bn.class_gamma.shape)
    gen.dc4.W.array *= 50  # the example's N(0, 0.02) last layer draws flat gray
    with chainer.no_backprop_mode():
        for _ in range(40):
            z = rng.uniform(-1, 1, (12, 8, 1, 1)).astype(numpy.float32)
            gen(z, numpy.arange(12, dtype=numpy.int32) % 3)
    os.makedirs(folder, exist_ok=True)
    chainer.serializers.save_npz(str(folder / 'gen_iter_2.npz'), gen)
    model_files.save_config(str(folder / 'config.json'), gen)


def test_walk_class_and_morph(tmp_path, capsys):
    write_drawing_generator(tmp_path / 'out')
    assert len(walk_frames(tmp_path, '--class', 'ring')) == 2 * 3  # 2 keypoints, closed
    frames = walk_frames(tmp_path, '--morph', 'disc,ring,maki')
    assert len(frames) == 3 * 3  # three classes, three frames each, looping back
    # Frame 0 and the keyframes 3 and 6 are the pure classes at the morph's z.
    loaded = model_files.load_generator(str(tmp_path / 'out' / 'gen_iter_2.npz'))
    z = walk.load_keypoints(walk.build_parser().parse_args(
        ['--gen', 'x', '--keypoints', '2']), 1, loaded.gen.n_hidden)[:, 0, :]
    pure = [numpy.repeat(numpy.repeat(walk_gif.render(
        loaded.gen, z, 8, numpy.array([c], numpy.int32))[0].transpose(1, 2, 0), 4, 0), 4, 1)
        for c in range(3)]
    for frame, cls in ((0, 0), (3, 2), (6, 1)):
        distance = [float(numpy.abs(frames[frame] - p).mean()) for p in pure]
        assert distance[cls] < 0.5 and min(d for c, d in enumerate(distance) if c != cls) > 2, \
            (frame, distance)
    assert len(walk_frames(tmp_path, '--morph', 'disc,ring', '--open')) == 3 + 1
    for extra, message in ((['--class', 'tuna'], "no class 'tuna'; its classes: disc, maki, ring"),
                           (['--morph', 'disc'], 'a morph needs at least two classes')):
        with pytest.raises(SystemExit):
            walk_frames(tmp_path, *extra)
        assert message in capsys.readouterr().err


def test_walk_class_on_an_unconditional_model_says_so(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '1', '--no-walk-gif') == 0
    with pytest.raises(SystemExit):
        walk_frames(tmp_path, '--class', 'disc')
    assert 'trained without classes (unconditional)' in capsys.readouterr().err


def test_class_previews_gifs_and_checks_leave_training_unchanged(tmp_path, capsys):
    common = ['--cond', 'proj', '--iteration', '3', '--snapshot_interval', '2']
    assert run(tmp_path, *common, '--no-walk-gif', '--swd-interval', '0',
               '--nearest-interval', '0', out='bare') == 0
    # Walk and morph GIFs, SWD, nearest grids and an EMA all at iteration 2.
    assert run(tmp_path, *common, '--ema', '0.9', '--swd-samples', '24', out='all') == 0
    assert (tmp_path / 'all' / 'morph' / 'morph_iter_2.gif').is_file()
    for name in ('gen_iter_3.npz', 'dis_iter_3.npz'):
        a, b = npz(tmp_path / 'bare' / name), npz(tmp_path / 'all' / name)
        for k in a:
            numpy.testing.assert_array_equal(a[k], b[k], err_msg=k)
