"""The commands the README (and docs/) show use only flags their programs know.

Each program's flags are read from its own `--help`, run in a subprocess, so
the check follows the parsers however the CLI builds them. A command is a
line of a fenced block, or an inline code span, that starts with
`python SCRIPT.py` or an installed entry point (`dcgan-train`, ...).
`python dev.py demo ARGS` passes ARGS to examples/train_dcgan.py; `python
dev.py test ARGS` passes them to pytest, which is not checked. Inline flags
outside a command (`--ema 0.999`) must be known to one of the examples'
programs (README only: docs/ also quote benchmark-only spellings).
"""
import json
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKED = ('README.md', 'docs/small-data.md', 'docs/speed.md', 'docs/report.md',
           'docs/gpu.md', 'docs/pix2pix.md', 'docs/distributed.md', 'docs/conditional.md',
           'datasets/README.md')
ENTRY_POINTS = {'dcgan-train': 'examples/train_dcgan.py',
                'dcgan-walk': 'examples/walk.py',
                'dcgan-evaluate': 'examples/evaluate.py',
                'dcgan-report': 'examples/report.py',
                'dcgan-pix2pix': 'examples/train_pix2pix.py',
                'dcgan-translate': 'examples/translate.py'}
EXAMPLES = ('examples/train_dcgan.py', 'examples/walk.py',
            'examples/evaluate.py', 'examples/nearest.py', 'examples/report.py',
            'examples/train_pix2pix.py', 'examples/translate.py')
FLAG = re.compile(r'(?<![\w-])(--?[A-Za-z][\w-]*)')
FENCE = re.compile(r'^```(\w*)\n(.*?)^```', re.S | re.M)
SPAN = re.compile(r'`([^`]+)`')


def code_pieces(text):
    """(line number, text, from a fenced block) of every shell line and inline span."""
    pieces = []
    for m in FENCE.finditer(text):
        if m.group(1) and m.group(1) not in ('sh', 'bash', 'shell', 'console'):
            continue  # e.g. ```python: code, not commands
        first = text.count('\n', 0, m.start(2)) + 1
        lines = m.group(2).split('\n')
        i = 0
        while i < len(lines):
            number, line = first + i, lines[i]
            while line.endswith('\\') and i + 1 < len(lines):
                i += 1
                line = line[:-1] + ' ' + lines[i]
            pieces.append((number, line, True))
            i += 1
    # Blank out the fences, keeping line numbers, then read the spans.
    prose = FENCE.sub(lambda m: '\n' * m.group(0).count('\n'), text)
    for m in SPAN.finditer(prose):
        pieces.append((prose.count('\n', 0, m.start()) + 1,
                       m.group(1).replace('\n', ' '), False))
    return pieces


def split_command(piece):
    """(program, arguments) if the piece runs one of ours, else None."""
    try:
        words = shlex.split(piece, comments=True)
    except ValueError:
        return None
    while words and re.match(r'^[A-Z_]+=', words[0]):
        words = words[1:]  # OMP_NUM_THREADS=1 ...
    if words[:1] in (['mpiexec'], ['mpirun']) and 'python' in words:
        words = words[words.index('python'):]  # mpiexec -n 2 [its options] python ...
    if not words:
        return None
    if words[0] in ENTRY_POINTS:
        return ENTRY_POINTS[words[0]], words[1:]
    if (words[0] in ('python', 'python3') and len(words) > 1
            and words[1].endswith('.py')):
        return words[1], words[2:]
    return None


def flags_of(words):
    found = []
    for word in words:
        m = FLAG.match(word)
        if m and not word[1:2].isdigit():
            found.append(m.group(1))
    return found


def help_flags(text):
    """The option strings in an argparse --help text."""
    flags = set()
    for line in text.splitlines():
        if line.startswith('  -'):
            invocation = re.split(r'\s{2,}', line.strip())[0]
            flags.update(FLAG.findall(invocation))
    return flags


# Runs each program's --help as `python PROGRAM --help` would, one after the
# other in a single helper process, so Chainer is imported once, not per program.
HELP_RUNNER = r"""
import contextlib, io, json, runpy, sys
results = {}
for path in sys.argv[1:]:
    out = io.StringIO()
    sys.argv = [path, '--help']
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            runpy.run_path(path, run_name='__main__')
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:
        code, out = 1, io.StringIO('%s: %s' % (type(e).__name__, e))
    results[path] = [code, out.getvalue()]
sys.stdout.write(json.dumps(results))
"""


