"""Does a configuration keep improving after 1000 iterations? SWD and checkerboard curves.

Trains configurations with ``examples/train_dcgan.py`` on small sets, for runs
of several lengths (default 1000, 3000 and 6000 iterations) and several seeds,
and prints, for every run, ``swd`` (x1e3, lower is better), ``checker`` (the
samples' checkerboard energy over the real images', dB; 0 = as the data) and
D's state (``dis/loss``, ``dis/real``, ADA's p) at every evaluation point,
then each configuration's mean, spread and per-seed values at each length.

A configuration whose training does not depend on the run's length (nothing
in it is scheduled over ``--iteration``; the example's settings and today's
``--small-data``: tests/test_small_data_preset.py checks that a short run is
bit for bit the start of a longer one) is trained once, to the longest
length, and read at each length. A configuration with a schedule over the
run (``old-preset``: instance noise falling to 0 at the end) is trained once
per length.

Sets, 256 images each at 32 px: ``demo`` (the built-in blobs,
dcgan/data/demo.py) and ``glyphs`` (letters in matplotlib's fonts,
benchmarks/glyph_set.py). Every run uses ch 128, batch 32 (the demo's net),
one BLAS thread, ``--jobs`` runs at a time.

    python benchmarks/long_runs.py                                   # ~2 h on 2 cores
    python benchmarks/long_runs.py --seeds 0 --lengths 1000 --configs example preset
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

# name -> (flags, trained once per length?)
CONFIGS = {
    'example': ([], False),
    # --small-data until 2026-12-02: EMA, no noise in D's layers, instance
    # noise 0.2 falling to 0 at the end of the run.
    'old-preset': (['--ema', '0.999', '--ema-warmup', '40', '--dis_noise', '0',
                    '--instance-noise', '0.2'], True),
    # --small-data from 2026-12-02 to 2026-12-03 (named 'preset' in the
    # reports of those days): ADA, nearest up-sampling, D on every iteration,
    # no R1.
    'ada-preset': (['--small-data', '--dis_every', '1', '--ada-kimg', '20', '--r1-gamma', '0'],
                   False),
    # That with D on every 2nd iteration only and ADA twice as fast per real
    # image D judges (the demo's settings then).
    'preset-d2': (['--small-data', '--r1-gamma', '0'], False),
    # Today's --small-data: the same plus lazy R1 (0.1 on every 16th D step).
    'preset': (['--small-data'], False),
}
SETS = ('demo', 'glyphs')
COMMON = ['--ch', '128', '--batchsize', '32', '--nearest-interval', '0', '--no-walk-gif',
          '--no-progress-gif', '--no-report', '--no-progress-bar', '--no-auto-resume']
KEYS = ('swd', 'checker', 'dis/loss', 'dis/real', 'dis/aug_p')


def set_flags(name, work):
    if name == 'demo':
        return ['--demo_images', '256']
    folder = os.path.join(work, 'glyphs')
    if not os.path.isdir(folder):
        import glyph_set
        glyph_set.write_folder(glyph_set.make_glyphs(256, 32, seed=0), folder)
    return ['--dataset', folder, '--resolution', '32']


def plan(args):
    runs = []
    for seed in args.seeds:
        for data in args.sets:
            for config in args.configs:
                flags, per_length = CONFIGS[config]
                lengths = args.lengths_of.get(config, args.lengths)
                for length in (lengths if per_length else [max(lengths)]):
                    runs.append(dict(config=config, data=data, seed=seed, length=length,
                                     flags=flags + args.extra.get(config, [])))
    # Longest first, so the last runs to finish are short ones.
    return sorted(runs, key=lambda run: -run['length'])


def out_folder(run, work):
    return os.path.join(work, '{config}_{data}_s{seed}_{length}'.format(**run))


def existing_run(run, work):
    """For a report: a configuration without a schedule trained to another
    length by an earlier call (e.g. seed 1 only to 3000) stands in."""
    if os.path.isdir(run['out']) or CONFIGS[run['config']][1]:
        return run
    prefix = '{config}_{data}_s{seed}_'.format(**run)
    lengths = sorted(int(name[len(prefix):]) for name in os.listdir(work)
                     if name.startswith(prefix) and name[len(prefix):].isdigit()
                     and os.path.isdir(os.path.join(work, name)))
    if not lengths:
        return run
    longest = dict(run, length=lengths[-1])
    return dict(longest, out=out_folder(longest, work))


def finished(run):
    return os.path.isfile(os.path.join(run['out'], 'gen_iter_{}.npz'.format(run['length'])))


def command(run, work, interval):
    return ([sys.executable, os.path.join(ROOT, 'examples', 'train_dcgan.py'),
             '--iteration', str(run['length']), '--seed', str(run['seed']),
             '--snapshot_interval', str(interval), '--swd-interval', str(interval), '--out', run['out']]
            + COMMON + set_flags(run['data'], work) + run['flags'])


def execute(runs, work, jobs, interval):
    env = dict(os.environ, OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1', MKL_NUM_THREADS='1')
    # A run already finished in --work (an earlier call) is not trained again.
    waiting, active = [r for r in runs if not finished(r)], []
    while waiting or active:
        while waiting and len(active) < jobs:
            run = waiting.pop(0)
            cmd = command(run, work, interval)
            run['log_file'] = open(run['out'] + '.txt', 'w')
            run['start'] = time.time()
            run['proc'] = subprocess.Popen(cmd, stdout=run['log_file'], stderr=subprocess.STDOUT,
                                           env=env, cwd=ROOT)
            active.append(run)
            print('# started {}: {}'.format(os.path.basename(run['out']),
                                             ' '.join(shlex.quote(c) for c in run['flags'])),
                  flush=True)
        time.sleep(2)
        for run in active:
            rc = run['proc'].poll()
            if rc is not None:
                run['rc'], run['seconds'] = rc, time.time() - run['start']
                run['log_file'].close()
                print('# finished {} (exit {}, {:.0f} s)'.format(
                    os.path.basename(run['out']), rc, run['seconds']), flush=True)
        active = [r for r in active if 'rc' not in r]


def curve(run):
    """{iteration: {key: value}} at the evaluation points of a finished run."""
    try:
        with open(os.path.join(run['out'], 'log')) as f:
            entries = json.load(f)
    except (OSError, ValueError):
        return {}
    points = {}
    for entry in entries:
        if 'swd' in entry:
            points[entry['iteration']] = {k: entry.get(k) for k in KEYS}
    return points


# A run's header in a report: "preset on demo, seed 0, 6000 iterations (123 s):".
_HEADER = re.compile(r'^(\S+) on (\S+), seed (\d+), (\d+) iterations(?: \(\d+ s\))?'
                     r'( \(unfinished\))?:$')


def curves_from_report(text):
    """{(config, data, seed, length): curve} of the finished runs in a report
    this script wrote, so a later call can pool seeds whose run folders are
    gone (e.g. seed 0 from one session, seed 1 from the next)."""
    curves, current = {}, None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            config, data, seed, length, unfinished = header.groups()
            current = None if unfinished else {}
            if current is not None:
                curves[(config, data, int(seed), int(length))] = current
            continue
        fields = line.split()
        if not (line.startswith('  ') and len(fields) == 1 + len(KEYS) and fields[0].isdigit()):
            current = None  # the block of points ended
            continue
        if current is not None:
            current[int(fields[0])] = {key: None if value == '-' else float(value)
                                       for key, value in zip(KEYS, fields[1:])}
    return {key: curve for key, curve in curves.items() if curve}


def renamed_curves(curves, renamed):
    """``curves_from_report``'s curves with their configurations' names of
    today: a report's 'preset' is whatever --small-data was that day."""
    return {(renamed.get(config, config),) + tuple(rest): curve
            for (config, *rest), curve in curves.items()}


