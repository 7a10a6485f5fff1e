"""Hot loops of lens correction (ops/lens.py has the models and where they come from).

``remap_bicubic``: every output pixel reads its source position per channel from a coarse grid
of lensfun's coordinates (bilinear between grid nodes: lens distortion is smooth, so a node
every 8 pixels is exact to a few thousandths of a pixel), samples the source there with Keys'
cubic convolution (a = -1/2: "Cubic convolution interpolation for digital image processing",
IEEE TASSP 29(6), 1981) and multiplies by the vignetting gain at that source position.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _keys(t):
    t = abs(t)
    if t <= 1.0:
        return (1.5 * t - 2.5) * t * t + 1.0
    if t < 2.0:
        return ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    return 0.0


@njit(cache=True, inline="always")
def _vignetting_gain(x, y, vig):
    """1 / (1 + k1 r² + k2 r⁴ + k3 r⁶), lensfun's "pa" model; vig = (k1, k2, k3, cx, cy, 1/R²)."""
    r2 = ((x - vig[3]) * (x - vig[3]) + (y - vig[4]) * (y - vig[4])) * vig[5]
    return 1.0 / (1.0 + r2 * (vig[0] + r2 * (vig[1] + r2 * vig[2])))


@njit(cache=True)
def _bicubic(src, c, x, y):
    h, w = src.shape[0], src.shape[1]
    x0 = math.floor(x)
    y0 = math.floor(y)
    fx = x - x0
    fy = y - y0
    acc = 0.0
    for a in range(-1, 3):
        wy = _keys(fy - a)
        yy = min(max(y0 + a, 0), h - 1)
        row = 0.0
        for b in range(-1, 3):
            xx = min(max(x0 + b, 0), w - 1)
            row += _keys(fx - b) * src[yy, xx, c]
        acc += wy * row
    return acc


@njit(parallel=True, cache=True)
def remap_bicubic(src, grid, step, vig, use_vig):
    """src (H, W, C) float32; grid (GH, GW, C, 2): source (x, y) per channel at output pixels
    (g * step) (rows, cols); vig as in ``_vignetting_gain``.  Returns (H, W, C) float32."""
    h, w, nc = src.shape
    gh, gw = grid.shape[0], grid.shape[1]
    out = np.empty_like(src)
    inv = 1.0 / step
    for y in prange(h):
        gy = y * inv
        i0 = min(int(gy), gh - 2)
        fy = gy - i0
        for x in range(w):
            gx = x * inv
            j0 = min(int(gx), gw - 2)
            fx = gx - j0
            for c in range(nc):
                sx = ((1.0 - fy) * ((1.0 - fx) * grid[i0, j0, c, 0] + fx * grid[i0, j0 + 1, c, 0])
                      + fy * ((1.0 - fx) * grid[i0 + 1, j0, c, 0] + fx * grid[i0 + 1, j0 + 1, c, 0]))
                sy = ((1.0 - fy) * ((1.0 - fx) * grid[i0, j0, c, 1] + fx * grid[i0, j0 + 1, c, 1])
                      + fy * ((1.0 - fx) * grid[i0 + 1, j0, c, 1] + fx * grid[i0 + 1, j0 + 1, c, 1]))
                v = _bicubic(src, c, sx, sy)
                if use_vig:
                    v *= _vignetting_gain(sx, sy, vig)
                out[y, x, c] = v
    return out


@njit(parallel=True, cache=True)
def apply_vignetting(src, vig):
    """Vignetting correction alone (no geometry): every pixel times its gain."""
    h, w, nc = src.shape
    out = np.empty_like(src)
    for y in prange(h):
        for x in range(w):
            g = _vignetting_gain(x, y, vig)
            for c in range(nc):
                out[y, x, c] = src[y, x, c] * g
    return out
