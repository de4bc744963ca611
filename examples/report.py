#!/usr/bin/env python
"""report.html for training runs, and a page comparing several (see dcgan/cli/report.py).

    python examples/report.py result
    python examples/report.py result/a result/b -o compare.html
"""
import os
import sys

# Runnable from a checkout without installing the package.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from dcgan.cli.report import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
