"""Pool the per-seed results of earlier small-data runs into one verdict.

Training is deterministic per seed, so runs recorded in benchmarks/results/
on different days can be put side by side: this reads the per-run lines
that benchmarks/small_data.py prints ("example seed 0 swd 182.8 ...") and
those of benchmarks/ema_warmup.py run on the example configuration (flags
""), where the raw generator is the example's run and, while the preset is
an EMA alone, the EMA with the preset's decay and warm-up is the preset's
sample generator of that same run. Runs are pooled only if they used the
same data, width, batch and iteration count, and small_data.py runs only if
they recorded the current preset. A seed found twice must score the same.

    python benchmarks/pool_seeds.py benchmarks/results/small_data_ch128_1000_ema_w40.txt \\
        benchmarks/results/small_data_ema_warmup_sweep.txt
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import small_data  # noqa: E402  (sets up sys.path and imports dcgan first)

from dcgan.cli import stabiliser_options as options  # noqa: E402

SETUP_SMALL_DATA = re.compile(r'dataset: (\d+) demo images at (\d+) px; ch=(\d+) .*batch (\d+); '
                              r'(\d+) iterations')
SETUP_EMA_WARMUP = re.compile(r'^(\d+) demo images at (\d+) px, ch (\d+), batch (\d+), '
                              r'(\d+) iterations, flags "(.*)"; EMA decay cap ([\d.]+)')
PRESET = re.compile(r'^preset --small-data = (.*)$')
RUN_SMALL_DATA = re.compile(r'^\s+(\S+)\s+seed (\d+)\s+swd\s+([\d.]+)')
RUN_EMA_WARMUP = re.compile(r'^\s+seed (\d+)\s+(.+?)\s+((?:\d+:[\d.]+ ?)+)$')


class PoolError(Exception):
    pass


def preset_probe_name():
    """The ema_warmup.py row that is the preset's generator, or None when
    the preset changes training (then no such row exists)."""
    preset = options.SMALL_DATA_PRESET
    if set(preset) != {'ema', 'ema_warmup'}:
        return None, None
    return 'ema W={:g}'.format(preset['ema_warmup']), preset['ema']


def read_runs(path, probe, decay):
    """Yield (setup, configuration, seed, swd) for each usable run line."""
    setup = usable = kind = None
    with open(path) as f:
        for line in f:
            m = SETUP_SMALL_DATA.search(line)
            if m and not line.startswith('#'):
                setup, kind, usable = m.groups(), 'small_data', None
                continue
            m = SETUP_EMA_WARMUP.search(line)
            if m:
                setup, kind = m.groups()[:5], 'ema_warmup'
                usable = (m.group(6) == '' and probe is not None
                          and float(m.group(7)) == decay)
                continue
            m = PRESET.search(line)
            if m and kind == 'small_data':
                usable = m.group(1).strip() == options.describe_preset()
                continue
            if not usable:
                continue
            m = RUN_SMALL_DATA.search(line)
            if kind == 'small_data' and m and m.group(1) in ('example', 'small-data'):
                yield setup, m.group(1), int(m.group(2)), float(m.group(3))
                continue
            m = RUN_EMA_WARMUP.search(line)
            if kind == 'ema_warmup' and m:
                name = {'raw G': 'example', probe: 'small-data'}.get(m.group(2))
                if name:
                    final = float(m.group(3).split()[-1].split(':')[1])
                    yield setup, name, int(m.group(1)), final


def pool(paths):
    probe, decay = preset_probe_name()
    setups, scores = set(), {'example': {}, 'small-data': {}}
    for path in paths:
        for setup, name, seed, swd in read_runs(path, probe, decay):
            setups.add(setup)
            known = scores[name].get(seed)
            if known is not None and known[0] != swd:
                raise PoolError('{} seed {}: {} in {} but {} in {}; runs of one seed must '
                                'agree'.format(name, seed, swd, path, known[0], known[1]))
            scores[name][seed] = (swd, path)
    if len(setups) > 1:
        raise PoolError('the files hold runs of different setups (images, px, ch, batch, '
                        'iterations): {}'.format(sorted(setups)))
    seeds = sorted(set(scores['example']) & set(scores['small-data']))
    if not seeds:
        raise PoolError('no seed has both an example and a current-preset run in these files')
    return setups.pop(), seeds, scores


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('files', nargs='+')
    a = p.parse_args(argv)
    try:
        setup, seeds, scores = pool(a.files)
    except (PoolError, OSError) as e:
        sys.exit('pool_seeds.py: {}'.format(e))
    print('{} demo images at {} px, ch {}, batch {}, {} iterations; preset --small-data = {}'
          .format(*setup, options.describe_preset()))
    for seed in seeds:
        print('  seed {:>2}  example {:6.1f}  small-data {:6.1f}'.format(
            seed, scores['example'][seed][0], scores['small-data'][seed][0]))
    a_s = [scores['example'][s][0] for s in seeds]
    b_s = [scores['small-data'][s][0] for s in seeds]
    print('example    {:.1f} +- {:.1f} over {} seeds'.format(*small_data.mean_std(a_s), len(seeds)))
    print('small-data {:.1f} +- {:.1f} over {} seeds'.format(*small_data.mean_std(b_s), len(seeds)))
    for line in small_data.compare('example', a_s, 'small-data', b_s):
        print(line)


if __name__ == '__main__':
    main()
