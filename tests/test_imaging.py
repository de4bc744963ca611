import os

import numpy
import pytest
from PIL import Image, ImageSequence

from dcgan.io import imaging


def test_to_uint8_clips_and_rounds():
    x = numpy.array([-0.5, 0.0, 0.5, 1.0, 2.0], dtype=numpy.float32)
    numpy.testing.assert_array_equal(imaging.to_uint8(x), [0, 0, 128, 255, 255])


def test_tile_places_images_row_major():
    images = numpy.stack([numpy.full((3, 2, 2), i, numpy.uint8) for i in range(6)])
    grid = imaging.tile(images, rows=2, cols=3)
    assert grid.shape == (4, 6, 3)
    assert grid[0, 0, 0] == 0 and grid[0, 2, 0] == 1 and grid[2, 0, 0] == 3 and grid[3, 5, 0] == 5
    with pytest.raises(ValueError):
        imaging.tile(images, 1, 2)


def test_save_png_and_gif_round_trip(tmp_path):
    frame = numpy.zeros((8, 8, 3), numpy.uint8)
    frame[:, :4] = (200, 30, 30)
    imaging.save_png(str(tmp_path / 'a.png'), frame)
    numpy.testing.assert_array_equal(numpy.asarray(Image.open(tmp_path / 'a.png')), frame)
    frames = [numpy.roll(frame, k, axis=1) for k in range(5)]
    imaging.save_gif(str(tmp_path / 'a.gif'), frames, duration_ms=40)
    gif = Image.open(tmp_path / 'a.gif')
    assert gif.size == (8, 8) and len(list(ImageSequence.Iterator(gif))) == 5
    assert gif.info.get('loop') == 0 and gif.info.get('duration') == 40
    assert [p for p in os.listdir(tmp_path) if p.startswith('.tmp')] == []


def test_failed_write_keeps_the_old_file(tmp_path):
    path = str(tmp_path / 'keep.png')
    imaging.save_png(path, numpy.zeros((4, 4, 3), numpy.uint8))
    before = open(path, 'rb').read()

    def broken(tmp):
        open(tmp, 'wb').write(b'half')
        raise RuntimeError('disk full')
    with pytest.raises(RuntimeError):
        imaging.atomic_write(path, broken)
    assert open(path, 'rb').read() == before
    assert sorted(os.listdir(tmp_path)) == ['keep.png']


def test_written_files_get_the_usual_mode(tmp_path):
    path = str(tmp_path / 'mode.png')
    imaging.save_png(path, numpy.zeros((2, 2, 3), numpy.uint8))
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
