"""Walk and progress GIF extensions: files, frames, resume, no effect on training."""
import os
import types

import chainer
import numpy
import pytest
from chainer import training
from PIL import Image, ImageSequence

from dcgan.io import imaging
from dcgan.models import latent
from dcgan.cli import train, train_args, train_extensions
from dcgan.data import ImageArrayDataset, to_float_batch
from dcgan.extensions import walk_gif
from dcgan.extensions.preview import PreviewGrid
from dcgan.extensions.progress_gif import ProgressGif, evenly_spaced, preview_iteration
from dcgan.models.nets import Discriminator, Generator
from dcgan.training.rng import TrainingRandom
from dcgan.training.updater import DCGANUpdater
from tests.helpers import assert_same_picture, run_until_crash
from tests.helpers import training_state as state


def tiny_trainer(out, iterations=4, seed=0):
    numpy.random.seed(seed)  # initialisers draw from the global RNG
    gen = Generator(resolution=16, ch=16, n_hidden=8)
    dis = Discriminator(resolution=16, ch=16)
    images = numpy.random.RandomState(seed).randint(0, 256, (8, 3, 16, 16)).astype(numpy.uint8)
    iterator = chainer.iterators.SerialIterator(ImageArrayDataset(images), 4, shuffle=False)
    opts = {}
    for name, model in (('gen', gen), ('dis', dis)):
        opts[name] = chainer.optimizers.Adam(alpha=2e-4, beta1=0.5)
        opts[name].setup(model)
    updater = DCGANUpdater(models=(gen, dis), iterator=iterator, optimizer=opts,
                           converter=to_float_batch, device='@numpy', seed=seed)
    return training.Trainer(updater, (iterations, 'iteration'), out=str(out))


def gif_frames(path):
    with Image.open(path) as im:
        return [numpy.asarray(f.convert('RGB')) for f in ImageSequence.Iterator(im)]


def test_extensions_leave_training_unchanged(tmp_path):
    plain = tiny_trainer(tmp_path / 'plain')
    plain.run()
    with_gifs = tiny_trainer(tmp_path / 'gifs')
    gen = with_gifs.updater.gen
    with_gifs.extend(walk_gif.LatentWalkGif(gen, n_keypoints=2, frames_per_segment=2),
                     trigger=(1, 'iteration'))
    with_gifs.extend(PreviewGrid(gen, 2, 2), trigger=(2, 'iteration'))
    with_gifs.extend(ProgressGif(), trigger=(2, 'iteration'))
    with_gifs.run()
    assert os.path.isfile(str(tmp_path / 'gifs' / 'walk' / 'walk_iter_3.gif'))
    assert os.path.isfile(str(tmp_path / 'gifs' / 'progress.gif'))
    a, b = state(plain), state(with_gifs)
    assert a.keys() == b.keys() and any(k.startswith('model:gen/bn0/avg') for k in a)
    for key in a:
        numpy.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_walk_extension_writes_the_same_walk_at_every_trigger(tmp_path):
    trainer = tiny_trainer(tmp_path, iterations=2)
    gen = trainer.updater.gen
    ext = walk_gif.LatentWalkGif(gen, n_keypoints=3, frames_per_segment=2, grid=(1, 2),
                                 seed=5, gap=0)
    assert ext.keypoints.shape == (2, 3, 8) and ext.scale == 8  # 16 px -> 128 px
    same = walk_gif.LatentWalkGif(gen, n_keypoints=3, frames_per_segment=2, grid=(1, 2), seed=5)
    numpy.testing.assert_array_equal(ext.keypoints, same.keypoints)
    # Not the z the training run draws first from the same seed.
    first_z = TrainingRandom(5).uniform((1, 8, 1, 1))[0, :, 0, 0]
    assert not numpy.allclose(ext.keypoints[0, 0], first_z)

    ext(trainer)  # iteration 0: the untrained generator, whose frames all differ
    frames = gif_frames(str(tmp_path / 'walk' / 'walk_iter_0.gif'))
    assert len(frames) == 6 and frames[0].shape == (128, 256, 3)
    # Frame 0 is the generator's output at the first keypoint of each walk.
    expected = walk_gif.walk_frames(
        walk_gif.render(gen, ext.keypoints[:, 0]), 1, 2, scale=8)[0]
    # frames() renders all 12 z of the walk in one batch, ``expected`` these 2.
    assert_same_picture(ext.frames()[0], expected)

    trainer.extend(ext, trigger=(1, 'iteration'))
    trainer.run()
    for it in (1, 2):
        assert os.path.isfile(str(tmp_path / 'walk' / ('walk_iter_%d.gif' % it)))
    latest = open(str(tmp_path / 'walk.gif'), 'rb').read()
    assert latest == open(str(tmp_path / 'walk' / 'walk_iter_2.gif'), 'rb').read()
    assert not [n for n in os.listdir(str(tmp_path)) if n.startswith('.tmp')]


def test_walk_extension_renders_the_final_weights_at_the_end(tmp_path):
    trainer = tiny_trainer(tmp_path, iterations=3)
    trainer.extend(walk_gif.LatentWalkGif(trainer.updater.gen, n_keypoints=2,
                                          frames_per_segment=1), trigger=(2, 'iteration'))
    trainer.run()
    assert sorted(os.listdir(str(tmp_path / 'walk'))) == ['walk_iter_2.gif', 'walk_iter_3.gif']


