"""Hot loop of capture sharpening (ops/sharpen.py has the method and its reasons).

One fused pass, reading the image once and writing the result once, in tiles of BAND rows by
STRIP columns.  A tile keeps a ring of its last 2p + 1 rows (p = the blur's radius) of
luminance (with p columns of halo each side), of their horizontal blur and of their
horizontal 3-pixel extrema; each new row finishes the row p above it (vertical blur,
vertical extrema, clamp, gain applied to every channel) in one loop.  The ring is a few rows
of STRIP floats, so it stays in L1; only a tile's first 2p rows and p columns each side are
computed twice.  The pass can write into its own input (the pipeline's 290 MB intermediate
need not be allocated and faulted in again): see ``sharpen_luminance_usm``.

Written for the compiler: every inner loop runs along a row through shifted views (an index
that might be negative stops numba's loops vectorizing); pixels are read as flat rows (3
floats per pixel); no array is updated in place with min/max (that compiles to masked
stores, an order of magnitude slower than plain ones on AMD's cores); no division checks
(error_model="numpy": y'/y where y > eps).
"""

from __future__ import annotations

import numpy as np
from numba import njit

F32 = np.float32
BAND = 64           # output rows per task
STRIP = 512         # columns per tile: its ring rows (2 KB each) stay in L1


@njit(cache=True)
def _luminance(src, nc, a, b, dst):
    """dst[x - a] = Y of pixel x of the flat pixel row src, a <= x < b ((R + 2G + B)/4, or the
    value for one channel)."""
    if nc == 3:
        px = src[3 * a:3 * b]
        for x in range(b - a):
            dst[x] = F32(0.25) * px[3 * x] + F32(0.5) * px[3 * x + 1] + F32(0.25) * px[3 * x + 2]
    else:
        px = src[a:b]
        for x in range(b - a):
            dst[x] = px[x]


@njit(nogil=True, cache=True)
def band_halo_luminance(data, p, halo, first, last):
    """halo[band] = the luminance of the p rows above band ``band`` and the p rows below it
    (edge rows replicated), read before any band is written: with these, the sharpening pass
    can write into its own input."""
    h, w, nc = data.shape
    flat = data.reshape(h, w * nc)
    for band in range(first, last):
        y0 = band * BAND
        y1 = min(h, y0 + BAND)
        for k in range(p):
            _luminance(flat[max(y0 - p + k, 0)], nc, 0, w, halo[band, k])
            _luminance(flat[min(y1 + k, h - 1)], nc, 0, w, halo[band, p + k])


@njit(cache=True)
def _horizontal(row, taps, p, hb, lo, hi):
    """Horizontal pass of one padded luminance row (p >= 1): the Gaussian (taps, centre
    first) into hb, the minimum and maximum of x - 1 .. x + 1 into lo and hi."""
    n = hb.shape[0]
    centre = row[p:p + n]
    left = row[p - 1:p - 1 + n]
    right = row[p + 1:p + 1 + n]
    t0 = taps[0]
    t1 = taps[1]
    for x in range(n):
        c, a, b = centre[x], left[x], right[x]
        hb[x] = t0 * c + t1 * (a + b)
        lo[x] = min(c, min(a, b))
        hi[x] = max(c, max(a, b))
    for k in range(2, taps.shape[0]):
        left = row[p - k:p - k + n]
        right = row[p + k:p + k + n]
        tk = taps[k]
        for x in range(n):
            hb[x] += tk * (left[x] + right[x])


@njit(cache=True, inline="always", error_model="numpy")
def _sharpened(v, blur, l0, l1, l2, h0, h1, h2, amount, eps):
    """(gain, add) of one pixel: y' = y + amount (y - blur) clamped to the 3x3 range, as y'/y
    (or additively below eps).  Branch-free, so the loops around it vectorize."""
    v1 = min(max(v + amount * (v - blur), min(l0, min(l1, l2))), max(h0, max(h1, h2)))
    big = v > eps
    return (v1 / v if big else F32(1.0)), (F32(0.0) if big else v1 - v)


@njit(cache=True, error_model="numpy")
def _finish_rgb(v, blur, l0, l1, l2, h0, h1, h2, amount, eps, src, dst):
    for x in range(v.shape[0]):
        gain, add = _sharpened(v[x], blur[x], l0[x], l1[x], l2[x], h0[x], h1[x], h2[x], amount, eps)
        dst[3 * x] = src[3 * x] * gain + add
        dst[3 * x + 1] = src[3 * x + 1] * gain + add
        dst[3 * x + 2] = src[3 * x + 2] * gain + add


@njit(cache=True, error_model="numpy")
def _finish_mono(v, blur, l0, l1, l2, h0, h1, h2, amount, eps, src, dst):
    for x in range(v.shape[0]):
        gain, add = _sharpened(v[x], blur[x], l0[x], l1[x], l2[x], h0[x], h1[x], h2[x], amount, eps)
        dst[x] = src[x] * gain + add


@njit(cache=True, error_model="numpy")
def _gains(v, blur, l0, l1, l2, h0, h1, h2, amount, eps, gain, add):
    for x in range(v.shape[0]):
        gain[x], add[x] = _sharpened(v[x], blur[x], l0[x], l1[x], l2[x], h0[x], h1[x], h2[x], amount, eps)


