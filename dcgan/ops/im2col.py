"""im2col / col2im for channels-last (B, H, W, C) arrays.

A column array has shape (B, OH, OW, kh, kw, C): one row of kh * kw * C
values per output pixel, so a convolution is a single GEMM
``col.reshape(B*OH*OW, -1) @ W`` with the batch folded into the rows, and
the result (B*OH*OW, O) is already channels-last for the next layer.
"""
import numpy
from numpy.lib.stride_tricks import as_strided

from dcgan.ops import numba_kernels
from dcgan.ops import threads


def out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _pad(x, ph, pw):
    if ph == 0 and pw == 0:
        return x
    b, h, w, c = x.shape
    out = numpy.zeros((b, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)

    def part(s):
        out[s, ph:ph + h, pw:pw + w] = x[s]
    threads.parallel(part, b, x.size)
    return out


def im2col(x, kh, kw, sy, sx, ph, pw):
    """(B, H, W, C) -> C-contiguous (B, OH, OW, kh, kw, C)."""
    if _compiled(x) and kw * x.shape[3] >= MIN_RUN:  # the same copy, padded in-line
        from dcgan.ops import numba_kernels_im2col as kernels
        b, h, w, c = x.shape
        return kernels.im2col(x, kh, kw, sy, sx, ph, pw, out_size(h, kh, sy, ph),
                              out_size(w, kw, sx, pw))
    xp = _pad(x, ph, pw)
    b, hp, wp, c = xp.shape
    oh = (hp - kh) // sy + 1
    ow = (wp - kw) // sx + 1
    s0, s1, s2, s3 = xp.strides
    # A read-only strided view of all windows; the copy is the im2col.
    windows = as_strided(xp, (b, oh, ow, kh, kw, c),
                         (s0, s1 * sy, s2 * sx, s1, s2, s3), writeable=False)
    return threads.copy(windows)


# col2im adds kh * kw strided slices into the output; done over the whole
# batch, each add streams the (padded) output through memory again. Done
# into a scratch block of about this size (a few images, or a band of rows
# of one large image), the block stays in the core's L2 cache for all the
# adds (1.5-2x faster on the discriminator's input gradients; the same sums
# in the same order).
COL2IM_BLOCK_BYTES = 1 << 19


def col2im(col, h, w, sy, sx, ph, pw):
    """(B, OH, OW, kh, kw, C) -> (B, h, w, C): adds every window back."""
    if _compiled(col):  # the same sums in the same order, gathered
        from dcgan.ops import numba_kernels_im2col as kernels
        return kernels.col2im(col, h, w, sy, sx, ph, pw)
    b, oh, ow, kh, kw, c = col.shape
    hp = max(h + 2 * ph, kh + sy * (oh - 1))
    wp = max(w + 2 * pw, kw + sx * (ow - 1))
    out = numpy.empty((b, h, w, c), dtype=col.dtype)
    row_bytes = wp * c * col.itemsize
    images = max(1, COL2IM_BLOCK_BYTES // (hp * row_bytes))
    band = hp if images > 1 else max(1, COL2IM_BLOCK_BYTES // row_bytes)

    def add_block(first, last, top, bottom, block):
        # Padded rows [top, bottom) of images [first, last).
        block.fill(0)
        for i in range(kh):
            # Input rows a with top <= i + sy * a < bottom.
            a0 = max(0, -(-(top - i) // sy))
            a1 = min(oh, -(-(bottom - i) // sy))
            if a0 >= a1:
                continue
            r = i + sy * a0 - top
            for j in range(kw):
                block[:, r:r + sy * (a1 - a0):sy, j:j + sx * ow:sx] += \
                    col[first:last, a0:a1, :, i, j]
        o0, o1 = max(top, ph), min(bottom, ph + h)
        if o0 < o1:
            out[first:last, o0 - ph:o1 - ph] = block[:, o0 - top:o1 - top, pw:pw + w]

    def part(s):
        scratch = numpy.empty((min(images, s.stop - s.start), min(band, hp), wp, c),
                              col.dtype)
        for first in range(s.start, s.stop, images):
            last = min(first + images, s.stop)
            for top in range(0, hp, band):
                bottom = min(top + band, hp)
                add_block(first, last, top, bottom,
                          scratch[:last - first, :bottom - top])
    threads.parallel(part, b, col.size)
    return out


# numba's im2col copies window rows of kw * C values; shorter ones (the
# first layer's 3 channels) NumPy's strided copy does faster.
MIN_RUN = 64


def _compiled(a):
    return (a.dtype == numpy.float32 and a.flags.c_contiguous
            and numba_kernels.usable())
