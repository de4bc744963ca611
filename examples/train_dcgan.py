#!/usr/bin/env python
"""Train a DCGAN on a folder of images.

    python examples/train_dcgan.py --gpu 0 --dataset data/sushi

Accepts the flags of Chainer's examples/dcgan/train_dcgan.py; see --help.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from dcgan.cli.train import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
