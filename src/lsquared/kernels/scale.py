"""Per-photosite affine kernels of the first raw steps: levels (ops/levels.py: black
subtracted, white level to 1) and white balance (ops/white_balance.py: a gain per CFA colour
or channel).  A mosaic takes its constants per 2x2 CFA position, (H, W, C) data per channel.

They live here rather than beside their ops so that importing an op (its params are the
recipe's schema, read by ``--help``) does not import numba.
"""

from __future__ import annotations

from numba import njit, prange


@njit(parallel=True, cache=True)
def normalize_mosaic(raw, black, scale, out):
    h, w = raw.shape
    for y in prange(h):
        b0 = black[(y & 1) * 2]
        b1 = black[(y & 1) * 2 + 1]
        s0 = scale[(y & 1) * 2]
        s1 = scale[(y & 1) * 2 + 1]
        for x in range(0, w - 1, 2):
            out[y, x] = (raw[y, x] - b0) * s0
            out[y, x + 1] = (raw[y, x + 1] - b1) * s1
        if w & 1:
            out[y, w - 1] = (raw[y, w - 1] - b0) * s0
    return out


@njit(parallel=True, cache=True)
def normalize_planes(raw, black, scale, out):
    h, w, c = raw.shape
    for y in prange(h):
        for x in range(w):
            for k in range(c):
                out[y, x, k] = (raw[y, x, k] - black[k]) * scale[k]
    return out


@njit(parallel=True, cache=True)
def scale_mosaic(cfa, gains, out):
    h, w = cfa.shape
    for y in prange(h):
        g0 = gains[(y & 1) * 2]
        g1 = gains[(y & 1) * 2 + 1]
        for x in range(0, w - 1, 2):
            out[y, x] = cfa[y, x] * g0
            out[y, x + 1] = cfa[y, x + 1] * g1
        if w & 1:
            out[y, w - 1] = cfa[y, w - 1] * g0
    return out


@njit(parallel=True, cache=True)
def scale_planes(rgb, gains, out):
    h, w, c = rgb.shape
    for y in prange(h):
        for x in range(w):
            for k in range(c):
                out[y, x, k] = rgb[y, x, k] * gains[k]
    return out
