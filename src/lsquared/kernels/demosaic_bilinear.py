"""Bilinear demosaic kernel: each missing sample is the mean of its nearest same-colour samples.

The reference floor of every comparison (Kodak CPSNR about 30 dB).  Per 2x2 RGGB block:
green at red/blue sites from the 4 edge neighbours; red/blue at green sites from the 2
neighbours in the row or column that holds them; red at blue (and blue at red) from the
4 diagonal neighbours.  Equivalently, the sparse planes convolved with
[[0,1,0],[1,4,1],[0,1,0]]/4 (green) and [[1,2,1],[2,4,2],[1,2,1]]/4 (red, blue).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .demosaic_common import load_tile, store_tile, tile_count

HALO = 2
HALF = np.float32(0.5)
QUARTER = np.float32(0.25)


@njit(cache=True)
def bilinear_tile(t, halo):
    lh, lw = t.shape
    rgb = np.empty((lh - 2 * halo, lw - 2 * halo, 3), dtype=np.float32)
    for i in range(halo, lh - halo, 2):
        o = i - halo
        for j in range(halo, lw - halo, 2):
            p = j - halo
            # red site (i, j)
            rgb[o, p, 0] = t[i, j]
            rgb[o, p, 1] = (t[i - 1, j] + t[i + 1, j] + t[i, j - 1] + t[i, j + 1]) * QUARTER
            rgb[o, p, 2] = (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1]) * QUARTER
            # green site in a red row (i, j + 1)
            rgb[o, p + 1, 0] = (t[i, j] + t[i, j + 2]) * HALF
            rgb[o, p + 1, 1] = t[i, j + 1]
            rgb[o, p + 1, 2] = (t[i - 1, j + 1] + t[i + 1, j + 1]) * HALF
            # green site in a blue row (i + 1, j)
            rgb[o + 1, p, 0] = (t[i, j] + t[i + 2, j]) * HALF
            rgb[o + 1, p, 1] = t[i + 1, j]
            rgb[o + 1, p, 2] = (t[i + 1, j - 1] + t[i + 1, j + 1]) * HALF
            # blue site (i + 1, j + 1)
            rgb[o + 1, p + 1, 0] = (t[i, j] + t[i, j + 2] + t[i + 2, j] + t[i + 2, j + 2]) * QUARTER
            rgb[o + 1, p + 1, 1] = (t[i, j + 1] + t[i + 2, j + 1] + t[i + 1, j] + t[i + 1, j + 2]) * QUARTER
            rgb[o + 1, p + 1, 2] = t[i + 1, j + 1]
    return rgb


@njit(parallel=True, cache=True)
def demosaic_bilinear_kernel(mosaic, ry, rx, out):
    """(H, W) float32 mosaic whose red site is at (ry, rx) -> ``out`` (H, W, 3) float32."""
    nty, ntx = tile_count(mosaic.shape[0], mosaic.shape[1])
    for k in prange(nty * ntx):
        ty, tx = k // ntx, k % ntx
        store_tile(out, bilinear_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO), ty, tx, ry, rx)
