"""Turning library errors into one sentence for the command line."""
import argparse
import sys


class UsageError(Exception):
    """A problem the user can fix; its message is printed without a traceback."""


def fail(message, code=2):
    """Print ``message`` as one line to stderr and exit with ``code``."""
    sys.stderr.write('error: {}\n'.format(message))
    sys.exit(code)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line instead of the whole usage."""

    def error(self, message):
        fail('{} (see {} --help)'.format(message, self.prog))
