#!/usr/bin/env python
"""SWD of a trained generator against its training images (lower is better).

    python examples/evaluate.py --gen result/gen_iter_5000.npz --dataset data/sushi

A conditional generator is also scored class by class against its labelled
folder (SWD, nearest neighbours, a classifier's verdict on its samples):

    python examples/evaluate.py --gen result_cond/gen_iter_5000.npz --dataset data/shapes
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from dcgan.cli.evaluate import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
