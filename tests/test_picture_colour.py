"""benchmarks/picture_colour.py and small_data.py's colour of samples."""
import os
import sys

import numpy
import pytest
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))

import picture_colour  # noqa: E402
import small_data  # noqa: E402

from dcgan.io import imaging  # noqa: E402


def _samples(seed, gray=False, alike=False):
    rs = numpy.random.RandomState(seed)
    x = rs.randint(0, 256, (64, 3, 32, 32)).astype(numpy.uint8)
    if gray:
        x[:, 1:] = x[:, :1]
    if alike:
        x[:] = x[0]
    return x


def test_gray_samples_have_no_chroma_and_identical_samples_no_spread():
    chroma, spread = small_data.sample_colour(_samples(0))
    assert chroma > 0.1 and spread > 0.0
    assert small_data.sample_colour(_samples(0, gray=True))[0] == pytest.approx(0.0, abs=1e-12)
    assert small_data.sample_colour(_samples(0, alike=True))[1] == pytest.approx(0.0, abs=1e-12)


def test_a_small_data_picture_reads_back_the_colour_of_its_samples(tmp_path):
    # Drawn as small_data.py draws it, the picture's panels give the same
    # numbers as the sample arrays, so the two scripts share one layout.
    sets = [_samples(1), _samples(2, gray=True), _samples(3, alike=True)]
    panels = [small_data.grid(s) for s in sets]
    gap = numpy.full((panels[0].shape[0], picture_colour.PANEL_GAP, 3), 255, numpy.uint8)
    picture = numpy.concatenate([panels[0], gap, panels[1], gap, panels[2]], axis=1)
    path = str(tmp_path / 'p.png')
    imaging.save_png(path, imaging.upscale(picture, picture_colour.UPSCALE))
    read = [picture_colour.colour_stats(t)
            for t in picture_colour.panels(Image.open(path))]
    assert len(read) == 3
    for got, samples in zip(read, sets):
        assert got == pytest.approx(small_data.sample_colour(samples), abs=1e-9)
