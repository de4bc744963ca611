"""report.html: written at snapshots and at the end, complete each time,
relative links only; off with --no-report; the comparison page; bad input;
no effect on training; and what a browser shows (headless Chromium)."""
import html.parser
import json
import os
import shlex
import shutil
import subprocess
import urllib.parse

import numpy
import pytest
from chainer import training
from chainer.training import extensions
from PIL import Image

from dcgan.cli import report, train, train_args
from dcgan.cli.train_command import command_line
from dcgan.extensions.html_report import HTMLReport
from dcgan.extensions.preview import PreviewGrid
from dcgan.io import imaging
from dcgan.io.report_html import RunStatus
from dcgan.io.run_folder import read_run
from dcgan.io.run_report import run_page
from dcgan.training.triggers import IntervalOrEnd
from tests.helpers import run_until_crash, tiny_updater, training_state

TINY = ['--ch', '16', '--n_hidden', '8', '--batchsize', '8', '--demo_images', '16',
        '--display_interval', '1', '--no-progress-bar', '--preview_rows', '2',
        '--preview_cols', '2', '--no-walk-gif', '--iteration', '3', '--snapshot_interval', '2',
        '--swd-samples', '16']
# Elements that have no end tag (HTML's void elements).
VOID = {'meta', 'img', 'br', 'hr', 'link', 'input', 'source', 'wbr', 'col', 'area', 'base'}


class Page(html.parser.HTMLParser):
    """The tags of a page, checked to close in order, and every link in it."""

    def __init__(self, path):
        super().__init__()
        self.stack, self.links, self.problems, self.refresh = [], [], [], False
        with open(path, encoding='utf-8') as f:
            self.text = f.read()
        self.feed(self.text)
        self.close()
        if self.stack:
            self.problems.append('unclosed: {}'.format(self.stack))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[k] for k in ('href', 'src') if k in attrs]
        if tag == 'meta' and attrs.get('http-equiv') == 'refresh':
            self.refresh = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ('href', 'src')]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append('</{}> closes {}'.format(tag, self.stack[-1:]))
        else:
            self.stack.pop()


def check_page(path):
    """Parse ``path``: complete, and every link relative and to a file that exists."""
    page = Page(path)
    assert page.problems == [] and page.text.rstrip().endswith('</html>'), page.problems
    folder = os.path.dirname(path)
    for link in page.links:
        parts = urllib.parse.urlsplit(link)
        assert not parts.scheme and not parts.netloc and not link.startswith('/'), link
        assert os.path.isfile(os.path.join(folder, urllib.parse.unquote(parts.path))), link
    return page


def tiny_trainer(out, iterations=5):
    return training.Trainer(tiny_updater(), (iterations, 'iteration'), out=str(out))


def test_page_is_written_at_start_snapshots_and_end_and_complete_each_time(tmp_path):
    trainer = tiny_trainer(tmp_path)
    gen = trainer.updater.gen
    trainer.extend(extensions.LogReport(trigger=(1, 'iteration')))
    trainer.extend(PreviewGrid(gen, 2, 2), trigger=IntervalOrEnd(2))
    trainer.extend(HTMLReport(command='dcgan-train --ch 16'), trigger=IntervalOrEnd(2))
    seen = []

    @training.make_extension(trigger=(1, 'iteration'), priority=-300)
    def probe(t):  # after the report of the same iteration
        page = check_page(str(tmp_path / 'report.html'))
        seen.append((t.updater.iteration, page.refresh, page.text))
    trainer.extend(probe)
    trainer.run()
    assert [(it, refresh) for it, refresh, _ in seen] == [(it, True) for it in range(1, 6)]
    # Written when training starts, then at iterations 2, 4 and 5.
    assert 'Training: iteration 0 of 5' in seen[0][2] and 'No preview grid yet' in seen[0][2]
    assert 'iteration 2 of 5' in seen[1][2] and seen[2][2] == seen[1][2]  # not at 3
    assert 'Training: iteration 4 of 5 (80 %)' in seen[3][2]
    assert 'preview/image00000004.png' in seen[3][2]
    assert 'image00000005.png' not in seen[3][2]
    final = check_page(str(tmp_path / 'report.html'))
    assert not final.refresh  # the run is over: no more reloading
    assert 'Finished: 5 iterations' in final.text and 'dcgan-train --ch 16' in final.text
    assert 'Latest preview (iteration 5)' in final.text and '<svg' in final.text
    assert not [n for n in os.listdir(str(tmp_path)) if n.startswith('.tmp')]


