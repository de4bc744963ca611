"""Let OpenBLAS's and OpenMP's idle threads sleep instead of spinning.

After each matrix product OpenBLAS's worker threads busy-wait (by default
for about 2^28 cycles) for the next one. A CPU training step runs a GEMM,
then NumPy passes on all cores (im2col, col2im, batch norm, activations,
noise), then the next GEMM; the spinning threads take those cores away.
Measured on a 2-core machine: a threaded pass right after a GEMM took
39.5 ms against 25.5 ms with the timeout set to its minimum, and
benchmarks/speed.py's 'dcgan detached' went from 0.97x to 1.10x PyTorch
(32 px) and 0.95x to 1.08x (96 px) back to back.

The fast backend's oneDNN convolutions (and numba's 'omp' layer) run on
GNU OpenMP, whose threads spin the same way after every parallel region
(GOMP's default is 300000 spins); OMP_WAIT_POLICY=PASSIVE makes them sleep
at once. In the feasibility study (../shared/research/cpu-speed.md, 2-core
Xeon) oneDNN + numba went from 0.89x PyTorch (32 px) to 0.97-1.01x passive,
0.93x with GOMP_SPINCOUNT=10000; on a 2-core EPYC shared with other work
(load 4-8) the same comparison was lost in the noise. It is set only when
the user set neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT, and libgomp reads
it once, when it is loaded; it applies to torch in the same process too.

OpenBLAS reads OPENBLAS_THREAD_TIMEOUT (2^n cycles, n >= 4) once, when
NumPy loads it, so this only takes effect when ``dcgan`` is imported before
NumPy (and before anything that loads libgomp, such as torch); a value the
user has set (even empty) is kept.
"""
import os
import sys

VARIABLE = 'OPENBLAS_THREAD_TIMEOUT'
SHORTEST = '4'
OMP_VARIABLE = 'OMP_WAIT_POLICY'
OMP_SETTING = 'PASSIVE'
# A user's choice of either of these decides how GOMP's threads wait.
OMP_USER_VARIABLES = (OMP_VARIABLE, 'GOMP_SPINCOUNT')

# Whether the last prefer_sleeping_threads() ran before NumPy was loaded.
took_effect = None
# The same for libgomp (None: could not tell, e.g. not Linux).
omp_took_effect = None


def _libgomp_loaded():
    try:
        with open('/proc/self/maps') as maps:
            return 'libgomp' in maps.read()
    except OSError:
        return None


def prefer_sleeping_threads():
    """Set the shortest OpenBLAS spin and passive OpenMP waiting unless set
    already. Returns True when the OpenBLAS one can still take effect (NumPy
    not yet loaded)."""
    global took_effect, omp_took_effect
    os.environ.setdefault(VARIABLE, SHORTEST)
    took_effect = 'numpy' not in sys.modules
    if not any(name in os.environ for name in OMP_USER_VARIABLES):
        os.environ[OMP_VARIABLE] = OMP_SETTING
    loaded = _libgomp_loaded()
    omp_took_effect = None if loaded is None else not loaded
    return took_effect


def _show(name, default):
    value = os.environ.get(name)
    if value is None:
        return '{}=(unset: {})'.format(name, default)
    return '{}={}'.format(name, value if value else '(empty: {})'.format(default))


def describe():
    """The settings, for benchmark headers."""
    text = _show(VARIABLE, 'OpenBLAS default spin')
    if took_effect is False:
        text += ' (set after NumPy was loaded: no effect)'
    text += ', ' + _show(OMP_VARIABLE, 'GOMP default spin')
    if 'GOMP_SPINCOUNT' in os.environ:
        text += ', ' + _show('GOMP_SPINCOUNT', 'GOMP default spin')
    if omp_took_effect is False:
        text += ' (set after libgomp was loaded: no effect)'
    return text
