"""argparse value types shared by the command-line tools."""
import argparse


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError('must be a positive whole number, got {}'.format(text))
    return value


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError('must be a positive number, got {}'.format(text))
    return value


def non_negative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError('must be 0 or a positive number, got {}'.format(text))
    return value


def snapshot_count(text):
    """--keep-snapshots: a positive number, or 'all' (also 0) for every one."""
    if text.strip().lower() == 'all':
        return 0
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            'use a number of snapshots (e.g. 3) or "all", got {}'.format(text))
    return value
