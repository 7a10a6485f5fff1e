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
    """Sample ``table`` at (r, g, b) in [0, 1] (clamped); returns three floats."""
    n1 = table.shape[0] - 1
    x = min(max(r, 0.0), 1.0) * n1
    y = min(max(g, 0.0), 1.0) * n1
    z = min(max(b, 0.0), 1.0) * n1
    i = min(int(x), n1 - 1)
    j = min(int(y), n1 - 1)
    k = min(int(z), n1 - 1)
    fr = x - i
    fg = y - j
    fb = z - k
    out0 = 0.0
    out1 = 0.0
    out2 = 0.0
    for c in range(3):
        c000 = table[i, j, k, c]
        c111 = table[i + 1, j + 1, k + 1, c]
        if fr > fg:
            if fg > fb:
                v = (1 - fr) * c000 + (fr - fg) * table[i + 1, j, k, c] \
                    + (fg - fb) * table[i + 1, j + 1, k, c] + fb * c111
            elif fr > fb:
                v = (1 - fr) * c000 + (fr - fb) * table[i + 1, j, k, c] \
                    + (fb - fg) * table[i + 1, j, k + 1, c] + fg * c111
            else:
                v = (1 - fb) * c000 + (fb - fr) * table[i, j, k + 1, c] \
                    + (fr - fg) * table[i + 1, j, k + 1, c] + fg * c111
        else:
            if fb > fg:
                v = (1 - fb) * c000 + (fb - fg) * table[i, j, k + 1, c] \
                    + (fg - fr) * table[i, j + 1, k + 1, c] + fr * c111
            elif fb > fr:
                v = (1 - fg) * c000 + (fg - fb) * table[i, j + 1, k, c] \
                    + (fb - fr) * table[i, j + 1, k + 1, c] + fr * c111
            else:
                v = (1 - fg) * c000 + (fg - fr) * table[i, j + 1, k, c] \
                    + (fr - fb) * table[i + 1, j + 1, k, c] + fb * c111
        if c == 0:
            out0 = v
        elif c == 1:
            out1 = v
        else:
            out2 = v
    return out0, out1, out2


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