@njit(cache=True)
def _apply_in_place(gain, add, nc, px):
    """px = px * gain + add, pixel by pixel (nc = 3 or 1 values each), reading and writing one
    array: with the source and the destination passed as two arrays that are the same memory,
    LLVM's runtime overlap check failed and the scalar loop ran (measured on one core, 24 MP
    in place: 98 ms for ``_finish_rgb`` against 48 ms for ``_gains`` and this)."""
    if nc == 3:
        for x in range(gain.shape[0]):
            g = gain[x]
            a = add[x]
            px[3 * x] = px[3 * x] * g + a
            px[3 * x + 1] = px[3 * x + 1] * g + a
            px[3 * x + 2] = px[3 * x + 2] * g + a
    else:
        for x in range(gain.shape[0]):
            px[x] = px[x] * gain[x] + add[x]


@njit(nogil=True, cache=True)
def sharpen_luminance_usm(data, taps, amount, eps, halo, out, first, last):
    """data (H, W, C) linear, C-contiguous (C = 3: white-balanced camera RGB, luminance
    (R + 2G + B)/4; C = 1: the value itself) into out (same shape; may be ``data`` itself),
    output rows of bands first .. last - 1 (BAND rows each; ``halo`` from
    ``band_halo_luminance``).  taps: symmetric Gaussian, centre first, at least two.
    y' = y + amount (y - blur(y)), clamped to y's [min, max] over 3x3, applied as the ratio
    y'/y to every channel (additively below eps).  Borders are replicated.

    Writing into ``data`` is safe: a row is read before it is written; rows of other bands
    come from ``halo``; the p columns left of a strip, which the strip before it has written
    by then, were saved when that strip read them."""
    h, w, nc = data.shape
    p = taps.shape[0] - 1
    n = 2 * p + 1                                # ring rows: y - p .. y + p
    flat = data.reshape(h, w * nc)
    flat_out = out.reshape(h, w * nc)
    lum = np.empty((n, STRIP + 2 * p), F32)
    hb = np.empty((n, STRIP), F32)
    lo = np.empty((n, STRIP), F32)
    hi = np.empty((n, STRIP), F32)
    blur = np.empty(STRIP, F32)
    gain = np.empty(STRIP, F32)
    add = np.empty(STRIP, F32)
    in_place = flat.ctypes.data == flat_out.ctypes.data
    left = np.empty((BAND + 2 * p, p), F32)      # luminance of the columns left of the strip
    for band in range(first, last):
        y0 = band * BAND
        y1 = min(h, y0 + BAND)
        for x0 in range(0, w, STRIP):
            x1 = min(w, x0 + STRIP)
            sw = x1 - x0
            for yy in range(y0 - p, y1 + p):     # yy: the row entering the ring
                s = (yy + n) % n
                t = yy - (y0 - p)
                row = lum[s, :sw + 2 * p]        # row[p + x - x0] = Y of column x
                a = max(x0 - p, 0)
                b = min(x1 + p, w)
                if yy < y0 or yy >= y1:          # another band's row, as it was
                    src = halo[band, t if yy < y0 else yy - y1 + p]
                    for x in range(b - a):
                        row[a - (x0 - p) + x] = src[a + x]
                elif x0 > 0:
                    for k in range(p):
                        row[k] = left[t, k]
                    _luminance(flat[yy], nc, x0, b, row[p:])
                else:
                    _luminance(flat[yy], nc, a, b, row[a - (x0 - p):])
                for k in range(a - (x0 - p)):    # left of the image: its first pixel
                    row[k] = row[a - (x0 - p)]
                for k in range(b - (x0 - p), sw + 2 * p):    # right of it: its last
                    row[k] = row[b - 1 - (x0 - p)]
                for k in range(p):               # for the next strip, before this one writes
                    left[t, k] = row[sw + k]
                _horizontal(row, taps, p, hb[s, :sw], lo[s, :sw], hi[s, :sw])
                y = yy - p                       # the row now complete
                if y < y0:
                    continue
                c, above, below = (y + n) % n, (y - 1 + n) % n, (y + 1) % n
                for k in range(1, p + 1):        # vertical blur
                    ra = hb[(y - k + n) % n, :sw]
                    rb = hb[(y + k) % n, :sw]
                    tk = taps[k]
                    if k == 1:
                        hc = hb[c, :sw]
                        for x in range(sw):
                            blur[x] = taps[0] * hc[x] + tk * (ra[x] + rb[x])
                    else:
                        for x in range(sw):
                            blur[x] += tk * (ra[x] + rb[x])
                v = lum[c, p:p + sw]
                l0, l1, l2 = lo[above, :sw], lo[c, :sw], lo[below, :sw]
                h0, h1, h2 = hi[above, :sw], hi[c, :sw], hi[below, :sw]
                src_px = flat[y, nc * x0:nc * x1]
                dst = flat_out[y, nc * x0:nc * x1]
                if in_place:
                    _gains(v, blur, l0, l1, l2, h0, h1, h2, amount, eps, gain[:sw], add[:sw])
                    _apply_in_place(gain[:sw], add[:sw], nc, dst)
                elif nc == 3:
                    _finish_rgb(v, blur, l0, l1, l2, h0, h1, h2, amount, eps, src_px, dst)
                else:
                    _finish_mono(v, blur, l0, l1, l2, h0, h1, h2, amount, eps, src_px, dst)
