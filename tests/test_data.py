"""Image folder loading, the uint8 dataset and the float32 converter.

Every test image is drawn with Pillow in tmp_path, so the expected pixel
values come from how the image was made.
"""
import importlib.util
import os
import warnings

import chainer
import numpy
import pytest
from PIL import Image

from dcgan import data
from dcgan.data import decode
from dcgan.data import (DatasetError, ImageArrayDataset, ImageFolder,
                        SkippedImageWarning, find_image_files,
                        load_image_folder, parse_background, to_float_batch)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)


def pixel(folder, index, y, x):
    """(r, g, b) or (l,) of image `index` at row y, column x, as ints."""
    return tuple(int(v) for v in folder.images[index, :, y, x])


def close(a, b, tol=2):
    return len(a) == len(b) and all(abs(int(u) - int(v)) <= tol
                                    for u, v in zip(a, b))


def load_one(path, **kwargs):
    """Load a folder that holds the single image `path`."""
    folder = load_image_folder(os.path.dirname(path), **kwargs)
    assert folder.paths == [str(path)]
    return folder


def write_bad_files(root):
    """Zero-byte file, truncated PNG, text named .jpg; returns their paths."""
    empty = root / 'empty.png'
    empty.write_bytes(b'')
    noise = numpy.random.RandomState(0).randint(0, 256, (64, 64, 3),
                                                dtype=numpy.uint8)
    whole = root / 'whole.png'
    Image.fromarray(noise).save(whole)
    truncated = root / 'truncated.png'
    truncated.write_bytes(whole.read_bytes()[:600])
    whole.unlink()
    text = root / 'notes.jpg'
    text.write_text('not a picture\n')
    return [empty, truncated, text]


# --- finding files ---------------------------------------------------------

def test_find_image_files_recursive_sorted_case_insensitive(tmp_path):
    (tmp_path / 'b' / 'deeper').mkdir(parents=True)
    (tmp_path / '.hidden').mkdir()
    for rel in ['z.PNG', 'a.jpeg', 'b/c.JPG', 'b/deeper/d.webp', 'e.Gif',
                'f.bmp', '.hidden/g.png', '.h.png', 'readme.txt', 'x.tiff']:
        (tmp_path / rel).write_bytes(b'')
    found = [os.path.relpath(p, tmp_path) for p in find_image_files(
        str(tmp_path))]
    assert found == ['a.jpeg', os.path.join('b', 'c.JPG'),
                     os.path.join('b', 'deeper', 'd.webp'), 'e.Gif', 'f.bmp',
                     'z.PNG']


def test_nested_folders_and_upper_case_extensions_load(tmp_path):
    (tmp_path / 'sub' / 'subsub').mkdir(parents=True)
    Image.new('RGB', (16, 16), RED).save(tmp_path / 'sub' / 'A.PNG')
    Image.new('RGB', (16, 16), BLUE).save(tmp_path / 'sub' / 'subsub' / 'B.JPEG',
                                          quality=95)
    folder = load_image_folder(str(tmp_path))
    assert [os.path.basename(p) for p in folder.paths] == ['A.PNG', 'B.JPEG']
    assert folder.images.shape == (2, 3, 16, 16)
    assert close(pixel(folder, 0, 8, 8), RED)
    assert close(pixel(folder, 1, 8, 8), BLUE, tol=8)


# --- modes and alpha -------------------------------------------------------

@pytest.mark.parametrize('background', [(0, 0, 0), (255, 255, 255)])
def test_rgba_cutout_composited_onto_background(tmp_path, background):
    cutout = numpy.zeros((32, 32, 4), numpy.uint8)
    cutout[:, :16] = (0, 255, 0, 0)      # transparent, green underneath
    cutout[:, 16:] = (200, 30, 10, 255)  # opaque sushi-coloured
    cutout[0:4, 16:20] = (200, 30, 10, 128)  # half-transparent edge
    Image.fromarray(cutout).save(tmp_path / 'cut.png')
    folder = load_one(tmp_path / 'cut.png', background=background)
    assert folder.images.dtype == numpy.uint8
    assert pixel(folder, 0, 10, 5) == background
    assert pixel(folder, 0, 10, 25) == (200, 30, 10)
    expected = tuple(round((c * 128 + b * 127) / 255)
                     for c, b in zip((200, 30, 10), background))
    assert close(pixel(folder, 0, 1, 17), expected)


