"""Hot loops of capture sharpening (ops/sharpen.py has the method and its reasons)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def luminance(rgb):
    """(R + 2G + B) / 4 of white-balanced camera RGB (a channel-balanced luminance)."""
    h, w = rgb.shape[0], rgb.shape[1]
    out = np.empty((h, w), np.float32)
    for i in prange(h):
        for j in range(w):
            out[i, j] = 0.25 * rgb[i, j, 0] + 0.5 * rgb[i, j, 1] + 0.25 * rgb[i, j, 2]
    return out


@njit(parallel=True, cache=True)
def gaussian_blur(src, taps):
    """Separable blur with a symmetric kernel ``taps`` (centre first: t0, t1, ... tr);
    borders replicated."""
    h, w = src.shape
    r = taps.shape[0] - 1
    tmp = np.empty_like(src)
    for i in prange(h):
        for j in range(w):
            acc = taps[0] * src[i, j]
            for k in range(1, r + 1):
                acc += taps[k] * (src[i, max(j - k, 0)] + src[i, min(j + k, w - 1)])
            tmp[i, j] = acc
    out = np.empty_like(src)
    for i in prange(h):
        for j in range(w):
            acc = taps[0] * tmp[i, j]
            for k in range(1, r + 1):
                acc += taps[k] * (tmp[max(i - k, 0), j] + tmp[min(i + k, h - 1), j])
            out[i, j] = acc
    return out


@njit(parallel=True, cache=True)
def row_extrema(y, r):
    """Per pixel, the min and max of y over its row neighbours within r."""
    h, w = y.shape
    lo = np.empty_like(y)
    hi = np.empty_like(y)
    for i in prange(h):
        for j in range(w):
            a = y[i, j]
            b = a
            for jj in range(max(j - r, 0), min(j + r, w - 1) + 1):
                a = min(a, y[i, jj])
                b = max(b, y[i, jj])
            lo[i, j] = a
            hi[i, j] = b
    return lo, hi


@njit(parallel=True, cache=True)
def sharpen_clamped(data, y, blur, row_lo, row_hi, r, amount, eps):
    """Unsharp mask on luminance y, y' = y + amount (y - blur), clamped to the [min, max] of
    y over the (2r+1)² neighbourhood (row extrema given; columns here): nothing beyond what is
    already next to it, so no halo.  Applied to every channel as the ratio y'/y (hue and
    saturation kept), additively near black.  data: (H, W, C) linear."""
    h, w, nc = data.shape
    out = np.empty_like(data)
    for i in prange(h):
        i0 = max(i - r, 0)
        i2 = min(i + r, h - 1)
        for j in range(w):
            lo = row_lo[i, j]
            hi = row_hi[i, j]
            for ii in range(i0, i2 + 1):
                lo = min(lo, row_lo[ii, j])
                hi = max(hi, row_hi[ii, j])
            y0 = y[i, j]
            y1 = min(max(y0 + amount * (y0 - blur[i, j]), lo), hi)
            if y0 > eps:
                g = y1 / y0
                for c in range(nc):
                    out[i, j, c] = data[i, j, c] * g
            else:
                for c in range(nc):
                    out[i, j, c] = data[i, j, c] + (y1 - y0)
    return out
