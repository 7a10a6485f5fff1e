"""GBTF demosaic kernel: Hamilton-Adams colour differences, combined from four directions by
weights from colour-difference gradients, then red/blue from the colour differences.

I. Pekkucuksen and Y. Altunbasak, "Gradient based threshold free color filter array
interpolation", Proc. IEEE ICIP 2010, pp. 137-140.  Per tile (RGGB, demosaic_common.py):

1. Directional colour differences at every site (G - R on red rows, G - B on blue rows) from
   the Hamilton-Adams estimate  (-x[-2] + 2 x[-1] + 2 x[0] + 2 x[1] - x[2]) / 4  of the
   missing colour along the row (dh) and along the column (dv).
2. Gradients D_h = |dh[j+1] - dh[j-1]|, D_v likewise, summed over a window on each side:
   W gets columns j-4..j, E gets j..j+4, each over rows i-2..i+2 (the paper's
   5x5 windows); N and S likewise.  Weight = 1 / sum ** power (the paper: power 2).
3. At red and blue sites, the colour difference is the weighted mean of the four one-sided
   estimates f . dh[i, j-4..j] ... with f = (0.26, 0.24, 0.21, 0.17, 0.12) from the centre
   outwards (the decaying filter of Kiku et al.'s public GBTF code; the paper's is similar);
   green = sample + colour difference.
4. Red at blue sites (and blue at red) from the colour differences of the diagonal
   neighbours through the paper's 7x7 filter P_rb (10/32 on the four (+-1, +-1), -1/32 on
   the eight (+-1, +-3), (+-3, +-1)); red and blue at green sites: mean of the 4 neighbours'
   colour differences.

Kernels use numba's ``error_model="numpy"``: a float division never raises (and is not
guarded per element, which keeps the loops vectorized); every divisor here is bounded away
from zero by construction.

Loop style (for speed, not taste): every inner loop runs j from 0 over a row view that
starts at the window's left edge, so that all indices are j + k with k >= 0.  Numba then
drops its negative-index checks and vectorizes (about 7x faster than x[i, j - 2]).  Work is
done densely over a row and the Bayer site is chosen by multiplying with 0/1 masks
(``site_masks``), which vectorizes where a branch per pixel would not.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, site_masks, store_planes, tile_count

HALO = 14
F0, F1, F2, F3, F4 = (np.float32(v) for v in (0.26, 0.24, 0.21, 0.17, 0.12))   # sum 1
# Gradient sums below FLAT count as flat (far below any real texture, even in the shadows of an
# underexposed raw); sums above HUGE are clamped so that s^3 stays finite in float32.
FLAT = 1e-8
HUGE = np.float32(1e12)

# Tile planes are np.empty, not np.zeros: every pass writes the region its readers use before
# they read it (each function's docstring gives its valid region), so the zeros were never
# read into an output pixel; zeroing ~30 planes of 0.65 MB per tile was ~10 % of the auto
# demosaic's time on one thread.  Checked by filling every plane with NaN instead: auto, gbtf
# and mlri gave bit-identical results to the zeroed version, with no NaN, on the 24 MP DNG,
# the Canon DNG and random mosaics of 2x2 .. 600x1100 in all four phases (partial tiles,
# mirrored borders).  A change that reads outside a valid region must go back to np.zeros.


# Every pass is a function of one row (``*_row``), used on whole planes here and on rings of
# rows by the streaming auto kernel (demosaic_auto.py).  A row i of an array is at index
# i & mask: FULL for a plane (the index itself), size - 1 for a ring of 2^k rows.
FULL = (1 << 30) - 1


@njit(cache=True, error_model="numpy")
def ha_row(t, mt, i, is_g, dh, dv, md):
    """Row i of hamilton_adams_differences from rows i-2..i+2 of t."""
    lw = t.shape[1]
    two = np.float32(2.0)
    q = np.float32(0.25)
    one = np.float32(1.0)
    green = is_g[i & 1, 0]          # the slices start at column 2, same parity
    row = t[i & mt]
    u2, u1, c = t[(i - 2) & mt, 2:], t[(i - 1) & mt, 2:], t[i & mt, 2:]
    d1, d2 = t[(i + 1) & mt, 2:], t[(i + 2) & mt, 2:]
    oh, ov = dh[i & md, 2:], dv[i & md, 2:]
    for j in range(lw - 4):
        x = c[j]
        eh = (two * (row[j + 1] + x + row[j + 3]) - row[j] - row[j + 4]) * q
        ev = (two * (u1[j] + x + d1[j]) - u2[j] - d2[j]) * q
        sign = two * green[j] - one         # +1 at green sites, -1 at red/blue
        oh[j] = sign * (x - eh)
        ov[j] = sign * (x - ev)


@njit(cache=True, error_model="numpy")
def hamilton_adams_differences(t):
    """Directional colour differences (green minus the site's or the row's other colour).

    dh[i, j] on a red row is G - R: at a red site the Hamilton-Adams green along the row
    minus the sample; at a green site the sample minus the Hamilton-Adams red.  Blue rows
    give G - B; dv is the same along columns.  Filled on [2, size - 2).
    """
    lh, lw = t.shape
    is_g = site_masks(lw)[2]
    dh = np.empty((lh, lw), dtype=np.float32)
    dv = np.empty((lh, lw), dtype=np.float32)
    for i in range(2, lh - 2):
        ha_row(t, FULL, i, is_g, dh, dv, FULL)
    return dh, dv


@njit(cache=True, error_model="numpy")
def sv_row(dv, md, i, m, gv, sv, ms):
    """Row i of direction_weights' sv (needs dv rows i - 1, i + 1); gv: a row buffer."""
    lw = dv.shape[1]
    c0 = m - 2
    up, dn = dv[(i - 1) & md, c0:], dv[(i + 1) & md, c0:]
    for j in range(lw - 2 * c0):
        gv[j] = abs(dn[j] - up[j])
    o = sv[i & ms, m:]
    for j in range(lw - 2 * m):
        o[j] = gv[j] + gv[j + 1] + gv[j + 2] + gv[j + 3] + gv[j + 4]


