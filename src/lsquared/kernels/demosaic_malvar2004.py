"""Malvar-He-Cutler demosaic kernel: bilinear plus a scaled Laplacian of the known channel.

H. S. Malvar, L.-W. He and R. Cutler, "High-quality linear interpolation for demosaicing of
Bayer-patterned color images", Proc. IEEE ICASSP 2004, vol. 3, pp. 485-488, figure 2.
Each missing sample is a fixed 5x5 filter of the mosaic (coefficients in eighths; the gains
alpha = 1/2, beta = 5/8, gamma = 3/4 are folded in):

    G at R or B          R at G, R row        R at G, R column       R at B
    . . -1  . .          .  . 1/2  .  .       .  . -1  .  .          .   .  -3/2  .   .
    . .  2  . .          . -1  .  -1  .       . -1  4 -1  .          .   2   .    2   .
   -1 2  4  2 -1        -1  4  5   4 -1      1/2 . 5   . 1/2       -3/2  .   6    .  -3/2
    . .  2  . .          . -1  .  -1  .       . -1  4 -1  .          .   2   .    2   .
    . . -1  . .          .  . 1/2  .  .       .  . -1  .  .          .   .  -3/2  .   .

(B likewise with the roles of R and B exchanged.)  Linear, so it is exact on flat fields and
ramps, and fast: the "preview and video" method.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, store_planes, tile_count

HALO = 2
EIGHTH = np.float32(0.125)


@njit(cache=True, inline="always", error_model="numpy")
def _green_at_rb(t, i, j):
    return (np.float32(4.0) * t[i, j]
            + np.float32(2.0) * (t[i - 1, j] + t[i + 1, j] + t[i, j - 1] + t[i, j + 1])
            - (t[i - 2, j] + t[i + 2, j] + t[i, j - 2] + t[i, j + 2])) * EIGHTH


@njit(cache=True, inline="always", error_model="numpy")
def _row_neighbours_at_g(t, i, j):
    """The colour whose samples are left and right of green site (i, j)."""
    return (np.float32(5.0) * t[i, j]
            + np.float32(4.0) * (t[i, j - 1] + t[i, j + 1])
            - (t[i, j - 2] + t[i, j + 2])
            - (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1])
            + np.float32(0.5) * (t[i - 2, j] + t[i + 2, j])) * EIGHTH


@njit(cache=True, inline="always", error_model="numpy")
def _column_neighbours_at_g(t, i, j):
    """The colour whose samples are above and below green site (i, j)."""
    return (np.float32(5.0) * t[i, j]
            + np.float32(4.0) * (t[i - 1, j] + t[i + 1, j])
            - (t[i - 2, j] + t[i + 2, j])
            - (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1])
            + np.float32(0.5) * (t[i, j - 2] + t[i, j + 2])) * EIGHTH


@njit(cache=True, inline="always", error_model="numpy")
def _diagonal_at_rb(t, i, j):
    """Red at a blue site, or blue at a red site."""
    return (np.float32(6.0) * t[i, j]
            + np.float32(2.0) * (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1])
            - np.float32(1.5) * (t[i - 2, j] + t[i + 2, j] + t[i, j - 2] + t[i, j + 2])) * EIGHTH


@njit(cache=True, error_model="numpy")
def malvar2004_tile(t, halo):
    lh, lw = t.shape
    r = np.empty((lh, lw), dtype=np.float32)
    g = np.empty((lh, lw), dtype=np.float32)
    b = np.empty((lh, lw), dtype=np.float32)
    for i in range(halo, lh - halo, 2):
        for j in range(halo, lw - halo, 2):
            r[i, j] = t[i, j]                                   # red site
            g[i, j] = _green_at_rb(t, i, j)
            b[i, j] = _diagonal_at_rb(t, i, j)
            r[i, j + 1] = _row_neighbours_at_g(t, i, j + 1)     # green site, red row
            g[i, j + 1] = t[i, j + 1]
            b[i, j + 1] = _column_neighbours_at_g(t, i, j + 1)
            r[i + 1, j] = _column_neighbours_at_g(t, i + 1, j)  # green site, blue row
            g[i + 1, j] = t[i + 1, j]
            b[i + 1, j] = _row_neighbours_at_g(t, i + 1, j)
            r[i + 1, j + 1] = _diagonal_at_rb(t, i + 1, j + 1)  # blue site
            g[i + 1, j + 1] = _green_at_rb(t, i + 1, j + 1)
            b[i + 1, j + 1] = t[i + 1, j + 1]
    return r, g, b


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_malvar2004_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = malvar2004_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO)
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
