"""Tetrahedral interpolation in a 3D LUT.

Kasson, Nin, Plouffe & Hafner, "Performing color space conversions with three-dimensional
linear interpolation", J. Electronic Imaging 4(3), 1995: the unit cube is cut along its
neutral diagonal into six tetrahedra; the tetrahedron holding the point is chosen by the
order of its fractional coordinates, and the result is a weighted sum of four corners.
This is the same scheme as ffmpeg's lut3d ``interp=tetrahedral`` and Resolve.

LUT convention throughout lsquared: ``table`` is float32 (N, N, N, 3) indexed
``table[r, g, b]`` over the domain [0, 1] per axis (blue fastest in memory; .cube files are
red fastest and io.lutfile transposes).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always", fastmath=False)
def tetrahedral(table, r, g, b):
    """Sample ``table`` at (r, g, b) in [0, 1] (clamped); returns three floats.

    The tetrahedron and its four weights are found once, then the three channels blend the
    same four corners (c000, two edge corners a and b, c111)."""
    n = table.shape[0]
    n1 = n - 1
    x = min(max(r, 0.0), 1.0) * n1
    y = min(max(g, 0.0), 1.0) * n1
    z = min(max(b, 0.0), 1.0) * n1
    i = min(int(x), n1 - 1)
    j = min(int(y), n1 - 1)
    k = min(int(z), n1 - 1)
    fr = x - i
    fg = y - j
    fb = z - k
    if fr > fg:
        if fg > fb:        # r > g > b
            ai, aj, ak, bi, bj, bk = 1, 0, 0, 1, 1, 0
            w0, w1, w2, w3 = 1 - fr, fr - fg, fg - fb, fb
        elif fr > fb:      # r > b >= g
            ai, aj, ak, bi, bj, bk = 1, 0, 0, 1, 0, 1
            w0, w1, w2, w3 = 1 - fr, fr - fb, fb - fg, fg
        else:              # b >= r > g
            ai, aj, ak, bi, bj, bk = 0, 0, 1, 1, 0, 1
            w0, w1, w2, w3 = 1 - fb, fb - fr, fr - fg, fg
    else:
        if fb > fg:        # b > g >= r
            ai, aj, ak, bi, bj, bk = 0, 0, 1, 0, 1, 1
            w0, w1, w2, w3 = 1 - fb, fb - fg, fg - fr, fr
        elif fb > fr:      # g >= b > r
            ai, aj, ak, bi, bj, bk = 0, 1, 0, 0, 1, 1
            w0, w1, w2, w3 = 1 - fg, fg - fb, fb - fr, fr
        else:              # g >= r >= b
            ai, aj, ak, bi, bj, bk = 0, 1, 0, 1, 1, 0
            w0, w1, w2, w3 = 1 - fg, fg - fr, fr - fb, fb
    o0 = (w0 * table[i, j, k, 0] + w1 * table[i + ai, j + aj, k + ak, 0]
          + w2 * table[i + bi, j + bj, k + bk, 0] + w3 * table[i + 1, j + 1, k + 1, 0])
    o1 = (w0 * table[i, j, k, 1] + w1 * table[i + ai, j + aj, k + ak, 1]
          + w2 * table[i + bi, j + bj, k + bk, 1] + w3 * table[i + 1, j + 1, k + 1, 1])
    o2 = (w0 * table[i, j, k, 2] + w1 * table[i + ai, j + aj, k + ak, 2]
          + w2 * table[i + bi, j + bj, k + bk, 2] + w3 * table[i + 1, j + 1, k + 1, 2])
    return o0, o1, o2


@njit(parallel=True, cache=True)
def apply_lut3d_float(image, table, out):
    """out[y, x] = LUT(image[y, x]) for float (H, W, 3) image; ``out`` float32 (H, W, 3)."""
    h = image.shape[0]
    w = image.shape[1]
    for y in prange(h):
        for x in range(w):
            r, g, b = tetrahedral(table, image[y, x, 0], image[y, x, 1], image[y, x, 2])
            out[y, x, 0] = r
            out[y, x, 1] = g
            out[y, x, 2] = b
    return out


def apply_lut3d(image: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Apply a 3D LUT (float32 (N, N, N, 3), [r, g, b] indexed) to a float image in [0, 1]."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {image.shape}")
    out = np.empty(image.shape, dtype=np.float32)
    return apply_lut3d_float(np.ascontiguousarray(image, dtype=np.float32),
                             np.ascontiguousarray(table, dtype=np.float32), out)
