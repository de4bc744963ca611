#!/usr/bin/env python
"""Latent-walk GIFs from a trained generator (see dcgan/cli/walk.py).

    python examples/walk.py --gen result/gen_iter_25000.npz
"""
import os
import sys

# Runnable from a checkout without installing the package.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from dcgan.cli.walk import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
