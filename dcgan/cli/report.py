"""dcgan-report: report.html for runs, and a page comparing several; wiring only.

    python examples/report.py result
    python examples/report.py result/a result/b -o compare.html

A training run writes its own report.html as it goes (unless --no-report);
this writes the same page from the files alone, e.g. for a run made with
--no-report or by an older version.
"""
import os
import sys
import types

from dcgan.cli.errors import ArgumentParser, UsageError, run_command
from dcgan.cli.train import stop_iteration
from dcgan.cli.train_command import command_line
from dcgan.io import imaging, run_folder
from dcgan.io.compare_report import comparison_page
from dcgan.io.report_html import RunStatus
from dcgan.io.run_report import run_page

REPORT = 'report.html'


def build_parser():
    parser = ArgumentParser(
        prog='dcgan-report',
        description='Write report.html in each training run\'s --out folder, and with '
                    'several folders a page comparing them.')
    parser.add_argument('runs', nargs='+', metavar='RESULT_DIR',
                        help='the --out folder of a training run')
    parser.add_argument('--out', '-o', default='compare.html',
                        help='the comparison page, with several RESULT_DIRs (default: '
                             'compare.html in the current folder)')
    return parser


def load_run(folder):
    """The RunFolder of ``folder``; UsageError when it is not a run's output."""
    try:
        run = run_folder.read_run(folder)
    except run_folder.RunFolderError as e:
        raise UsageError(str(e))
    if run.config is None and not run.log:
        raise UsageError('{} holds neither config.json nor log, so it is not the --out '
                         'folder of a training run'.format(folder))
    return run


def recorded_stop(run):
    """The iteration the run was to stop at, from its recorded settings."""
    args, images = run.args, run.data.get('images')
    if not args.get('iteration') and not (args.get('epoch') and images):
        return None
    return stop_iteration(types.SimpleNamespace(
        iteration=args.get('iteration'), epoch=args.get('epoch'),
        batchsize=args.get('batchsize', 1)), images)


def status_of(run):
    """The run's progress as its files show it; the time is the log's."""
    iteration, stop, timed = run.iteration(), recorded_stop(run), run.logged_elapsed()
    return RunStatus(iteration, stop, timed and timed[1],
                     'finished' if stop and iteration >= stop else 'unknown',
                     timed_iteration=timed and timed[0])


def write(path, text):
    try:
        return imaging.save_text(path, text)
    except OSError as e:
        raise UsageError('cannot write {} ({})'.format(path, e.strerror or e))


def run(argv=None):
    args = build_parser().parse_args(argv)
    runs = [load_run(folder) for folder in args.runs]
    statuses = [status_of(r) for r in runs]
    for r, status in zip(runs, statuses):
        command = command_line(r.args) if r.args else None
        print(write(os.path.join(r.path, REPORT), run_page(r, status, command)))
    if len(runs) > 1:
        folder = os.path.dirname(os.path.abspath(args.out))
        print(write(args.out, comparison_page(runs, statuses, folder,
                                              reports=[REPORT] * len(runs))))
    return 0


def main(argv=None):
    return run_command(run, argv)


if __name__ == '__main__':
    sys.exit(main())