def test_a_run_that_stops_early_says_so_and_stops_reloading(tmp_path):
    trainer = tiny_trainer(tmp_path)
    trainer.extend(HTMLReport(), trigger=(2, 'iteration'))
    run_until_crash(trainer, 3)
    page = check_page(str(tmp_path / 'report.html'))
    assert 'Stopped at iteration 3 of 5' in page.text and not page.refresh


def test_the_report_leaves_training_unchanged(tmp_path):
    runs = []
    for name, report_on in (('plain', False), ('report', True)):
        trainer = tiny_trainer(tmp_path / name, iterations=4)
        trainer.extend(extensions.LogReport(trigger=(1, 'iteration')))
        trainer.extend(PreviewGrid(trainer.updater.gen, 2, 2), trigger=(2, 'iteration'))
        if report_on:
            trainer.extend(HTMLReport(), trigger=(1, 'iteration'))
        trainer.run()
        runs.append(training_state(trainer))
    assert (tmp_path / 'report' / 'report.html').is_file()
    assert not (tmp_path / 'plain' / 'report.html').exists()
    a, b = runs
    assert a.keys() == b.keys() and any(k.startswith('model:gen/bn0/avg') for k in a)
    assert any('optimizer:dis' in k for k in a) and any('rng' in k.lower() for k in a)
    for key in a:
        numpy.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_training_command_writes_it_unless_no_report_and_report_py_compares(tmp_path, capsys):
    a, b = tmp_path / 'runs' / 'a', tmp_path / 'runs' / 'b'
    assert train.main(TINY + ['--out', str(a)]) == 0
    assert train.main(TINY + ['--out', str(b), '--loss', 'hinge', '--no-report']) == 0
    assert not (b / 'report.html').exists()
    page = check_page(str(a / 'report.html'))
    assert 'Finished: 3 iterations' in page.text and 'progress.gif' in page.text
    assert '--ch 16' in page.text and 'nearest/nearest_iter_3.png' in page.text
    assert json.loads((a / 'config.json').read_text())['args']['report'] is True

    capsys.readouterr()
    compare = tmp_path / 'compare.html'
    assert report.main([str(a), str(b), '-o', str(compare)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(a / 'report.html'), str(b / 'report.html'), str(compare)]
    check_page(str(b / 'report.html'))
    page = check_page(str(compare))
    differ = page.text[page.text.index('Settings that differ'):page.text.index('other recorded')]
    for setting in ('<td>loss</td><td>nonsaturating</td><td>hinge</td>',
                    '<td>report</td><td>true</td><td>false</td>'):
        assert setting in differ
    assert '<td>ch</td>' not in differ and '<td>out</td>' not in differ
    assert 'runs/a/preview/image00000003.png' in page.text  # relative to compare.html
    assert 'a: gen/loss' in page.text and 'b: swd' in page.text


def test_report_py_names_a_folder_that_is_not_a_run(tmp_path, capsys):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'broken').mkdir()
    (tmp_path / 'broken' / 'config.json').write_text('{"args": ')
    for folder, sentence in (('missing', 'missing: no such folder'),
                             ('empty', 'empty holds neither config.json nor log'),
                             ('broken', 'config.json cannot be read as the run\'s settings')):
        with pytest.raises(SystemExit):
            report.main([str(tmp_path / folder)])
        err = capsys.readouterr().err
        assert sentence in err and 'Traceback' not in err and err.count('\n') == 1, err


@pytest.mark.parametrize('argv, shown', [
    ([], ''),
    (['--small-data', '--ema', '0.99', '--ema-warmup', '40'], '--small-data --ema 0.99'),
    (['--small-data', '--dis_noise', '0.2'], '--dis_noise 0.2 --small-data'),
    (['--cond', 'proj', '--label-sampling', 'data'], '--cond proj'),
    (['--walk-grid', '2x3', '--keep-snapshots', 'all', '-b', '7', '--spectral-norm', '--gpu', '-1',
      '--no-walk-gif'], '--batchsize 7 --keep-snapshots 0 --spectral-norm --no-walk-gif '
                        '--walk-grid 2x3')])
def test_the_command_shown_is_the_fewest_flags_that_give_the_settings(argv, shown):
    recorded = vars(train_args.parse_arguments(argv))
    words = shlex.split(command_line(recorded))
    assert words == ['dcgan-train'] + shown.split()
    again = vars(train_args.parse_arguments(words[1:]))
    recorded['device'] = str(recorded['device'])  # --gpu -1 is --device -1
    # As config.json holds them (tuples as lists); 40 == 40.0.
    assert json.loads(json.dumps(again)) == json.loads(json.dumps(recorded))