def test_background_given_as_string(tmp_path):
    cutout = numpy.zeros((16, 16, 4), numpy.uint8)
    Image.fromarray(cutout).save(tmp_path / 'clear.png')
    folder = load_one(tmp_path / 'clear.png', background='#102030')
    assert pixel(folder, 0, 3, 3) == (16, 32, 48)


def test_grayscale_l_gives_equal_rgb_channels(tmp_path):
    gray = numpy.tile(numpy.arange(0, 256, 16, dtype=numpy.uint8), (16, 1))
    Image.fromarray(gray).save(tmp_path / 'gray.png')
    folder = load_one(tmp_path / 'gray.png')
    assert folder.images.shape == (1, 3, 16, 16)
    for channel in range(3):
        numpy.testing.assert_array_equal(folder.images[0, channel], gray)


def test_grayscale_la_composited_onto_white(tmp_path):
    la = Image.new('LA', (16, 16), (60, 255))
    la.paste((60, 0), (0, 0, 8, 16))  # left half transparent
    la.save(tmp_path / 'la.png')
    folder = load_one(tmp_path / 'la.png', background='white')
    assert pixel(folder, 0, 5, 2) == (255, 255, 255)
    assert pixel(folder, 0, 5, 12) == (60, 60, 60)


def test_palette_without_transparency(tmp_path):
    rgb = Image.new('RGB', (16, 16), RED)
    rgb.paste(BLUE, (8, 0, 16, 16))
    rgb.quantize(colors=4).save(tmp_path / 'pal.png')
    assert Image.open(tmp_path / 'pal.png').mode == 'P'
    folder = load_one(tmp_path / 'pal.png', background='white')
    assert pixel(folder, 0, 4, 2) == RED
    assert pixel(folder, 0, 4, 12) == BLUE


def test_palette_with_transparency(tmp_path):
    pal = Image.new('P', (16, 16), 1)
    pal.putpalette([0, 255, 0] + list(RED) + [0] * (3 * 254))
    pal.paste(0, (0, 0, 8, 16))  # index 0 (green) is the transparent one
    pal.save(tmp_path / 'palt.png', transparency=0)
    folder = load_one(tmp_path / 'palt.png', background='white')
    assert pixel(folder, 0, 4, 2) == (255, 255, 255)
    assert pixel(folder, 0, 4, 12) == RED


@pytest.mark.parametrize('mode, transparent, opaque', [
    ('RGB', (0, 255, 0), RED), ('L', 7, 200)])
def test_single_transparent_colour_trns(tmp_path, mode, transparent, opaque):
    picture = Image.new(mode, (16, 16), transparent)
    picture.paste(opaque, (8, 0, 16, 16))
    picture.save(tmp_path / 'trns.png', transparency=transparent)
    folder = load_one(tmp_path / 'trns.png', background='white')
    assert pixel(folder, 0, 4, 2) == (255, 255, 255)
    expected = opaque if mode == 'RGB' else (opaque,) * 3
    assert pixel(folder, 0, 4, 12) == expected


def test_animated_gif_gives_its_first_frame(tmp_path):
    red = Image.new('RGB', (16, 16), RED)
    blue = Image.new('RGB', (16, 16), BLUE)
    red.save(tmp_path / 'anim.gif', save_all=True, append_images=[blue],
             duration=100)
    assert Image.open(tmp_path / 'anim.gif').n_frames == 2
    folder = load_one(tmp_path / 'anim.gif')
    assert pixel(folder, 0, 8, 8) == RED


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    Image.new('CMYK', (16, 16), (0, 255, 255, 0)).save(tmp_path / 'cmyk.jpg',
                                                       quality=100)
    folder = load_one(tmp_path / 'cmyk.jpg')
    assert close(pixel(folder, 0, 8, 8), RED, tol=6)


def test_16_bit_scaled_not_clipped(tmp_path):
    values = numpy.array([0, 257 * 64, 257 * 128, 30000, 65535],
                         numpy.uint16)
    wide = numpy.repeat(numpy.repeat(values[None], 8, 0), 8, 1)
    picture = Image.fromarray(numpy.ascontiguousarray(
        numpy.pad(wide, ((0, 32), (0, 0)))))  # 40x40
    assert picture.mode.startswith('I;16')
    picture.save(tmp_path / 'deep.png')
    folder = load_one(tmp_path / 'deep.png', channels=1)
    got = [pixel(folder, 0, 4, 8 * k + 4)[0] for k in range(5)]
    assert got == [0, 64, 128, round(30000 * 255 / 65535), 255]


