"""Bilinear demosaic kernel: each missing sample is the mean of its nearest same-colour samples.

The reference floor of every comparison (Kodak CPSNR about 30 dB).  Per 2x2 RGGB block:
green at red/blue sites from the 4 edge neighbours; red/blue at green sites from the 2
neighbours in the row or column that holds them; red at blue (and blue at red) from the
4 diagonal neighbours.  Equivalently, the sparse planes convolved with
[[0,1,0],[1,4,1],[0,1,0]]/4 (green) and [[1,2,1],[2,4,2],[1,2,1]]/4 (red, blue).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, store_planes, tile_count

HALO = 2
HALF = np.float32(0.5)
QUARTER = np.float32(0.25)


@njit(cache=True, error_model="numpy")
def bilinear_tile(t, halo):
    lh, lw = t.shape
    r = np.empty((lh, lw), dtype=np.float32)
    g = np.empty((lh, lw), dtype=np.float32)
    b = np.empty((lh, lw), dtype=np.float32)
    for i in range(halo, lh - halo, 2):
        for j in range(halo, lw - halo, 2):
            # red site (i, j)
            r[i, j] = t[i, j]
            g[i, j] = (t[i - 1, j] + t[i + 1, j] + t[i, j - 1] + t[i, j + 1]) * QUARTER
            b[i, j] = (t[i - 1, j - 1] + t[i - 1, j + 1] + t[i + 1, j - 1] + t[i + 1, j + 1]) * QUARTER
            # green site in a red row (i, j + 1)
            r[i, j + 1] = (t[i, j] + t[i, j + 2]) * HALF
            g[i, j + 1] = t[i, j + 1]
            b[i, j + 1] = (t[i - 1, j + 1] + t[i + 1, j + 1]) * HALF
            # green site in a blue row (i + 1, j)
            r[i + 1, j] = (t[i, j] + t[i + 2, j]) * HALF
            g[i + 1, j] = t[i + 1, j]
            b[i + 1, j] = (t[i + 1, j - 1] + t[i + 1, j + 1]) * HALF
            # blue site (i + 1, j + 1)
            r[i + 1, j + 1] = (t[i, j] + t[i, j + 2] + t[i + 2, j] + t[i + 2, j + 2]) * QUARTER
            g[i + 1, j + 1] = (t[i, j + 1] + t[i + 2, j + 1] + t[i + 1, j] + t[i + 1, j + 2]) * QUARTER
            b[i + 1, j + 1] = t[i + 1, j + 1]
    return r, g, b


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_bilinear_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = bilinear_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO)
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
