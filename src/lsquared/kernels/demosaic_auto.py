"""The default demosaic kernel: GBTF's green, then red and blue as the mean of two estimates.

1. Green: GBTF (demosaic_gbtf.py), with the direction weights 1 / (gradient sum)^3 instead of
   the paper's square: a sharper choice between the four directions where one is clearly
   smoother, the same average where none is.
2. Red and blue, two ways from that green:
   - GBTF's colour differences (P_rb across the diagonal, then 4-neighbour means);
   - MLRI's residual interpolation with the green as guide, the gain limited to [0, 1]
     (demosaic_mlri.py).
   and their mean.  The two carry the green's remaining errors differently: a colour
   difference copies them into red and blue one for one, the residual model scales them by
   the local gain a <= 1.  Their mean is a better estimate than either (docs/demosaic.md
   has the numbers); these are fixed design choices, nothing is fitted per image.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import TILE_H, TILE_W, load_row, site_masks, store_row, tile_columns, tile_count
from .demosaic_gbtf import FLAT, drdb_row, green_row, ha_row, rb_row, sv_row, wh_row, wv_row
from .demosaic_mlri import mlri_scratch, mlri_step

# Hamilton-Adams differences are valid from 2, GBTF's green 7 further in (from 9), MLRI's red
# and blue 7 more (GBTF's red and blue need only 4): no pixel more is computed than is used.
HALO = 16
GREEN_MARGIN = HALO - 7
# Streaming: a region is computed in one pass down its rows, every intermediate kept as a
# ring of ROWS rows (slot = row & (ROWS - 1)); the longest reach back is 14 rows (the output
# row needs the sample row it was computed from).  Regions are strips STRIP_W columns wide
# and as high as the tile rows a call covers, so the mirrored halo, computed and thrown
# away, is ~4 % of the work on one thread (whole-height strips) where 256 x 512 tiles made
# it 23 %; the ~35 rings of a strip (~4.6 KB per row) stay within L2.
ROWS = 16
STRIP_W = 1024


@njit(cache=True, error_model="numpy")
def auto_region(mosaic, y0, th, x0, tw, ry, rx, out):
    """Pixels [y0, y0 + th) x [x0, x0 + tw) of ``out`` from an (H, W) float32 mosaic whose
    red site is at (ry, rx), y0 and x0 even.  Local row L (column c) holds mosaic row
    y0 - HALO - ry + L (column x0 - HALO - rx + c), mirrored, so local (even, even) is red
    as in load_tile; step s loads row s and runs each pass on the newest row whose inputs
    are complete (the lags below), the same passes with the same arithmetic as on planes."""
    h, w = mosaic.shape
    hh = HALO
    m = GREEN_MARGIN
    lh = 2 * ((th + 1) // 2) + 2 * hh + 2
    lw = 2 * ((tw + 1) // 2) + 2 * hh + 2
    c0 = x0 - hh - rx
    cols = tile_columns(w, c0, lw)
    is_r, is_b, is_g = site_masks(lw)
    rm = ROWS - 1
    rings = np.empty((12, ROWS, lw), dtype=np.float32)
    t, dh, dv, sv, wv, wh = rings[0], rings[1], rings[2], rings[3], rings[4], rings[5]
    g, cd, dr, db, r, b = rings[6], rings[7], rings[8], rings[9], rings[10], rings[11]
    gv = np.zeros(lw, dtype=np.float32)
    sh = np.zeros(lw, dtype=np.float32)
    eps = np.float32(FLAT ** 3)
    ring_r, rows_r, inv_r, sites_r = mlri_scratch(lw, 0, hh)
    ring_b, rows_b, inv_b, sites_b = mlri_scratch(lw, 1, hh)
    for s in range(lh + 14):
        if s < lh:
            load_row(mosaic, y0 - hh - ry + s, c0, cols, t[s & rm])
        k = s - 2                           # Hamilton-Adams: t rows k-2..k+2
        if 2 <= k < lh - 2:
            ha_row(t, rm, k, is_g, dh, dv, rm)
        k = s - 3                           # vertical gradient sums: dv rows k-1, k+1
        if m - 4 <= k < lh - m + 4:
            sv_row(dv, rm, k, m, gv, sv, rm)
        k = s - 4                           # horizontal weights: dh rows k-2..k+2
        if m <= k < lh - m:
            wh_row(dh, rm, k, m, True, eps, sh, wh, rm)
        k = s - 7                           # vertical weights: sv rows k..k+4
        if m - 4 <= k < lh - m:
            wv_row(sv, rm, k, m, True, eps, wv, rm)
        if m <= k < lh - m:                 # green: dv rows k-4..k+4, wv rows k-4, k
            green_row(t, rm, dh, dv, rm, wh, wv, rm, k, m, is_g, g, cd, rm)
        k = s - 10                          # diagonal colour differences: cd rows k-3..k+3
        if m + 3 <= k < lh - m - 3:
            drdb_row(cd, rm, k, m, is_r, is_b, dr, db, rm)
        k = s - 11                          # GBTF's red and blue: dr, db rows k-1..k+1
        if m + 4 <= k < lh - m - 4:
            rb_row(t, rm, g, rm, dr, db, rm, k, m, is_r, is_b, is_g, r, b, rm)
        k = s - 9                           # MLRI: t, g rows to k+2; averages into row k-5
        if hh - 5 <= k < lh - hh + 5:
            mlri_step(k, lh, t, rm, g, rm, r, rm, 0, hh, True, ring_r, rows_r, inv_r, sites_r)
            mlri_step(k, lh, t, rm, g, rm, b, rm, 1, hh, True, ring_b, rows_b, inv_b, sites_b)
        k = s - 14                          # output row
        y = k - hh - ry
        if 0 <= y < th:
            a = hh + rx
            store_row(out, y0 + y, x0, tw, r[k & rm, a:], g[k & rm, a:], b[k & rm, a:])


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_auto_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py).  Whole rows of
    tiles in the range are computed together as strips STRIP_W wide; other tiles one by one."""
    h, w = mosaic.shape
    ntx = tile_count(h, w)[1]
    k = first
    while k < last:
        ty, tx = k // ntx, k % ntx
        y0 = ty * TILE_H
        if tx == 0 and last - k >= ntx:
            rows = (last - k) // ntx
            th = min(rows * TILE_H, h - y0)
            for x0 in range(0, w, STRIP_W):
                auto_region(mosaic, y0, th, x0, min(STRIP_W, w - x0), ry, rx, out)
            k += rows * ntx
        else:
            x0 = tx * TILE_W
            auto_region(mosaic, y0, min(TILE_H, h - y0), x0, min(TILE_W, w - x0), ry, rx, out)
            k += 1