def test_exif_orientation_6_is_applied(tmp_path):
    # Stored 40 wide x 20 high with a red marker at the stored top-left;
    # orientation 6 means "rotate 90 degrees clockwise to display", so the
    # displayed picture is 20 wide x 40 high with the marker at top-right.
    stored = Image.new('RGB', (40, 20), (255, 255, 255))
    stored.paste(RED, (0, 0, 8, 8))
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / 'phone.jpg', exif=exif, quality=95)
    folder = load_one(tmp_path / 'phone.jpg', resolution=40, fit='pad')
    # Displayed 20x40 fitted into 40x40: 10 px of black padding each side.
    assert close(pixel(folder, 0, 3, 25), RED, tol=40)        # top-right
    assert close(pixel(folder, 0, 3, 13), (255, 255, 255), tol=40)
    assert pixel(folder, 0, 20, 3) == (0, 0, 0)                # left padding
    assert pixel(folder, 0, 20, 36) == (0, 0, 0)               # right padding


def test_channels_1_gives_luminance(tmp_path):
    Image.new('RGB', (16, 16), RED).save(tmp_path / 'red.png')
    folder = load_one(tmp_path / 'red.png', channels=1)
    assert folder.images.shape == (1, 1, 16, 16)
    assert folder.channels == 1
    assert abs(pixel(folder, 0, 8, 8)[0] - 0.299 * 255) <= 1


# --- sizes, pad and crop ---------------------------------------------------

def test_mixed_sizes_pad_keeps_aspect_and_pads_with_background(tmp_path):
    Image.new('RGB', (40, 20), RED).save(tmp_path / 'a_wide.png')
    Image.new('RGB', (20, 40), BLUE).save(tmp_path / 'b_tall.png')
    folder = load_image_folder(str(tmp_path), resolution=16, fit='pad',
                               background='white')
    assert folder.images.shape == (2, 3, 16, 16)
    assert folder.resolution == 16
    wide, tall = folder.images
    white = numpy.array((255, 255, 255))[:, None, None]
    # 40x20 -> 16x8, centred: rows 0-3 and 12-15 are padding.
    assert (wide[:, :4] == white).all() and (wide[:, 12:] == white).all()
    assert (abs(wide[:, 5:11].astype(int) - numpy.array(RED)[:, None, None])
            <= 2).all()
    # 20x40 -> 8x16: columns 0-3 and 12-15 are padding.
    assert (tall[:, :, :4] == white).all() and (tall[:, :, 12:] == white).all()
    assert close(tuple(tall[:, 8, 8]), BLUE)


def test_crop_takes_the_centre_square(tmp_path):
    strip = Image.new('RGB', (60, 20), BLUE)
    strip.paste(RED, (20, 0, 40, 20))
    strip.paste(GREEN, (40, 0, 60, 20))
    strip.save(tmp_path / 'strip.png')
    folder = load_one(tmp_path / 'strip.png', resolution=16, fit='crop')
    assert folder.images.shape == (1, 3, 16, 16)
    for y, x in [(0, 0), (8, 8), (15, 15), (0, 15)]:
        assert close(pixel(folder, 0, y, x), RED, tol=3)


def test_resolution_none_uses_the_common_square_size(tmp_path):
    for i in range(3):
        Image.new('RGB', (24, 24), (i * 50, 0, 0)).save(tmp_path / f'{i}.png')
    folder = load_image_folder(str(tmp_path))
    assert folder.resolution == 24
    assert folder.images.shape == (3, 3, 24, 24)
    assert pixel(folder, 2, 0, 0) == (100, 0, 0)


def test_resolution_none_with_mixed_sizes_asks_for_a_resolution(tmp_path):
    Image.new('RGB', (24, 24)).save(tmp_path / 'a.png')
    Image.new('RGB', (30, 30)).save(tmp_path / 'b.png')
    Image.new('RGB', (30, 20)).save(tmp_path / 'c.png')
    with pytest.raises(DatasetError) as e:
        load_image_folder(str(tmp_path))
    message = str(e.value)
    assert str(tmp_path) in message
    assert '24x24' in message and '30x30' in message and '30x20' in message
    assert 'resolution' in message


