"""benchmarks/pool_seeds.py: pooling per-seed results of earlier runs."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))

import pool_seeds  # noqa: E402
from dcgan.cli import stabiliser_options as options  # noqa: E402

SMALL_DATA_HEADER = ('dataset: 250 demo images at 32 px; ch=128 (example: 512) batch 50; '
                     '1000 iterations; seeds [0, 1]\npreset --small-data = {}\n')
EMA_HEADER = ('250 demo images at 32 px, ch {ch}, batch 50, 1000 iterations, flags "{flags}"; '
              'EMA decay cap 0.999; seeds [5]; load 2.47\n')


def _small_data_file(tmp_path, preset, rows):
    path = tmp_path / 'small_data_{}.txt'.format(len(list(tmp_path.iterdir())))
    lines = ['  {:<12} seed {}  swd {:7.1f}  0.700 s/iter  (curve 1000:{})  load 2.0'.format(
        name, seed, swd, swd) for name, seed, swd in rows]
    path.write_text(SMALL_DATA_HEADER.format(preset) + '\n'.join(lines) + '\n')
    return str(path)


def _ema_file(tmp_path, rows, flags='', ch=128):
    path = tmp_path / 'ema_{}.txt'.format(len(list(tmp_path.iterdir())))
    lines = ['  seed {}  {:<10} 500:300.0 1000:{:.1f}'.format(seed, name, swd)
             for seed, name, swd in rows]
    path.write_text(EMA_HEADER.format(ch=ch, flags=flags) + '\n'.join(lines) + '\n')
    return str(path)


EMA_ONLY_PRESET = {'ema': 0.999, 'ema_warmup': 40}


@pytest.fixture
def probe(monkeypatch):
    # An EMA-only preset (as --small-data was until 2026-11-24): then an
    # ema_warmup.py run holds the preset's result of a seed too.
    monkeypatch.setattr(options, 'SMALL_DATA_PRESET', EMA_ONLY_PRESET)
    name, _ = pool_seeds.preset_probe_name()
    assert name == 'ema W=40'
    return name


def test_a_preset_that_changes_training_pools_only_small_data_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(options, 'SMALL_DATA_PRESET', dict(EMA_ONLY_PRESET, dis_noise=0.0))
    now = options.describe_preset()
    files = [_small_data_file(tmp_path, now, [('example', 0, 180.0), ('small-data', 0, 130.0)]),
             _ema_file(tmp_path, [(5, 'raw G', 130.0), (5, 'ema W=40', 147.0)])]
    setup, seeds, scores = pool_seeds.pool(files)
    assert seeds == [0] and 5 not in scores['example']


def test_pools_both_formats_and_skips_other_presets_and_flags(tmp_path, probe):
    now = options.describe_preset()
    files = [_small_data_file(tmp_path, now, [('example', 0, 180.0), ('small-data', 0, 130.0),
                                              ('example', 1, 140.0), ('small-data', 1, 120.0)]),
             _small_data_file(tmp_path, 'an older preset', [('example', 2, 150.0),
                                                            ('small-data', 2, 999.0)]),
             _ema_file(tmp_path, [(5, 'raw G', 130.0), (5, probe, 147.0),
                                  (5, 'ema W=999', 1.0)]),
             _ema_file(tmp_path, [(6, 'raw G', 1.0), (6, probe, 1.0)], flags='--r1-gamma 1')]
    setup, seeds, scores = pool_seeds.pool(files)
    assert setup == ('250', '32', '128', '50', '1000')
    assert seeds == [0, 1, 5]
    assert [scores['small-data'][s][0] for s in seeds] == [130.0, 120.0, 147.0]
    assert [scores['example'][s][0] for s in seeds] == [180.0, 140.0, 130.0]


def test_disagreeing_seeds_and_mixed_setups_are_refused(tmp_path, probe):
    now = options.describe_preset()
    a = _small_data_file(tmp_path, now, [('example', 5, 130.0), ('small-data', 5, 146.0)])
    b = _ema_file(tmp_path, [(5, 'raw G', 130.0), (5, probe, 147.0)])
    with pytest.raises(pool_seeds.PoolError, match='seed 5'):
        pool_seeds.pool([a, b])
    c = _ema_file(tmp_path, [(6, 'raw G', 130.0), (6, probe, 147.0)], ch=64)
    with pytest.raises(pool_seeds.PoolError, match='different setups'):
        pool_seeds.pool([a, c])


def test_compare_gives_the_verdict_and_the_paired_difference():
    from small_data import compare
    verdict, paired = compare('a', [180.0, 140.0, 160.0], 'b', [130.0, 120.0, 150.0])
    # gap 26.7; spreads 20.0 and 15.3
    assert verdict.startswith('a - b: 26.7 (larger spread 20.0); ACCEPTED')
    # differences 50, 20, 10: mean 26.7, std 20.8, s.e. 12.0
    assert paired == 'paired by seed: a - b = 26.7 (s.e. 12.0), b lower on 3 of 3 seeds'
    assert 'NOT ACCEPTED' in compare('a', [180.0, 140.0], 'b', [170.0, 140.0])[0]
