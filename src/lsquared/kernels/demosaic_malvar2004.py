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
from numba import njit, prange

from .demosaic_common import load_tile, store_tile, tile_count

HALO = 2
EIGHTH = np.float32(0.125)


@njit(cache=True, inline="always")
def _green_at_rb(t, i, j):
    return (np.float32(4.0) * t[i, j]
            + np.float32(2.0) * (t[i - 1, j] + t[i + 1, j] + t[i, j - 1] + t[i, j + 1])
            - (t[i - 2, j] + t[i + 2, j] + t[i, j - 2] + t[i, j + 2])) * EIGHTH


@njit(cache=True, inline="always")
def _row_neighbours_at_g(t, i, j):
    """The colour whose samples are left and right of green site (i, j)."""
    return (np.float32(5.0) * t[i, j]
            + np.float32(4.0) * (t[i, j - 1] + t[i, j + 1])
            - (t[i, j - 2] + t[i, j + 2])
            - (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1])
            + np.float32(0.5) * (t[i - 2, j] + t[i + 2, j])) * EIGHTH


@njit(cache=True, inline="always")
def _column_neighbours_at_g(t, i, j):
    """The colour whose samples are above and below green site (i, j)."""
    return (np.float32(5.0) * t[i, j]
            + np.float32(4.0) * (t[i - 1, j] + t[i + 1, j])
            - (t[i - 2, j] + t[i + 2, j])
            - (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1])
            + np.float32(0.5) * (t[i, j - 2] + t[i, j + 2])) * EIGHTH


@njit(cache=True, inline="always")
def _diagonal_at_rb(t, i, j):
    """Red at a blue site, or blue at a red site."""
    return (np.float32(6.0) * t[i, j]
            + np.float32(2.0) * (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1])
            - np.float32(1.5) * (t[i - 2, j] + t[i + 2, j] + t[i, j - 2] + t[i, j + 2])) * EIGHTH


@njit(cache=True)
def malvar2004_tile(t, halo):
    lh, lw = t.shape
    rgb = np.empty((lh - 2 * halo, lw - 2 * halo, 3), dtype=np.float32)
    for i in range(halo, lh - halo, 2):
        o = i - halo
        for j in range(halo, lw - halo, 2):
            p = j - halo
            rgb[o, p, 0] = t[i, j]                                  # red site
            rgb[o, p, 1] = _green_at_rb(t, i, j)
            rgb[o, p, 2] = _diagonal_at_rb(t, i, j)
            rgb[o, p + 1, 0] = _row_neighbours_at_g(t, i, j + 1)    # green site, red row
            rgb[o, p + 1, 1] = t[i, j + 1]
            rgb[o, p + 1, 2] = _column_neighbours_at_g(t, i, j + 1)
            rgb[o + 1, p, 0] = _column_neighbours_at_g(t, i + 1, j)  # green site, blue row
            rgb[o + 1, p, 1] = t[i + 1, j]
            rgb[o + 1, p, 2] = _row_neighbours_at_g(t, i + 1, j)
            rgb[o + 1, p + 1, 0] = _diagonal_at_rb(t, i + 1, j + 1)  # blue site
            rgb[o + 1, p + 1, 1] = _green_at_rb(t, i + 1, j + 1)
            rgb[o + 1, p + 1, 2] = t[i + 1, j + 1]
    return rgb


@njit(parallel=True, cache=True)
def demosaic_malvar2004_kernel(mosaic, ry, rx, out):
    """(H, W) float32 mosaic whose red site is at (ry, rx) -> ``out`` (H, W, 3) float32."""
    nty, ntx = tile_count(mosaic.shape[0], mosaic.shape[1])
    for k in prange(nty * ntx):
        ty, tx = k // ntx, k % ntx
        store_tile(out, malvar2004_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO), ty, tx, ry, rx)
