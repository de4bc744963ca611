"""benchmarks/demo_threads.py: the training it times is the demo's, shortened."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))

import demo_threads  # noqa: E402
import dev  # noqa: E402


def test_the_timed_command_is_the_demos_with_its_length_and_folder_replaced():
    before = list(dev.DEMO_ARGS)
    command = demo_threads.training_command(123, '/tmp/somewhere')
    assert dev.DEMO_ARGS == before  # not edited in place
    assert command[1].endswith(os.path.join('examples', 'train_dcgan.py'))
    args = command[2:]
    assert args[args.index('--iteration') + 1] == '123'
    assert args.count('--iteration') == 1
    # The demo's own settings are all there, in order; the later --out wins in argparse.
    rest = [a for i, a in enumerate(args) if i != args.index('--iteration') + 1]
    demo = [a for i, a in enumerate(before) if i != before.index('--iteration') + 1]
    assert rest[:len(demo)] == demo
    assert args[len(args) - 1 - args[::-1].index('--out') + 1] == '/tmp/somewhere'
    for extra in ('--no-walk-gif', '--no-progress-gif', '--no-report', '--no-auto-resume'):
        assert extra in args
