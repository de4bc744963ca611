#!/usr/bin/env python
"""Train pix2pix on paired images (see dcgan/cli/pix2pix.py).

    python examples/train_pix2pix.py --dataset data/pairs --resolution 128
"""
import os
import sys

# Runnable from a checkout without installing the package.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from dcgan.cli.pix2pix import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
