#!/usr/bin/env python
"""Memorisation check: generated samples beside their nearest training images.

    python examples/nearest.py --gen result/gen_iter_5000.npz --dataset data/sushi -o nn.png
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from dcgan.cli.evaluate import nearest_main  # noqa: E402

if __name__ == '__main__':
    sys.exit(nearest_main())