class Programs:
    """Each program's flags, read from its --help."""

    def __init__(self, programs):
        paths = [p for p in sorted(programs) if os.path.isfile(os.path.join(ROOT, p))]
        env = dict(os.environ, COLUMNS='200', PYTHONDONTWRITEBYTECODE='1')
        done = subprocess.run([sys.executable, '-c', HELP_RUNNER] + paths, cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=300)
        assert done.returncode == 0, done.stderr
        self.flags, self.errors, self.dev_actions = {}, {}, set()
        for program, (code, out) in json.loads(done.stdout).items():
            if code != 0:
                self.errors[program] = out.strip().splitlines()[-1:] or ['no output']
            elif program == 'dev.py':
                # dev.py has no argparse: its usage lists "python dev.py ACTION".
                self.dev_actions = set(re.findall(r'python dev\.py ([\w-]+)', out))
                self.flags[program] = {'-h', '--help'}
            else:
                self.flags[program] = help_flags(out)

        self.covers = set(programs)

    def union(self):
        return set().union(*(self.flags.get(p, set()) for p in EXAMPLES))


_programs = []


def programs_for(needed):
    """A Programs covering `needed`, reusing the last one when it does."""
    needed = {p for p in set(needed) | set(EXAMPLES) | {'dev.py'}
              if os.path.isfile(os.path.join(ROOT, p))}
    if not _programs or not needed <= _programs[-1].covers:
        _programs.append(Programs(needed | (_programs[-1].covers if _programs else set())))
    return _programs[-1]


def commands(path, text):
    """(where, program, arguments) for every command in a markdown text."""
    found = []
    for number, piece, _ in code_pieces(text):
        command = split_command(piece)
        if command:
            found.append(('%s line %d: %s' % (path, number, piece.strip()),) + command)
    return found


def programs_needed(found):
    needed = set()
    for _, program, words in found:
        needed.add(program)
        if program == 'dev.py' and words[:1] == ['demo']:
            needed.add('examples/train_dcgan.py')
    return needed


def problems_in(path, text, programs, check_loose_flags):
    problems = []
    for where, program, words in commands(path, text):
        if not os.path.isfile(os.path.join(ROOT, program)):
            problems.append('%s: no such program %s' % (where, program))
            continue
        if program in programs.errors:
            problems.append('%s: %s --help failed: %s'
                            % (where, program, programs.errors[program][0]))
            continue
        if program == 'dev.py':
            if words and words[0] not in programs.dev_actions | programs.flags[program]:
                problems.append('%s: dev.py has no action %r (it knows %s)'
                                % (where, words[0], ', '.join(sorted(programs.dev_actions))))
                continue
            if words[:1] != ['demo']:
                continue  # `test` passes its arguments to pytest
            program, words = 'examples/train_dcgan.py', words[1:]
        known = programs.flags[program]
        for flag in flags_of(words):
            if flag not in known:
                problems.append('%s: %s is not a flag of %s' % (where, flag, program))
    if check_loose_flags:
        known = programs.union()
        for number, piece, fenced in code_pieces(text):
            if fenced or split_command(piece):
                continue
            for flag in FLAG.findall(piece):
                if flag not in known:
                    problems.append('%s line %d: `%s`: %s is not a flag of any of %s'
                                    % (path, number, piece, flag, ', '.join(EXAMPLES)))
    return problems


def read(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        return f.read()


def test_documented_commands_use_known_flags():
    texts = {path: read(path) for path in CHECKED if os.path.isfile(os.path.join(ROOT, path))}
    assert 'README.md' in texts
    needed = set()
    for path, text in texts.items():
        needed |= programs_needed(commands(path, text))
    programs = programs_for(needed)
    problems = []
    for path, text in texts.items():
        problems += problems_in(path, text, programs, check_loose_flags=(path == 'README.md'))
    assert not problems, 'commands shown in the docs that would not run as shown:\n' + \
        '\n'.join(problems)


def test_the_check_catches_an_unknown_flag():
    text = ('# Title\n\nSome prose with `--ema 0.999` and `--no-such-option`.\n\n```\n'
            'python examples/walk.py --gen result --grid 3x3\n'
            'python examples/train_dcgan.py --dataset data/x \\\n    --resolutoin 64\n'
            'dcgan-evaluate --gen g.npz --bogus   # comment --ignored\n'
            'python dev.py demo --iteration 10 --not-a-train-flag\n'
            'python dev.py test -k anything --pytest-flag\n'
            'python dev.py deploy\n'
            'python examples/missing.py --x\n```\n')
    found = commands('T.md', text)
    programs = programs_for(programs_needed(found))
    problems = problems_in('T.md', text, programs, check_loose_flags=True)
    joined = '\n'.join(problems)
    assert 'T.md line 7: python examples/train_dcgan.py --dataset data/x' in joined
    assert '--resolutoin is not a flag of examples/train_dcgan.py' in joined
    assert '--bogus is not a flag of examples/evaluate.py' in joined
    assert '--not-a-train-flag is not a flag of examples/train_dcgan.py' in joined
    assert "dev.py has no action 'deploy'" in joined
    assert 'no such program examples/missing.py' in joined
    assert 'T.md line 3: `--no-such-option`' in joined
    for shown in ('--ignored', '--pytest-flag', '--ema', '--grid', '--iteration'):
        assert shown + ' is not a flag' not in joined
    assert len(problems) == 6, joined