@njit(cache=True, error_model="numpy")
def wv_row(sv, ms, i, m, cube, eps, wv, mw):
    """Row i of direction_weights' wv (needs sv rows i..i + 4)."""
    lw = sv.shape[1]
    one = np.float32(1.0)
    s0, s1, s2 = sv[i & ms, m:], sv[(i + 1) & ms, m:], sv[(i + 2) & ms, m:]
    s3, s4, o = sv[(i + 3) & ms, m:], sv[(i + 4) & ms, m:], wv[i & mw, m:]
    if cube:
        for j in range(lw - 2 * m):
            x = min(s0[j] + s1[j] + s2[j] + s3[j] + s4[j], HUGE)
            o[j] = one / (x * x * x + eps)
    else:
        for j in range(lw - 2 * m):
            x = min(s0[j] + s1[j] + s2[j] + s3[j] + s4[j], HUGE)
            o[j] = one / (x * x + eps)


@njit(cache=True, error_model="numpy")
def wh_row(dh, md, i, m, cube, eps, sh, wh, mw):
    """Row i of direction_weights' wh (needs dh rows i-2..i+2); sh: a row buffer."""
    lw = dh.shape[1]
    one = np.float32(1.0)
    c0 = m - 4
    a0, b0 = dh[(i - 2) & md, c0 - 1:], dh[(i - 2) & md, c0 + 1:]
    a1, b1 = dh[(i - 1) & md, c0 - 1:], dh[(i - 1) & md, c0 + 1:]
    a2, b2 = dh[i & md, c0 - 1:], dh[i & md, c0 + 1:]
    a3, b3 = dh[(i + 1) & md, c0 - 1:], dh[(i + 1) & md, c0 + 1:]
    a4, b4 = dh[(i + 2) & md, c0 - 1:], dh[(i + 2) & md, c0 + 1:]
    for j in range(lw - 2 * c0):
        sh[j] = (abs(b0[j] - a0[j]) + abs(b1[j] - a1[j]) + abs(b2[j] - a2[j]) + abs(b3[j] - a3[j])
                 + abs(b4[j] - a4[j]))
    o = wh[i & mw, c0:]
    if cube:
        for j in range(lw - 2 * m + 4):
            x = min(sh[j] + sh[j + 1] + sh[j + 2] + sh[j + 3] + sh[j + 4], HUGE)
            o[j] = one / (x * x * x + eps)
    else:
        for j in range(lw - 2 * m + 4):
            x = min(sh[j] + sh[j + 1] + sh[j + 2] + sh[j + 3] + sh[j + 4], HUGE)
            o[j] = one / (x * x + eps)


