#!/usr/bin/env python
"""Apply a pix2pix generator to images (see dcgan/cli/translate.py).

    python examples/translate.py --gen result/gen_iter_5000.npz --out out photos/
"""
import os
import sys

# Runnable from a checkout without installing the package.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from dcgan.cli.translate import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
