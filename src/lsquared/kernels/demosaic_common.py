"""Tiling shared by every demosaic kernel: mirrored tiles in the RGGB phase, and their write-back.

The output array is allocated by the caller with numpy: numpy asks the kernel for huge pages
on large arrays, which makes the first touch of a 290 MB result several times cheaper than an
allocation made inside numba.

Why tiles: a demosaic with several stages needs intermediate planes (colour differences,
gradients, a first green).  Made full size they cost hundreds of MB on a 24 MP mosaic; made
per tile (about 650 KB each) they stay in the L2/L3 caches, and the only full-size arrays are the
input mosaic and the (H, W, 3) output.  (The auto kernel goes further: it streams whole rows
of tiles in strips with every intermediate a ring of rows, demosaic_auto.py; load_row and
store_row are the per-row edges it shares with load_tile and store_planes.)  Tiles run in
parallel: each kernel's ``demosaic_<method>_tiles(mosaic, ry, rx, out, first, last)``
releases the GIL and the op layer runs disjoint tile ranges on a thread pool
(ops/demosaic/_mosaic.py).  Threads rather
than ``parallel=True``: the same speed, and numba compiles a serial tile loop in a fraction
of the time its parfor lowering takes (a cold start of all methods: ~50 s instead of ~140 s).
Each method repeats that six-line tile loop: numba cannot cache a driver that takes the tile
function as an argument, and an uncached one would recompile on every start.

Development note: numba's cache keys a function on its own file's modification time only, so
after editing a kernel that another kernel imports (demosaic_gbtf.py and demosaic_mlri.py are
used by demosaic_mlri.py and demosaic_auto.py) ``touch`` the importing files too; otherwise
they keep running the old code from the cache (and deleting the cache is not enough while
another process that loaded the old code may write it back).

Why one phase: every kernel is written for RGGB only.  A tile is cut with a one-pixel shift
for the other phases (GRBG: one column, GBRG: one row, BGGR: both), so that local (0, 0) is
always a red site; the mapping back undoes the shift.

Borders: samples outside the image are mirrored without repeating the edge sample (numpy's
``reflect``).  The mirror period 2 (n - 1) is even, so a mirrored sample keeps its colour and
the padded tile is still a valid Bayer mosaic of a mirrored scene; this works for any n >= 2.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Tile size in output pixels.  Wide tiles keep the inner loops long (vectorization along
# rows); both are even so that every tile starts on a red site of the shifted grid.
TILE_H = 256
TILE_W = 512


@njit(cache=True, inline="always", error_model="numpy")
def mirror_index(k: int, n: int) -> int:
    """Index k folded into [0, n) by mirror reflection (numpy 'reflect'), for n >= 2."""
    period = 2 * (n - 1)
    k = k % period          # numba follows Python: the result has the divisor's sign
    if k >= n:
        k = period - k
    return k


@njit(cache=True, error_model="numpy")
def tile_count(h: int, w: int) -> tuple[int, int]:
    return (h + TILE_H - 1) // TILE_H, (w + TILE_W - 1) // TILE_W


@njit(cache=True, error_model="numpy")
def load_tile(mosaic, ty: int, tx: int, halo: int, ry: int, rx: int):
    """Copy tile number (ty, tx) with ``halo`` mirrored pixels around it, shifted to RGGB.

    Local (i, j) holds mosaic[y0 - halo - ry + i, x0 - halo - rx + j] (mirrored), so local
    (even, even) is red.  The local array is (2 ceil(th/2) + 2 halo + 2) high and likewise
    wide; ``halo`` must be even.  Kernels fill the region [halo, size - halo) of each axis,
    which covers the tile's output pixels at local (y - y0 + halo + ry, x - x0 + halo + rx)
    (``store_planes`` writes them back).
    """
    h, w = mosaic.shape
    y0 = ty * TILE_H
    x0 = tx * TILE_W
    th = min(TILE_H, h - y0)
    tw = min(TILE_W, w - x0)
    lh = 2 * ((th + 1) // 2) + 2 * halo + 2
    lw = 2 * ((tw + 1) // 2) + 2 * halo + 2
    local = np.empty((lh, lw), dtype=np.float32)
    c0 = x0 - halo - rx
    cols = tile_columns(w, c0, lw)
    for i in range(lh):
        load_row(mosaic, y0 - halo - ry + i, c0, cols, local[i])
    return local


@njit(cache=True, error_model="numpy")
def tile_columns(w: int, c0: int, lw: int):
    """Mosaic columns (mirrored) of a local row of lw samples from column c0, for load_row;
    empty when none is mirrored (every tile but those at the left and right edges): such a
    row is one contiguous copy, which vectorizes, where the gather through the columns stays
    scalar (0.086 -> 0.023 ms per tile)."""
    if c0 >= 0 and c0 + lw <= w:
        return np.empty(0, dtype=np.int64)
    cols = np.empty(lw, dtype=np.int64)
    for j in range(lw):
        cols[j] = mirror_index(c0 + j, w)
    return cols


@njit(cache=True, error_model="numpy")
def load_row(mosaic, y: int, c0: int, cols, dst) -> None:
    """dst[j] = mosaic[y, c0 + j], both indices mirrored; cols from tile_columns."""
    src = mosaic[mirror_index(y, mosaic.shape[0])]
    if cols.shape[0] == 0:
        part = src[c0:]
        for j in range(dst.shape[0]):
            dst[j] = part[j]
    else:
        for j in range(dst.shape[0]):
            dst[j] = src[cols[j]]


@njit(cache=True, error_model="numpy")
def site_masks(lw: int):
    """0/1 float32 masks of the red, blue and green sites of an RGGB tile row.

    Each is indexed [i & 1, a & 1, j] for row i and a row view starting at column a, so
    that mask[i & 1, a & 1][j] tells the site at (i, a + j).  Multiplying by a mask selects
    per site without a branch, which keeps the inner loops vectorizable.
    """
    is_r = np.zeros((2, 2, lw), dtype=np.float32)
    is_b = np.zeros((2, 2, lw), dtype=np.float32)
    is_g = np.zeros((2, 2, lw), dtype=np.float32)
    for ip in range(2):
        for ap in range(2):
            for j in range(lw):
                col = (ap + j) & 1
                if ip == 0 and col == 0:
                    is_r[ip, ap, j] = 1.0
                elif ip == 1 and col == 1:
                    is_b[ip, ap, j] = 1.0
                else:
                    is_g[ip, ap, j] = 1.0
    return is_r, is_b, is_g


@njit(cache=True, error_model="numpy")
def store_planes(out, r, g, b, halo: int, ty: int, tx: int, ry: int, rx: int) -> None:
    """Write the tile's output pixels from three local planes (local = output + halo + shift)."""
    h, w = out.shape[0], out.shape[1]
    y0 = ty * TILE_H
    x0 = tx * TILE_W
    th = min(TILE_H, h - y0)
    tw = min(TILE_W, w - x0)
    for i in range(th):
        a = halo + rx
        store_row(out, y0 + i, x0, tw, r[i + halo + ry, a:], g[i + halo + ry, a:], b[i + halo + ry, a:])


@njit(cache=True, error_model="numpy")
def store_row(out, y: int, x0: int, n: int, r, g, b) -> None:
    """out[y, x0 + j] = (r[j], g[j], b[j]) for j < n.  Through the row as one flat array: the
    stride 3 is then a constant and LLVM interleaves the three stores into vector stores,
    where out[y, x0 + j, c] has the runtime stride of the last axis (0.020 -> 0.016 s per
    24 MP)."""
    o = out[y].reshape(out.shape[1] * 3)[3 * x0:]
    for j in range(n):
        o[3 * j] = r[j]
        o[3 * j + 1] = g[j]
        o[3 * j + 2] = b[j]