@njit(cache=True, error_model="numpy")
def direction_weights(dh, dv, m, power):
    """Step 2: wh[i, j] = 1 / s^power, s = the sum over columns j..j+4 of the lateral sums
    (rows i-2..i+2) of |dh[j+1] - dh[j-1]|; wv[i, j] likewise downwards for dv.  So the
    weight of W at (i, j) is wh[i, j-4], of E wh[i, j], of N wv[i-4, j], of S wv[i, j].
    dh, dv valid on [m - 7, size - m + 7); wh valid on rows [m, size - m) from column
    m - 4, wv on columns [m, size - m) from row m - 4.  Row buffers keep the gradients and
    lateral sums out of memory.  The five-term sums are written out (a loop over a runtime
    window width stayed scalar: 0.54 -> 0.19 ms per tile, same results bit for bit), and the
    power is chosen outside the loops."""
    lh, lw = dh.shape
    eps = np.float32(FLAT ** power)
    cube = power == 3
    # vertical: gradients of dv along columns, lateral sums along the row, one plane sv
    sv = np.empty((lh, lw), dtype=np.float32)
    gv = np.zeros(lw, dtype=np.float32)
    for i in range(m - 4, lh - m + 4):
        sv_row(dv, FULL, i, m, gv, sv, FULL)
    wv = np.empty((lh, lw), dtype=np.float32)
    for i in range(m - 4, lh - m):
        wv_row(sv, FULL, i, m, cube, eps, wv, FULL)
    # horizontal: gradients of dh along rows, lateral sums over rows, then five columns
    wh = np.empty((lh, lw), dtype=np.float32)
    sh = np.zeros(lw, dtype=np.float32)
    for i in range(m, lh - m):
        wh_row(dh, FULL, i, m, cube, eps, sh, wh, FULL)
    return wh, wv


@njit(cache=True, error_model="numpy")
def green_row(t, mt, dh, dv, md, wh, wv, mw, i, m, is_g, g, cd, mg):
    """Row i of gbtf_green (needs dh row i, dv rows i-4..i+4, wh row i, wv rows i-4, i)."""
    lw = t.shape[1]
    one = np.float32(1.0)
    hw, he, vn, vs = wh[i & mw, m - 4:], wh[i & mw, m:], wv[(i - 4) & mw, m:], wv[i & mw, m:]
    row = dh[i & md, m - 4:]                                       # row[j + 4] is column m + j
    c4, c3, c2 = dv[(i - 4) & md, m:], dv[(i - 3) & md, m:], dv[(i - 2) & md, m:]
    c1, c0 = dv[(i - 1) & md, m:], dv[i & md, m:]
    e1, e2, e3, e4 = dv[(i + 1) & md, m:], dv[(i + 2) & md, m:], dv[(i + 3) & md, m:], dv[(i + 4) & md, m:]
    sample, green, diff = t[i & mt, m:], g[i & mg, m:], cd[i & mg, m:]
    keep = is_g[i & 1, m & 1]
    for j in range(lw - 2 * m):
        ew = F0 * row[j + 4] + F1 * row[j + 3] + F2 * row[j + 2] + F3 * row[j + 1] + F4 * row[j]
        ee = F0 * row[j + 4] + F1 * row[j + 5] + F2 * row[j + 6] + F3 * row[j + 7] + F4 * row[j + 8]
        en = F0 * c0[j] + F1 * c1[j] + F2 * c2[j] + F3 * c3[j] + F4 * c4[j]
        es = F0 * c0[j] + F1 * e1[j] + F2 * e2[j] + F3 * e3[j] + F4 * e4[j]
        d = ((hw[j] * ew + he[j] * ee + vn[j] * en + vs[j] * es)
             / (hw[j] + he[j] + vn[j] + vs[j]) * (one - keep[j]))
        diff[j] = d
        green[j] = sample[j] + d


@njit(cache=True, error_model="numpy")
def gbtf_green(t, dh, dv, m, power):
    """Green plane and colour-difference plane (green minus the site's colour at red and
    blue sites, 0 at green sites) from directional colour differences dh, dv valid on
    [m - 7, size - m + 7); filled on [m, size - m)."""
    lh, lw = t.shape
    wh, wv = direction_weights(dh, dv, m, power)
    is_g = site_masks(lw)[2]
    g = np.empty((lh, lw), dtype=np.float32)
    cd = np.empty((lh, lw), dtype=np.float32)
    for i in range(m, lh - m):
        green_row(t, FULL, dh, dv, FULL, wh, wv, FULL, i, m, is_g, g, cd, FULL)
    return g, cd