def test_walk_extension_checks_its_settings():
    gen = Generator(resolution=16, ch=16, n_hidden=8)
    with pytest.raises(latent.LatentError, match='2x2'):
        walk_gif.LatentWalkGif(gen, keypoints=numpy.zeros((3, 4, 8)), grid=(2, 2))
    with pytest.raises(latent.LatentError, match='interpolation'):
        walk_gif.LatentWalkGif(gen, method='cubic')


def write_previews(out, iterations, size=(12, 8)):
    for it in iterations:
        colour = numpy.full((size[1], size[0], 3), (it * 37) % 256, numpy.uint8)
        imaging.save_png(os.path.join(str(out), 'preview', 'image%08d.png' % it), colour)


def test_progress_gif_strings_previews_together_and_finishes_at_the_end(tmp_path):
    trainer = tiny_trainer(tmp_path, iterations=5)

    @training.make_extension(trigger=(1, 'iteration'), priority=training.PRIORITY_WRITER)
    def preview(t):
        write_previews(t.out, [t.updater.iteration])
    trainer.extend(preview)
    progress = ProgressGif(duration_ms=120)
    trainer.extend(progress, trigger=(2, 'iteration'))
    trainer.run()
    frames = gif_frames(str(tmp_path / 'progress.gif'))
    assert len(frames) == 5  # iteration 5 came in through finalize
    assert [int(f[0, 0, 0]) for f in frames] == [(it * 37) % 256 for it in range(1, 6)]
    with Image.open(str(tmp_path / 'progress.gif')) as im:
        assert im.size == (12, 8) and im.info['duration'] == 120


def test_progress_gif_survives_resume_and_ignores_an_abandoned_future(tmp_path):
    write_previews(tmp_path, [100, 200, 300, 400])
    # A fresh extension (nothing in memory) of a run resumed at 200.
    assert ProgressGif().write(str(tmp_path), 200) is not None
    assert len(gif_frames(str(tmp_path / 'progress.gif'))) == 2
    resumed = ProgressGif()
    resumed.write(str(tmp_path), 400)
    assert len(gif_frames(str(tmp_path / 'progress.gif'))) == 4
    assert resumed.write(str(tmp_path), 400) is None  # nothing new: not rewritten


def test_progress_gif_keeps_long_runs_short(tmp_path):
    write_previews(tmp_path, range(1, 11))
    ProgressGif(max_frames=4).write(str(tmp_path), 10)
    frames = gif_frames(str(tmp_path / 'progress.gif'))
    assert [int(f[0, 0, 0]) for f in frames] == [(it * 37) % 256 for it in (1, 4, 7, 10)]
    assert evenly_spaced(list(range(10)), 3) == [0, 4, 9]
    assert preview_iteration('preview/image00001200.png') == 1200
    assert ProgressGif().write(str(tmp_path / 'nothing'), 10) is None


def parse(argv):
    return train_args.parse_arguments(argv)


def test_options_are_on_by_default_and_can_be_turned_off():
    numpy.random.seed(0)
    gen = Generator(resolution=16, ch=16, n_hidden=8)

    def extensions(argv):
        added = []
        fake = types.SimpleNamespace(extend=lambda ext, trigger=None: added.append(ext))
        train_extensions.add_gifs(fake, parse(argv), gen, None, (10, 'iteration'))
        return [type(e).__name__ for e in added]
    assert extensions([]) == ['LatentWalkGif', 'ProgressGif']
    assert extensions(['--no-walk-gif']) == ['ProgressGif']
    assert extensions(['--no-progress-gif', '--walk-grid', '2x2']) == ['LatentWalkGif']
    assert extensions(['--no-walk-gif', '--no-progress-gif']) == []
    args = parse(['--walk-keypoints', '3', '--walk-frames', '5', '--walk-interval', '7'])
    assert (args.walk_keypoints, args.walk_frames, args.walk_interval) == (3, 5, 7)
    with pytest.raises(SystemExit):
        parse(['--walk-frames', '0'])


def test_training_command_writes_both_gifs(tmp_path):
    out = tmp_path / 'out'
    assert train.main(['--ch', '16', '--n_hidden', '8', '--batchsize', '8', '--demo_images',
                       '16', '--no-progress-bar', '--preview_rows', '2', '--preview_cols', '2',
                       '--iteration', '3', '--snapshot_interval', '2', '--walk-frames', '2',
                       '--walk-keypoints', '2', '--out', str(out)]) == 0
    for name in ('walk/walk_iter_2.gif', 'walk/walk_iter_3.gif', 'walk.gif', 'progress.gif'):
        assert (out / name).is_file(), name
    assert gif_frames(str(out / 'walk.gif'))[0].shape == (128, 128, 3)


def test_walk_extension_does_not_render_after_an_interrupted_run(tmp_path):
    trainer = tiny_trainer(tmp_path, iterations=5)
    trainer.extend(walk_gif.LatentWalkGif(trainer.updater.gen, n_keypoints=2,
                                          frames_per_segment=1), trigger=(2, 'iteration'))
    run_until_crash(trainer, 3)
    assert sorted(os.listdir(str(tmp_path / 'walk'))) == ['walk_iter_2.gif']