def earlier_curve(run, earlier):
    """A run's curve from an earlier report: the same length, or for a
    configuration without a schedule any longer run of the same seed."""
    exact = earlier.get((run['config'], run['data'], run['seed'], run['length']))
    if exact or CONFIGS[run['config']][1]:
        return exact, run['length']
    longer = sorted(length for (config, data, seed, length) in earlier
                    if (config, data, seed) == (run['config'], run['data'], run['seed'])
                    and length >= run['length'])
    if not longer:
        return None, run['length']
    return earlier[(run['config'], run['data'], run['seed'], longer[-1])], longer[-1]


def value_at(runs, config, data, seed, length, key='swd'):
    for run in runs:
        if (run['config'], run['data'], run['seed']) == (config, data, seed) and (
                run['length'] == length or (not CONFIGS[config][1] and run['length'] >= length)):
            if run['curve'].get(length, {}).get(key) is not None:
                return run['curve'][length][key]
    return None


def _fmt(value, digits=1):
    return '-' if value is None else '{:.{}f}'.format(value, digits)


def report(runs, args):
    lines = ['## Curves (every {} iterations): swd / checker dB / dis/loss / dis/real / p'
             .format(args.interval)]
    for run in runs:
        if not run['curve']:
            lines.append('{config} on {data}, seed {seed}, {length} iterations: not run{why}'.format(
                why='' if 'rc' not in run else ' (exit {}: see {}.txt)'.format(run['rc'], run['out']),
                **run))
            continue
        # Only finished runs are read from an earlier report.
        done = '' if 'from' in run or finished(run) else ' (unfinished)'
        lines.append('{config} on {data}, seed {seed}, {length} iterations{secs}{done}:'.format(
            secs=' ({:.0f} s)'.format(run['seconds']) if 'seconds' in run else '',
            done=done, **run))
        for it in sorted(run['curve']):
            p = run['curve'][it]
            lines.append('  {:>5}  {:>6} {:>5} {:>6} {:>5} {:>5}'.format(
                it, _fmt(p['swd']), _fmt(p['checker']), _fmt(p['dis/loss'], 2),
                _fmt(p['dis/real'], 2), _fmt(p['dis/aug_p'], 2)))
    import numpy
    for key, digits in (('swd', 1), ('checker', 1), ('dis/loss', 2)):
        lines.append('')
        lines.append('## {} at the end of a run of each length: mean +- std (seeds {})'.format(
            key, ' / '.join(str(s) for s in args.seeds)))
        lines.append('| set | configuration | ' + ' | '.join(str(n) for n in args.lengths) + ' |')
        lines.append('|---|---|' + '---|' * len(args.lengths))
        for data in args.sets:
            for config in args.configs:
                cells = []
                for length in args.lengths:
                    vals = [value_at(runs, config, data, s, length, key) for s in args.seeds]
                    got = [v for v in vals if v is not None]
                    spread = '{} +- {}'.format(_fmt(numpy.mean(got), digits),
                                               _fmt(numpy.std(got), digits)) if got else '-'
                    cells.append('{} ({})'.format(spread, ' / '.join(_fmt(v, digits) for v in vals)))
                lines.append('| {} | {} | {} |'.format(data, config, ' | '.join(cells)))
    return '\n'.join(lines)


