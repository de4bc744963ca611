"""Keep freed memory for reuse (glibc), an opt-in process-wide setting.

A training step allocates and frees many arrays of tens of megabytes
(im2col columns, activations, their gradients). glibc hands every block
above 32 MB (and, adaptively, smaller ones) straight back to the kernel
when it is freed and maps fresh zeroed pages for the next one, so every
step pays page faults for memory it just released: about 20 000 minor faults
and 1 s of system time per update at 32 px, batch 50, ch 512 on 2 cores
(measured by benchmarks/speed.py). Serving big blocks from the heap and
trimming it rarely removes most of that.

This changes the whole process (every library's allocations), so nothing
calls it implicitly: training scripts and benchmarks opt in.
"""
import ctypes
import ctypes.util
import sys

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4


def reuse_freed_memory(keep_bytes=1 << 30, top_pad_bytes=64 << 20):
    """Serve big arrays from the heap and keep up to ``keep_bytes`` of freed
    memory there. Returns True when the C library accepted the settings
    (glibc on Linux), False elsewhere (nothing changed)."""
    if not sys.platform.startswith('linux'):
        return False
    name = ctypes.util.find_library('c')
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_MAX, 0)
    ok = mallopt(_M_TRIM_THRESHOLD, int(min(keep_bytes, 2 ** 31 - 1))) and ok
    ok = mallopt(_M_TOP_PAD, int(min(top_pad_bytes, 2 ** 31 - 1))) and ok
    return bool(ok)