def test_resolution_none_with_one_non_square_size_fails(tmp_path):
    Image.new('RGB', (30, 20)).save(tmp_path / 'a.png')
    with pytest.raises(DatasetError, match='30x20'):
        load_image_folder(str(tmp_path))


@pytest.mark.parametrize('kwargs', [
    {'resolution': 4}, {'resolution': 100000}, {'resolution': 32.5},
    {'resolution': True}, {'channels': 2}, {'fit': 'stretch'},
    {'background': (0, 0)}, {'background': 'purple-ish'},
])
def test_bad_options_raise_dataset_error(tmp_path, kwargs):
    Image.new('RGB', (16, 16)).save(tmp_path / 'a.png')
    with pytest.raises(DatasetError):
        load_image_folder(str(tmp_path), **kwargs)


@pytest.mark.parametrize('text, rgb', [
    ('black', (0, 0, 0)), ('White', (255, 255, 255)), ('gray', (128, 128, 128)),
    ('#FF8800', (255, 136, 0)), ('10, 20,30', (10, 20, 30)), (None, (0, 0, 0)),
])
def test_parse_background(text, rgb):
    assert parse_background(text) == rgb


@pytest.mark.parametrize('text', ['purple', '#ff88', '1,2', '1,2,300', ''])
def test_parse_background_rejects(text):
    with pytest.raises(DatasetError, match='background'):
        parse_background(text)


# --- unusable files and folders --------------------------------------------

def test_unreadable_files_are_skipped_named_and_recorded(tmp_path):
    bad = write_bad_files(tmp_path)
    Image.new('RGB', (16, 16), RED).save(tmp_path / 'good.png')
    with pytest.warns(SkippedImageWarning) as record:
        folder = load_image_folder(str(tmp_path))
    assert folder.paths == [str(tmp_path / 'good.png')]
    assert folder.images.shape == (1, 3, 16, 16)
    skipped = dict(folder.skipped)
    assert set(skipped) == {str(p) for p in bad}
    assert 'empty' in skipped[str(tmp_path / 'empty.png')]
    assert 'not an image' in skipped[str(tmp_path / 'notes.jpg')]
    messages = [str(w.message) for w in record
                if issubclass(w.category, SkippedImageWarning)]
    assert len(messages) == len(bad)
    for path in bad:
        assert sum(str(path) in m for m in messages) == 1


def test_decompression_bomb_is_skipped(tmp_path, monkeypatch):
    Image.new('RGB', (40, 40), RED).save(tmp_path / 'big.png')
    Image.new('RGB', (16, 16), RED).save(tmp_path / 'small.png')
    monkeypatch.setattr(decode, 'MAX_PIXELS', 1000)
    with pytest.warns(SkippedImageWarning, match='big.png'):
        folder = load_image_folder(str(tmp_path), resolution=16)
    assert folder.paths == [str(tmp_path / 'small.png')]
    assert folder.skipped[0][0] == str(tmp_path / 'big.png')
    assert 'decompression bomb' in folder.skipped[0][1]


def test_pillow_decompression_bomb_error_is_skipped(tmp_path, monkeypatch):
    Image.new('RGB', (40, 40), RED).save(tmp_path / 'big.png')
    Image.new('RGB', (8, 8), RED).save(tmp_path / 'small.png')
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 200)  # refuses > 400
    with pytest.warns(SkippedImageWarning, match='big.png'):
        folder = load_image_folder(str(tmp_path), resolution=8)
    assert [p for p, _ in folder.skipped] == [str(tmp_path / 'big.png')]


def test_folder_of_only_bad_files_says_no_usable_image(tmp_path):
    write_bad_files(tmp_path)
    with pytest.warns(SkippedImageWarning):
        with pytest.raises(DatasetError) as e:
            load_image_folder(str(tmp_path))
    message = str(e.value)
    assert str(tmp_path) in message and 'no usable image' in message
    assert '3 files were skipped' in message and 'png' in message


def test_empty_folder_raises_with_the_path(tmp_path):
    (tmp_path / 'readme.txt').write_text('no images here')
    with pytest.raises(DatasetError, match='no image file') as e:
        load_image_folder(str(tmp_path))
    assert str(tmp_path) in str(e.value)