def fake_run(folder, config, colours=((230, 40, 40), (40, 200, 60), (40, 90, 230),
                                      (250, 210, 30))):
    """A run folder with config.json, a log and two 32 px previews whose four
    quarters have ``colours`` (the last preview)."""
    imaging.save_text(str(folder / 'config.json'), json.dumps(config))
    log = [{'iteration': it, 'elapsed_time': it / 10.0, 'gen/loss': 1.0 + it / 100.0,
            'dis/loss': 1.2, 'dis/real': 0.1, 'dis/fake': -0.1} for it in range(10, 110, 10)]
    imaging.save_text(str(folder / 'log'), json.dumps(log))
    grid = numpy.zeros((32, 32, 3), numpy.uint8)
    for i, colour in enumerate(colours):
        grid[16 * (i // 2):16 * (i // 2) + 16, 16 * (i % 2):16 * (i % 2) + 16] = colour
    imaging.save_png(str(folder / 'preview' / 'image00000050.png'), grid // 2)
    imaging.save_png(str(folder / 'preview' / 'image00000100.png'), grid)
    return colours


def test_report_py_reads_a_chainer_example_folder_with_no_config(tmp_path, capsys):
    fake_run(tmp_path, {})
    (tmp_path / 'config.json').unlink()
    assert report.main([str(tmp_path)]) == 0
    page = check_page(str(tmp_path / 'report.html'))
    assert 'Iteration 100; elapsed 0:10, 10 it/s (a run still training' in page.text
    assert 'Latest preview (iteration 100)' in page.text and '<pre>' not in page.text


def test_classes_and_counts_are_shown_where_recorded(tmp_path):
    data = {'images': 30, 'skipped': 2, 'resolution': 32, 'channels': 3}
    for name, config in (
            ('plain', {'data': data, 'args': {'dataset': 'data/sushi'}}),
            ('labelled', {'data': dict(data, classes=['tuna', 'salmon'], class_counts=[18, 12],
                                       unlabelled=0, labels_from='folders')}),
            ('top', {'data': data, 'classes': ['tuna', 'egg <b>'], 'class_counts': [20, 10]})):
        folder = tmp_path / name
        fake_run(folder, config)
        run = read_run(str(folder))
        text = run_page(run, RunStatus(run.iteration(), 100, 10.0, 'finished'))
        imaging.save_text(str(folder / 'report.html'), text)
        page = check_page(str(folder / 'report.html'))
        assert '<td>images used</td><td>30</td>' in page.text
        assert '<td>images skipped</td><td>2</td>' in page.text
        if name == 'plain':
            assert 'classes</h3>' not in page.text and 'data/sushi' in page.text
        else:
            assert '2 classes</h3>' in page.text and '<td>tuna</td>' in page.text
    labelled = (tmp_path / 'labelled' / 'report.html').read_text()
    assert '<td>salmon</td><td>12</td>' in labelled and '<td>labels from</td><td>folders' in labelled
    assert '<td>egg &lt;b&gt;</td><td>10</td>' in (tmp_path / 'top' / 'report.html').read_text()


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(chromium() is None, reason='no Chromium on PATH (Debian: apt-get install '
                                               'chromium; .ci/run installs it where it can)')
def test_chromium_shows_the_preview_grid_without_console_errors(tmp_path):
    run_dir = tmp_path / 'run'
    colours = fake_run(run_dir, {'data': {'images': 30}, 'args': {'iteration': 100}})
    run = read_run(str(run_dir))
    imaging.save_text(str(run_dir / 'report.html'),
                      run_page(run, RunStatus(100, 200, 10.0, 'running'), 'dcgan-train'))
    shot = tmp_path / 'shot.png'
    done = subprocess.run(
        [chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
         '--no-first-run', '--user-data-dir=' + str(tmp_path / 'profile'),
         '--enable-logging=stderr', '--v=0', '--window-size=1200,1400',
         '--screenshot=' + str(shot), (run_dir / 'report.html').as_uri()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert shot.is_file(), done.stderr[-2000:]
    # A page without scripts logs nothing to its console unless something is wrong.
    console = [line for line in done.stderr.splitlines() if ':CONSOLE' in line]
    assert console == []
    pixels = numpy.asarray(Image.open(str(shot)).convert('RGB')).astype(int)
    # The 32 px grid is drawn 30 times larger without blur: each quarter is a
    # 480 x 480 square of its exact colour (a broken image shows none of them).
    for colour in colours:
        near = (numpy.abs(pixels - colour).max(axis=2) <= 3).sum()
        assert near > 200 * 200, (colour, near)