def per_config(pairs, flag, parse):
    """['preset=...'] -> {'preset': parse('...')}."""
    found = {}
    for pair in pairs:
        name, _, value = pair.partition('=')
        if name not in CONFIGS:
            raise SystemExit('long_runs.py: {} {!r}: no configuration {!r}; use one of {}'
                             .format(flag, pair, name, ', '.join(CONFIGS)))
        found[name] = parse(value)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--sets', nargs='+', default=list(SETS), choices=SETS)
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    parser.add_argument('--lengths', nargs='+', type=int, default=[1000, 3000, 6000])
    parser.add_argument('--interval', type=int, default=500,
                        help='iterations between evaluations (swd, checker); lengths must be '
                             'multiples of it')
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--extra', action='append', default=[], metavar='CONFIG=FLAGS',
                        help='more flags for one configuration, e.g. --extra "preset=--ada-kimg 10"')
    parser.add_argument('--lengths-of', action='append', default=[], metavar='CONFIG=N,N',
                        help='other lengths for one configuration, e.g. old-preset=3000 '
                             '(its cells at the other lengths stay empty)')
    parser.add_argument('--report-only', action='store_true',
                        help='train nothing: report the runs already in --work')
    parser.add_argument('--earlier', action='append', default=[], metavar='REPORT',
                        help='a report this script wrote earlier (benchmarks/results/...): its '
                             'curves fill the runs that --work does not hold, so seeds run in '
                             'different sessions pool into one table')
    parser.add_argument('--earlier-renamed', action='append', default=[], metavar='OLD=NEW',
                        help='a configuration the --earlier reports name OLD, now NEW (e.g. '
                             'preset=ada-preset: --small-data has changed since)')
    parser.add_argument('--work', default=None, help='folder for the runs (default: a new temp folder)')
    parser.add_argument('--results', default=None, help='also write the report to this file')
    args = parser.parse_args(argv)
    args.extra = per_config(args.extra, '--extra', shlex.split)
    for pair in args.earlier_renamed:
        if pair.partition('=')[2] not in CONFIGS:
            parser.error('--earlier-renamed {}: give OLD=NEW, NEW one of {}'.format(
                pair, ', '.join(CONFIGS)))
    renamed = dict(pair.split('=', 1) for pair in args.earlier_renamed)
    args.lengths_of = per_config(args.lengths_of, '--lengths-of',
                                 lambda text: [int(n) for n in text.split(',')])
    every = args.lengths + [n for ns in args.lengths_of.values() for n in ns]
    if any(n % args.interval for n in every):
        parser.error('lengths must be multiples of --interval ({})'.format(args.interval))
    earlier = {}  # read before any training, so a wrong path costs nothing
    for path in args.earlier:
        try:
            with open(path) as f:
                earlier.update(renamed_curves(curves_from_report(f.read()), renamed))
        except OSError as exc:
            parser.error('--earlier {}: cannot read it ({})'.format(path, exc.strerror))
    work = args.work or tempfile.mkdtemp(prefix='long_runs_')
    os.makedirs(work, exist_ok=True)
    runs = plan(args)
    for run in runs:
        run['out'] = out_folder(run, work)
    started = time.time()
    if args.report_only:
        runs = [existing_run(run, work) for run in runs]
    else:
        print('# {} runs in {}, {} at a time'.format(len(runs), work, args.jobs), flush=True)
        execute(runs, work, args.jobs, args.interval)
    for run in runs:
        run['curve'] = curve(run)
        if not run['curve'] and earlier:
            found, length = earlier_curve(run, earlier)
            if found:  # else the run stays "not run" in the report
                run['curve'], run['length'], run['from'] = found, length, 'earlier report'
    text = report(runs, args)
    if not args.report_only:
        text += '\n\n# {:.0f} min wall; load average at the end {}\n'.format(
            (time.time() - started) / 60, ' '.join('{:.1f}'.format(x) for x in os.getloadavg()))
    text = '# python benchmarks/long_runs.py {}\n{}'.format(
        ' '.join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])), text)
    print(text)
    if args.results:
        with open(args.results, 'w') as f:
            f.write(text)


if __name__ == '__main__':
    main()