def test_missing_folder_raises_with_the_path(tmp_path):
    missing = str(tmp_path / 'sushi')
    with pytest.raises(DatasetError, match='does not exist') as e:
        load_image_folder(missing)
    assert missing in str(e.value)


def test_file_instead_of_folder_raises(tmp_path):
    Image.new('RGB', (16, 16)).save(tmp_path / 'a.png')
    with pytest.raises(DatasetError, match='not a folder'):
        load_image_folder(str(tmp_path / 'a.png'))


def test_dataset_error_is_a_value_error():
    assert issubclass(DatasetError, ValueError)
    assert issubclass(SkippedImageWarning, UserWarning)


# --- decode once, and the cache --------------------------------------------

@pytest.fixture
def decode_counter(monkeypatch):
    calls = []
    real = decode.decode_image

    def counting(path, *args, **kwargs):
        calls.append(path)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(decode, 'decode_image', counting)
    return calls


def make_small_folder(root):
    for i, colour in enumerate([RED, GREEN, BLUE]):
        Image.new('RGB', (20 + i, 16), colour).save(root / f'{i}.png')
    (root / 'broken.png').write_bytes(b'')


def test_each_file_is_decoded_once(tmp_path, decode_counter):
    make_small_folder(tmp_path)
    with pytest.warns(SkippedImageWarning):
        load_image_folder(str(tmp_path), resolution=16)
    assert sorted(decode_counter) == sorted(find_image_files(str(tmp_path)))


def test_cache_hit_is_identical_and_does_not_decode(tmp_path, decode_counter):
    images = tmp_path / 'images'
    images.mkdir()
    make_small_folder(images)
    cache = tmp_path / 'cache'
    with pytest.warns(SkippedImageWarning):
        first = load_image_folder(str(images), resolution=16,
                                  cache_dir=str(cache))
    assert len(decode_counter) == 4
    assert len(list(cache.glob('*.npz'))) == 1
    assert not list(cache.glob('.*'))  # no temporary file left behind

    decode_counter.clear()
    with pytest.warns(SkippedImageWarning, match='broken.png'):
        second = load_image_folder(str(images), resolution=16,
                                   cache_dir=str(cache))
    assert decode_counter == []
    numpy.testing.assert_array_equal(first.images, second.images)
    assert second.paths == first.paths
    assert second.skipped == first.skipped
    assert (second.resolution, second.channels) == (16, 3)


def test_cache_misses_when_options_or_files_change(tmp_path, decode_counter):
    images = tmp_path / 'images'
    images.mkdir()
    make_small_folder(images)
    cache = str(tmp_path / 'cache')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', SkippedImageWarning)
        load_image_folder(str(images), resolution=16, cache_dir=cache)
        decode_counter.clear()
        other = load_image_folder(str(images), resolution=16,
                                  background='white', cache_dir=cache)
        assert len(decode_counter) == 4
        assert pixel(other, 0, 0, 8) == (255, 255, 255)  # padding, not cached

        decode_counter.clear()
        Image.new('RGB', (16, 16), GREEN).save(images / '0.png')
        os.utime(images / '0.png', ns=(1, 10 ** 18))
        changed = load_image_folder(str(images), resolution=16,
                                    cache_dir=cache)
        assert len(decode_counter) == 4
        assert pixel(changed, 0, 0, 8) == GREEN


def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path, decode_counter):
    images = tmp_path / 'images'
    images.mkdir()
    make_small_folder(images)
    cache = tmp_path / 'cache'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', SkippedImageWarning)
        first = load_image_folder(str(images), resolution=16,
                                  cache_dir=str(cache))
        cache_file, = cache.glob('*.npz')
        cache_file.write_bytes(cache_file.read_bytes()[:100])
        decode_counter.clear()
        rebuilt = load_image_folder(str(images), resolution=16,
                                    cache_dir=str(cache))
        assert len(decode_counter) == 4
        numpy.testing.assert_array_equal(first.images, rebuilt.images)

        decode_counter.clear()
        again = load_image_folder(str(images), resolution=16,
                                  cache_dir=str(cache))
        assert decode_counter == []  # the rebuilt cache is good
        numpy.testing.assert_array_equal(first.images, again.images)


