"""Let OpenBLAS's idle threads sleep instead of spinning.

After each matrix product OpenBLAS's worker threads busy-wait (by default
for about 2^28 cycles) for the next one. A CPU training step runs a GEMM,
then NumPy passes on all cores (im2col, col2im, batch norm, activations,
noise), then the next GEMM; the spinning threads take those cores away.
Measured on a 2-core machine: a threaded pass right after a GEMM took
39.5 ms against 25.5 ms with the timeout set to its minimum, and
benchmarks/speed.py's 'dcgan detached' went from 0.97x to 1.10x PyTorch
(32 px) and 0.95x to 1.08x (96 px) back to back.

OpenBLAS reads OPENBLAS_THREAD_TIMEOUT (2^n cycles, n >= 4) once, when
NumPy loads it, so this only takes effect when ``dcgan`` is imported before
NumPy; a value the user has set (even empty) is kept.
"""
import os
import sys

VARIABLE = 'OPENBLAS_THREAD_TIMEOUT'
SHORTEST = '4'

# Whether the last prefer_sleeping_threads() ran before NumPy was loaded.
took_effect = None


def prefer_sleeping_threads():
    """Set the shortest OpenBLAS spin unless set already. Returns True when
    it can still take effect (NumPy not yet loaded)."""
    global took_effect
    os.environ.setdefault(VARIABLE, SHORTEST)
    took_effect = 'numpy' not in sys.modules
    return took_effect


def describe():
    """The setting, for benchmark headers."""
    value = os.environ.get(VARIABLE)
    text = '{}={}'.format(VARIABLE, '(unset: OpenBLAS default spin)' if value is None
                          else value if value else '(empty: OpenBLAS default spin)')
    if took_effect is False:
        text += ' (set after NumPy was loaded: no effect)'
    return text
