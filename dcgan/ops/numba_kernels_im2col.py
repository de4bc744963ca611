"""numba kernels: im2col and col2im on channels-last arrays, zero padding
in-line.

Both give the NumPy versions' results bit for bit: im2col is a copy, and
col2im gathers each output pixel's windows in the order the NumPy version
adds them (kernel row, then kernel column, starting from zero). One output
row (one image, one row of pixels) is one parallel task; no task writes
another's memory, so the thread count does not matter.

Imported only when numba is installed (see ``numba_kernels``).
"""
import numpy
from numba import prange

from dcgan.ops.numba_kernels import kernel


@kernel
def _im2col(x, kh, kw, sy, sx, ph, pw, col):
    # x (B, H, W, C), col (B, OH, OW, kh, kw, C), both C-contiguous. A window
    # row is kw * C consecutive values in both: copy the part inside the
    # image, zero the rest (slices of the flat arrays: plain copy loops).
    b, h, w, c = x.shape
    oh, ow = col.shape[1], col.shape[2]
    run = kw * c
    xf = x.reshape(-1)
    cf = col.reshape(-1)
    for t in prange(b * oh):
        n = t // oh
        a = t % oh
        for o in range(ow):
            x0 = o * sx - pw
            j0 = min(kw, max(0, -x0))
            j1 = max(j0, min(kw, w - x0))
            for i in range(kh):
                dst = ((t * ow + o) * kh + i) * run
                yy = a * sy - ph + i
                if yy < 0 or yy >= h:
                    cf[dst:dst + run] = 0
                    continue
                src = ((n * h + yy) * w + x0) * c
                cf[dst:dst + j0 * c] = 0
                cf[dst + j0 * c:dst + j1 * c] = xf[src + j0 * c:src + j1 * c]
                cf[dst + j1 * c:dst + run] = 0


@kernel
def _col2im(col, sy, sx, ph, pw, out):
    # out[n, y, x] = sum of col[n, a, o, i, j] over y + ph = i + sy * a,
    # x + pw = j + sx * o, in the order (i, j).
    b, h, w, c = out.shape
    oh, ow, kh, kw = col.shape[1], col.shape[2], col.shape[3], col.shape[4]
    for t in prange(b * h):
        n = t // h
        yp = t % h + ph
        for xo in range(w):
            xp = xo + pw
            dst = out[n, t % h, xo]
            for q in range(c):
                dst[q] = 0
            for i in range(kh):
                ai = yp - i
                if ai < 0 or ai % sy != 0 or ai // sy >= oh:
                    continue
                a = ai // sy
                for j in range(kw):
                    oj = xp - j
                    if oj < 0 or oj % sx != 0 or oj // sx >= ow:
                        continue
                    src = col[n, a, oj // sx, i, j]
                    for q in range(c):
                        dst[q] += src[q]


def im2col(x, kh, kw, sy, sx, ph, pw, oh, ow):
    """C-contiguous float32 (B, H, W, C) -> (B, OH, OW, kh, kw, C)."""
    col = numpy.empty((x.shape[0], oh, ow, kh, kw, x.shape[3]), x.dtype)
    _im2col(col.size, x, kh, kw, sy, sx, ph, pw, col)
    return col


def col2im(col, h, w, sy, sx, ph, pw):
    """C-contiguous float32 (B, OH, OW, kh, kw, C) -> (B, h, w, C)."""
    out = numpy.empty((col.shape[0], h, w, col.shape[5]), col.dtype)
    _col2im(col.size, col, sy, sx, ph, pw, out)
    return out