# --- dataset and converter -------------------------------------------------

def test_image_array_dataset_returns_views():
    images = numpy.arange(2 * 3 * 8 * 8, dtype=numpy.uint8).reshape(2, 3, 8, 8)
    dataset = ImageArrayDataset(images)
    assert len(dataset) == 2
    example = dataset.get_example(1)
    assert example.dtype == numpy.uint8 and example.shape == (3, 8, 8)
    assert numpy.shares_memory(example, images)
    folder = ImageFolder(images, ['a', 'b'], [], 8, 3)
    assert len(ImageArrayDataset(folder)) == 2
    with pytest.raises(DatasetError):
        ImageArrayDataset(images.astype(numpy.float32))


def test_to_float_batch_on_numpy_device():
    rng = numpy.random.RandomState(0)
    images = rng.randint(0, 256, (4, 3, 8, 8)).astype(numpy.uint8)
    images[0, 0, 0, 0], images[0, 0, 0, 1] = 0, 255
    device = chainer.get_device('@numpy')
    for batch in ([im for im in images], images):
        out = to_float_batch(batch, device)
        assert isinstance(out, numpy.ndarray)
        assert out.dtype == numpy.float32 and out.shape == (4, 3, 8, 8)
        assert out.min() == 0.0 and out.max() == 1.0
        numpy.testing.assert_allclose(out, images / 255.0, rtol=1e-6)
    assert to_float_batch(images, None).dtype == numpy.float32
    with pytest.raises(TypeError):
        to_float_batch(images.astype(numpy.float32), device)


def test_iterator_and_converter_give_a_training_batch():
    images = numpy.random.RandomState(1).randint(
        0, 256, (10, 3, 8, 8)).astype(numpy.uint8)
    iterator = chainer.iterators.SerialIterator(
        ImageArrayDataset(images), 4, shuffle=False)
    batch = to_float_batch(iterator.next(), chainer.get_device('@numpy'))
    numpy.testing.assert_array_equal(batch * 255, images[:4].astype(
        numpy.float32))


def test_data_module_exports_the_required_api():
    for name in ['DatasetError', 'SkippedImageWarning', 'find_image_files',
                 'parse_background', 'ImageFolder', 'load_image_folder',
                 'ImageArrayDataset', 'to_float_batch']:
        assert hasattr(data, name), name


# --- datasets/prepare.py ---------------------------------------------------

def load_script(name):
    spec = importlib.util.spec_from_file_location(
        'datasets_' + name, os.path.join(REPO, 'datasets', name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prepare_writes_pngs_and_drops_exact_duplicates(tmp_path, capsys):
    src = tmp_path / 'raw'
    (src / 'sub').mkdir(parents=True)
    cutout = Image.new('RGBA', (40, 20), (0, 0, 0, 0))
    cutout.paste((200, 30, 10, 255), (10, 0, 30, 20))
    cutout.save(src / 'a.png')
    cutout.save(src / 'sub' / 'copy.png')     # exact duplicate
    Image.new('RGB', (30, 30), BLUE).save(src / 'sub' / 'b.jpg', quality=95)
    (src / 'zero.png').write_bytes(b'')
    out = tmp_path / 'prepared'
    prepare = load_script('prepare')
    code = prepare.main([str(src), '--out', str(out), '--resolution', '16',
                         '--background', 'white', '--near-duplicates'])
    assert code == 0
    written = sorted(os.path.relpath(p, out) for p in find_image_files(
        str(out)))
    assert written == ['a.png', os.path.join('sub', 'b.png')]
    summary = capsys.readouterr().out
    assert '2 used, 1 skipped, 1 exact duplicates dropped' in summary
    assert 'zero.png' in summary and 'copy.png' in summary
    again = load_image_folder(str(out))
    assert again.images.shape == (2, 3, 16, 16)
    assert pixel(again, 0, 0, 0) == (255, 255, 255)   # transparent -> white
    assert pixel(again, 0, 8, 8) == (200, 30, 10)


def test_prepare_reports_errors_in_one_line(tmp_path, capsys):
    prepare = load_script('prepare')
    code = prepare.main([str(tmp_path / 'missing'), '--out',
                         str(tmp_path / 'out'), '--resolution', '16'])
    assert code == 2
    err = capsys.readouterr().err
    assert 'missing' in err and 'Traceback' not in err
