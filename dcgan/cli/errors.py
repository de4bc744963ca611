"""Turning library errors into one sentence for the command line."""
import argparse
import sys


class UsageError(Exception):
    """A problem the user can fix; its message is printed without a traceback."""


def fail(message, code=2):
    """Print ``message`` as one line to stderr and exit with ``code``."""
    sys.stderr.write('error: {}\n'.format(message))
    sys.exit(code)


def run_command(run, argv=None):
    """``run(argv)``, a command's work, with a UsageError printed as one line."""
    try:
        return run(argv)
    except UsageError as e:
        fail(str(e))


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line instead of the whole usage,
    and ``--snake_case`` and ``--kebab-case`` spellings of a flag both work
    (the Chainer example's flags use underscores, newer ones hyphens)."""

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        return super(ArgumentParser, self).parse_known_args(
            [self._spelling(a) for a in args], namespace)

    def _spelling(self, token):
        if not token.startswith('--') or token == '--':
            return token
        name, eq, value = token.partition('=')
        if name in self._option_string_actions:
            return token
        for other in ('--' + name[2:].replace('_', '-'), '--' + name[2:].replace('-', '_')):
            if other in self._option_string_actions:
                return other + eq + value
        return token

    def error(self, message):
        fail('{} (see {} --help)'.format(message, self.prog))
