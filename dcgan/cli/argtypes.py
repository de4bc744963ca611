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
