"""dev.py's own messages (the setup and test runs are exercised by CI)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV = os.path.join(ROOT, 'dev.py')


def run(*args):
    return subprocess.run([sys.executable, DEV] + list(args), capture_output=True,
                          text=True, cwd=ROOT)


def test_help_prints_usage_and_an_unknown_command_is_one_sentence():
    shown = run('--help')
    assert shown.returncode == 0 and 'python dev.py demo' in shown.stdout
    wrong = run('trian')
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        'dev.py: error: unknown command "trian"; use "demo" or "test" (python dev.py --help).']


def test_help_into_a_closed_pipe_is_quiet():
    # The reader closes before dev.py writes (as `| head -1` may): no traceback.
    proc = subprocess.Popen([sys.executable, DEV, '--help'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0, err
    assert 'Traceback' not in err
