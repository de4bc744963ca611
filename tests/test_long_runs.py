"""benchmarks/long_runs.py's plan and report, and benchmarks/glyph_set.py."""
import json
import os
import sys

import numpy

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))

import glyph_set  # noqa: E402
import long_runs  # noqa: E402


def _args():
    return long_runs.argparse.Namespace(seeds=[0, 1], sets=['demo'], lengths=[1000, 2000],
                                        configs=['example', 'old-preset'], interval=1000,
                                        extra={}, lengths_of={})


def test_a_run_without_a_schedule_is_trained_once_and_read_at_every_length(tmp_path):
    args = _args()
    runs = long_runs.plan(args)
    lengths = sorted((r['config'], r['seed'], r['length']) for r in runs)
    assert lengths == [('example', 0, 2000), ('example', 1, 2000), ('old-preset', 0, 1000),
                       ('old-preset', 0, 2000), ('old-preset', 1, 1000), ('old-preset', 1, 2000)]
    for run in runs:  # a log as the trainer writes it: swd only where measured
        run['out'], run['rc'] = str(tmp_path / '{config}_{seed}_{length}'.format(**run)), 0
        os.makedirs(run['out'])
        entries = [{'iteration': it, 'dis/loss': 0.5} for it in (500, 1500)]
        entries += [{'iteration': it, 'swd': it / 10 + run['seed'] + (run['config'] == 'example'),
                     'checker': 1.0, 'dis/loss': 0.4, 'dis/real': 1.0}
                    for it in range(1000, run['length'] + 1, 1000)]
        with open(os.path.join(run['out'], 'log'), 'w') as f:
            json.dump(entries, f)
        run['curve'] = long_runs.curve(run)
    assert sorted(runs[0]['curve']) == list(range(1000, runs[0]['length'] + 1, 1000))
    assert long_runs.value_at(runs, 'example', 'demo', 1, 1000) == 102.0
    assert long_runs.value_at(runs, 'old-preset', 'demo', 1, 1000) == 101.0
    text = long_runs.report(runs, args)
    assert '| demo | example | 101.5 +- 0.5 (101.0 / 102.0) | 201.5 +- 0.5 (201.0 / 202.0) |' in text


def test_glyphs_are_deterministic_coloured_images():
    a, b = glyph_set.make_glyphs(6, 16, seed=1), glyph_set.make_glyphs(6, 16, seed=1)
    assert a.shape == (6, 3, 16, 16) and a.dtype == numpy.uint8
    assert numpy.array_equal(a, b)
    assert not numpy.array_equal(a, glyph_set.make_glyphs(6, 16, seed=2))
    # A glyph on a background: every image spans a wide range in some channel.
    assert all(numpy.ptp(img.reshape(3, -1), axis=1).max() > 100 for img in a)


def test_an_earlier_report_gives_back_its_curves_for_pooling_seeds():
    args = _args()
    runs = [dict(config='example', data='demo', seed=0, length=2000, out='/nonexistent', seconds=5.0,
                 curve={1000: {'swd': 101.25, 'checker': -0.5, 'dis/loss': 0.4, 'dis/real': 1.5,
                               'dis/aug_p': None},
                        2000: {'swd': 90.0, 'checker': 2.0, 'dis/loss': 0.3, 'dis/real': 2.0,
                               'dis/aug_p': 1.0}}),
            dict(config='old-preset', data='demo', seed=1, length=1000, out='/nonexistent',
                 curve={1000: {'swd': 50.0, 'checker': 0.0, 'dis/loss': 0.5, 'dis/real': 1.0,
                               'dis/aug_p': None}})]
    # Written as a report does it: unfinished runs (no gen file in /nonexistent) are marked
    # so and not read back.
    text = long_runs.report(runs, args)
    assert 'example on demo, seed 0, 2000 iterations (5 s) (unfinished):' in text
    assert long_runs.curves_from_report(text) == {}
    text = text.replace(' (unfinished)', '')
    curves = long_runs.curves_from_report(text)
    assert sorted(curves) == [('example', 'demo', 0, 2000), ('old-preset', 'demo', 1, 1000)]
    back = curves[('example', 'demo', 0, 2000)]
    assert back[1000] == {'swd': 101.2, 'checker': -0.5, 'dis/loss': 0.4, 'dis/real': 1.5,
                          'dis/aug_p': None}  # as printed: one decimal for swd
    assert back[2000]['dis/aug_p'] == 1.0
    # A configuration without a schedule is read at a shorter length from a longer run;
    # one with a schedule only at its own length.
    short = dict(config='example', data='demo', seed=0, length=1000)
    assert long_runs.earlier_curve(short, curves) == (back, 2000)
    other = dict(config='old-preset', data='demo', seed=1, length=2000)
    assert long_runs.earlier_curve(other, curves) == (None, 2000)


def test_an_earlier_reports_renamed_configuration_pools_under_its_new_name(tmp_path):
    # A report of 2026-12-03 names the preset of that day 'preset'; today that is 'ada-preset'.
    report = tmp_path / 'old.txt'
    report.write_text('preset on demo, seed 1, 1000 iterations (9 s):\n'
                      '   1000   88.0   0.5   0.40  2.00  1.00\n')
    renamed = long_runs.renamed_curves(long_runs.curves_from_report(report.read_text()),
                                       {'preset': 'ada-preset'})
    assert list(renamed) == [('ada-preset', 'demo', 1, 1000)]
    assert renamed[('ada-preset', 'demo', 1, 1000)][1000]['swd'] == 88.0
    out = tmp_path / 'report.txt'
    long_runs.main(['--report-only', '--work', str(tmp_path / 'work'), '--seeds', '1',
                    '--sets', 'demo', '--configs', 'ada-preset', 'preset', '--lengths', '1000',
                    '--earlier', str(report), '--earlier-renamed', 'preset=ada-preset',
                    '--results', str(out)])
    text = out.read_text()
    assert '| demo | ada-preset | 88.0 +- 0.0 (88.0) |' in text
    assert 'preset on demo, seed 1, 1000 iterations: not run' in text