@njit(cache=True, error_model="numpy")
def drdb_row(cd, mc, i, m, is_r, is_b, dr, db, mr):
    """Row i of the colour differences dr = G - R, db = G - B at red and blue sites (0 at
    green sites) in rb_from_colour_differences (needs cd rows i-3..i+3)."""
    lw = cd.shape[1]
    w1 = np.float32(10.0 / 32.0)
    w3 = np.float32(1.0 / 32.0)
    a = m + 3
    u3, u1, c = cd[(i - 3) & mc, a - 3:], cd[(i - 1) & mc, a - 3:], cd[i & mc, a:]
    d1, d3 = cd[(i + 1) & mc, a - 3:], cd[(i + 3) & mc, a - 3:]
    red, blue = is_r[i & 1, a & 1], is_b[i & 1, a & 1]
    o_r, o_b = dr[i & mr, a:], db[i & mr, a:]
    for j in range(lw - 2 * a):
        x = (w1 * (u1[j + 2] + u1[j + 4] + d1[j + 2] + d1[j + 4])
             - w3 * (u1[j] + u1[j + 6] + d1[j] + d1[j + 6] + u3[j + 2] + u3[j + 4] + d3[j + 2] + d3[j + 4]))
        o_r[j] = red[j] * c[j] + blue[j] * x     # at a blue site x is G - R from the red diagonal
        o_b[j] = blue[j] * c[j] + red[j] * x


@njit(cache=True, error_model="numpy")
def rb_row(t, mt, g, mg, dr, db, mr, i, m, is_r, is_b, is_g, r, b, mo):
    """Row i of rb_from_colour_differences' red and blue (needs dr, db rows i-1..i+1)."""
    lw = t.shape[1]
    q = np.float32(0.25)
    a = m + 4
    red, blue, green = is_r[i & 1, a & 1], is_b[i & 1, a & 1], is_g[i & 1, a & 1]
    r_u, r_c, r_d = dr[(i - 1) & mr, a:], dr[i & mr, a - 1:], dr[(i + 1) & mr, a:]
    b_u, b_c, b_d = db[(i - 1) & mr, a:], db[i & mr, a - 1:], db[(i + 1) & mr, a:]
    gg, tt, o_r, o_b = g[i & mg, a:], t[i & mt, a:], r[i & mo, a:], b[i & mo, a:]
    for j in range(lw - 2 * a):
        gr = (r_u[j] + r_d[j] + r_c[j] + r_c[j + 2]) * q
        gb = (b_u[j] + b_d[j] + b_c[j] + b_c[j + 2]) * q
        o_r[j] = red[j] * tt[j] + blue[j] * (gg[j] - r_c[j + 1]) + green[j] * (gg[j] - gr)
        o_b[j] = blue[j] * tt[j] + red[j] * (gg[j] - b_c[j + 1]) + green[j] * (gg[j] - gb)


@njit(cache=True, error_model="numpy")
def rb_from_colour_differences(t, g, cd, m):
    """Red and blue planes from the colour differences cd (valid on [m, size - m) at red and
    blue sites): P_rb across the diagonal, then the 4-neighbour mean at green sites.
    Filled on [m + 4, size - m - 4)."""
    lh, lw = t.shape
    is_r, is_b, is_g = site_masks(lw)
    dr = np.empty((lh, lw), dtype=np.float32)
    db = np.empty((lh, lw), dtype=np.float32)
    for i in range(m + 3, lh - m - 3):
        drdb_row(cd, FULL, i, m, is_r, is_b, dr, db, FULL)
    r = np.empty((lh, lw), dtype=np.float32)
    b = np.empty((lh, lw), dtype=np.float32)
    for i in range(m + 4, lh - m - 4):
        rb_row(t, FULL, g, FULL, dr, db, FULL, i, m, is_r, is_b, is_g, r, b, FULL)
    return r, b


@njit(cache=True, error_model="numpy")
def gbtf_tile(t, halo):
    dh, dv = hamilton_adams_differences(t)
    g, cd = gbtf_green(t, dh, dv, halo - 4, 2)
    r, b = rb_from_colour_differences(t, g, cd, halo - 4)
    return r, g, b


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_gbtf_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = gbtf_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO)
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
