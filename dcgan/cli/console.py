"""Console output of the training command: plain text when not a terminal."""
import sys


class PlainText(object):
    """A stream that drops the terminal escape codes Chainer's PrintReport
    writes to clear a progress bar, so logs and CI output stay readable."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        return self.stream.write(text.replace('\033[J', ''))

    def flush(self):
        self.stream.flush()


def is_terminal(stream=None):
    stream = stream or sys.stdout
    return hasattr(stream, 'isatty') and stream.isatty()
