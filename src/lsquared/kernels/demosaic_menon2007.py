"""DDFAPD demosaic kernel: directional filtering with an a posteriori decision, and refinement.

D. Menon, S. Andriani and G. Calvagno, "Demosaicing with directional filtering and a
posteriori decision", IEEE Trans. Image Processing 16(1), 2007, pp. 132-141.  The steps
follow the paper as colour-demosaicing (the tests' oracle) writes them:

1. Green along rows and along columns at red/blue sites, Hamilton-Adams:
   (G[-1] + G[1]) / 2 + (2 C[0] - C[-2] - C[2]) / 4.
2. Decision: chrominances C = R - G_dir (B - G_dir) at red (blue) sites, their differences
   two sites apart D = |C[x] - C[x+2]|, summed with weights over a 5x5 neighbourhood
   (3 on the centre and its left/upper neighbour, 1 on six others); the direction with the
   smaller sum wins (the row one on a tie) and gives the green.
3. Red and blue at green sites: the green plus the mean colour difference of the two
   neighbours that have the colour; red at blue (blue at red) sites: the blue plus the
   mean R - B difference of the neighbours along the chosen direction.
4. Refinement: at red/blue sites the green is re-estimated from the 3-tap mean of R - G
   (B - G) along the chosen direction; red and blue at green sites from the 2-neighbour
   mean of the new R - G, B - G; red at blue (blue at red) from the 3-tap mean of R - B.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, store_planes, tile_count

HALO = 12
HALF = np.float32(0.5)
THIRD = np.float32(1.0 / 3.0)
QUARTER = np.float32(0.25)


@njit(cache=True, inline="always", error_model="numpy")
def _is_green(i, j):
    return (i + j) & 1


@njit(cache=True, error_model="numpy")
def menon2007_tile(t, halo):
    lh, lw = t.shape
    # 1. directional greens (equal to the sample at green sites)
    gh = t.copy()
    gv = t.copy()
    for i in range(2, lh - 2):
        for j in range(2 + (i & 1), lw - 2, 2):      # red and blue sites
            c = t[i, j]
            gh[i, j] = (t[i, j - 1] + t[i, j + 1]) * HALF + (2 * c - t[i, j - 2] - t[i, j + 2]) * QUARTER
            gv[i, j] = (t[i - 1, j] + t[i + 1, j]) * HALF + (2 * c - t[i - 2, j] - t[i + 2, j]) * QUARTER
    # 2. a posteriori decision from chrominance gradients
    dh = np.zeros((lh, lw), dtype=np.float32)
    dv = np.zeros((lh, lw), dtype=np.float32)
    for i in range(2, lh - 4):
        for j in range(2, lw - 4):
            if not _is_green(i, j):
                dh[i, j] = abs((t[i, j] - gh[i, j]) - (t[i, j + 2] - gh[i, j + 2]))
                dv[i, j] = abs((t[i, j] - gv[i, j]) - (t[i + 2, j] - gv[i + 2, j]))
    g = t.copy()
    horizontal = np.zeros((lh, lw), dtype=np.uint8)
    for i in range(4, lh - 4):
        for j in range(4, lw - 4):
            sh = (np.float32(3.0) * (dh[i, j] + dh[i, j - 2]) + dh[i - 1, j - 1] + dh[i + 1, j - 1]
                  + dh[i - 2, j] + dh[i + 2, j] + dh[i - 2, j - 2] + dh[i + 2, j - 2])
            sv = (np.float32(3.0) * (dv[i, j] + dv[i - 2, j]) + dv[i - 1, j - 1] + dv[i - 1, j + 1]
                  + dv[i, j - 2] + dv[i, j + 2] + dv[i - 2, j - 2] + dv[i - 2, j + 2])
            if sv >= sh:
                horizontal[i, j] = 1
                g[i, j] = gh[i, j]
            else:
                g[i, j] = gv[i, j]
    # 3. red and blue; r and b hold the samples at their own sites
    r = np.zeros((lh, lw), dtype=np.float32)
    b = np.zeros((lh, lw), dtype=np.float32)
    for i in range(lh):
        for j in range(lw):
            if (i & 1) == 0 and (j & 1) == 0:
                r[i, j] = t[i, j]
            elif (i & 1) == 1 and (j & 1) == 1:
                b[i, j] = t[i, j]
    for i in range(5, lh - 5):
        for j in range(5, lw - 5):
            if _is_green(i, j):
                ch = g[i, j] - (g[i, j - 1] + g[i, j + 1]) * HALF
                cv = g[i, j] - (g[i - 1, j] + g[i + 1, j]) * HALF
                if i & 1:      # blue row: blue left/right, red above/below
                    r[i, j] = cv + (r[i - 1, j] + r[i + 1, j]) * HALF
                    b[i, j] = ch + (b[i, j - 1] + b[i, j + 1]) * HALF
                else:
                    r[i, j] = ch + (r[i, j - 1] + r[i, j + 1]) * HALF
                    b[i, j] = cv + (b[i - 1, j] + b[i + 1, j]) * HALF
    for i in range(6, lh - 6):
        for j in range(6, lw - 6):
            if not _is_green(i, j):
                if horizontal[i, j]:
                    rb = ((r[i, j - 1] + r[i, j + 1]) - (b[i, j - 1] + b[i, j + 1])) * HALF
                else:
                    rb = ((r[i - 1, j] + r[i + 1, j]) - (b[i - 1, j] + b[i + 1, j])) * HALF
                if i & 1:
                    r[i, j] = b[i, j] + rb
                else:
                    b[i, j] = r[i, j] - rb
    # 4. refinement: green at red/blue sites
    g2 = g.copy()
    for i in range(7, lh - 7):
        for j in range(7 + ((i + 1) & 1), lw - 7, 2):    # red and blue sites
            own = r if (i & 1) == 0 else b
            if horizontal[i, j]:
                d = (own[i, j - 1] - g[i, j - 1] + own[i, j] - g[i, j] + own[i, j + 1] - g[i, j + 1]) * THIRD
            else:
                d = (own[i - 1, j] - g[i - 1, j] + own[i, j] - g[i, j] + own[i + 1, j] - g[i + 1, j]) * THIRD
            g2[i, j] = own[i, j] - d
    # red and blue at green sites from the refined colour differences
    r2 = r.copy()
    b2 = b.copy()
    for i in range(8, lh - 8):
        for j in range(8 + ((i + 1) & 1), lw - 8, 2):    # green sites
            rh = (r[i, j - 1] - g2[i, j - 1] + r[i, j + 1] - g2[i, j + 1]) * HALF
            rv = (r[i - 1, j] - g2[i - 1, j] + r[i + 1, j] - g2[i + 1, j]) * HALF
            bh = (b[i, j - 1] - g2[i, j - 1] + b[i, j + 1] - g2[i, j + 1]) * HALF
            bv = (b[i - 1, j] - g2[i - 1, j] + b[i + 1, j] - g2[i + 1, j]) * HALF
            if i & 1:
                r2[i, j] = g2[i, j] + rv
                b2[i, j] = g2[i, j] + bh
            else:
                r2[i, j] = g2[i, j] + rh
                b2[i, j] = g2[i, j] + bv
    # red at blue sites and blue at red sites from the 3-tap mean of R - B
    r3 = r2.copy()
    b3 = b2.copy()
    for i in range(9, lh - 9):
        for j in range(9 + ((i + 1) & 1), lw - 9, 2):    # red and blue sites
            if horizontal[i, j]:
                d = (r2[i, j - 1] - b2[i, j - 1] + r2[i, j] - b2[i, j] + r2[i, j + 1] - b2[i, j + 1]) * THIRD
            else:
                d = (r2[i - 1, j] - b2[i - 1, j] + r2[i, j] - b2[i, j] + r2[i + 1, j] - b2[i + 1, j]) * THIRD
            if i & 1:
                r3[i, j] = b2[i, j] + d
            else:
                b3[i, j] = r2[i, j] - d
    return r3, g2, b3


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_menon2007_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = menon2007_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO)
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
