"""Hot loop of capture sharpening (ops/sharpen.py has the method and its reasons).

One fused pass in bands of rows: each band computes its luminance (with a halo of rows),
the horizontal blur and the row extrema into band-sized buffers that stay in cache, then
finishes its rows (vertical blur, vertical extrema, clamp, apply).  Nothing image-sized is
written but the result.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def sharpen_luminance_usm(data, taps, r, amount, eps, band):
    """data (H, W, C) linear (C = 3: white-balanced camera RGB, luminance (R + 2G + B)/4;
    C = 1: the value itself).  taps: symmetric Gaussian, centre first.  r: overshoot-control
    radius.  y' = y + amount (y - blur(y)), clamped to y's [min, max] over (2r+1)², applied as
    the ratio y'/y to every channel (additively below eps).  Borders are replicated; buffers
    are padded so the inner loops have no bounds logic and vectorize."""
    h, w, nc = data.shape
    rb = taps.shape[0] - 1
    p = max(rb, r)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    quarter = np.float32(0.25)
    half = np.float32(0.5)
    nbands = (h + band - 1) // band
    out = np.empty_like(data)
    for bi in prange(nbands):
        y0 = bi * band
        y1 = min(h, y0 + band)
        n = y1 - y0 + 2 * p                      # band rows plus p halo rows each side
        lum = np.empty((n, w + 2 * p), np.float32)
        hb = np.empty((n, w), np.float32)
        lo = np.empty((n, w), np.float32)
        hi = np.empty((n, w), np.float32)
        for i in range(n):
            y = min(max(y0 - p + i, 0), h - 1)
            row = lum[i]
            if nc == 3:
                for x in range(w):
                    row[p + x] = quarter * data[y, x, 0] + half * data[y, x, 1] + quarter * data[y, x, 2]
            else:
                for x in range(w):
                    row[p + x] = data[y, x, 0]
            for k in range(p):
                row[k] = row[p]
                row[p + w + k] = row[p + w - 1]
            for x in range(w):
                acc = taps[0] * row[p + x]
                for k in range(1, rb + 1):
                    acc += taps[k] * (row[p + x - k] + row[p + x + k])
                hb[i, x] = acc
            for x in range(w):
                m = row[p + x - r]
                mm = m
                for k in range(-r + 1, r + 1):
                    m = min(m, row[p + x + k])
                    mm = max(mm, row[p + x + k])
                lo[i, x] = m
                hi[i, x] = mm
        gain = np.empty(w, np.float32)
        add = np.empty(w, np.float32)
        for y in range(y0, y1):
            i = y - y0 + p
            for x in range(w):                   # branch-free, so it vectorizes
                blur = taps[0] * hb[i, x]
                for k in range(1, rb + 1):
                    blur += taps[k] * (hb[i - k, x] + hb[i + k, x])
                m = lo[i - r, x]
                mm = hi[i - r, x]
                for k in range(-r + 1, r + 1):
                    m = min(m, lo[i + k, x])
                    mm = max(mm, hi[i + k, x])
                v = lum[i, p + x]
                v1 = min(max(v + amount * (v - blur), m), mm)
                big = v > eps
                gain[x] = v1 / v if big else one
                add[x] = zero if big else v1 - v
            for x in range(w):
                for c in range(nc):
                    out[y, x, c] = data[y, x, c] * gain[x] + add[x]
    return out
