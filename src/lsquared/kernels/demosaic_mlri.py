"""MLRI demosaic kernel: residual interpolation with a minimized-Laplacian guided filter.

D. Kiku, Y. Monno, M. Tanaka and M. Okutomi, "Minimized-Laplacian residual interpolation for
color image demosaicking", Proc. SPIE 9023 (Digital Photography X), 2014; residual
interpolation itself: Kiku et al., "Residual interpolation for color image demosaicking",
ICIP 2013.

Residual interpolation: instead of interpolating a colour, fit a local linear model
target ~ a * guide + b (a guided filter, He et al. ECCV 2010), and interpolate only the
residual target - (a guide + b) at the sites where the target is known; the residual is
smoother than the colour or the colour difference.  MLRI fits ``a`` on Laplacians,
a = sum(lap_target * lap_guide) / sum(lap_guide^2), so that the residual has the least
Laplacian energy, then b = mean(target) - a mean(guide).

1. Green, along rows (and columns the same way): on each red (blue) row the tentative
   images are the row samples with linear interpolation between them; G at red sites is
   estimated with red as the guide and A (red) at green sites with green as the guide, over
   windows of 3 same-type rows by 9 columns.  The directional colour differences G - A so
   obtained replace Hamilton-Adams' in GBTF's four-direction combination (demosaic_gbtf.py).
2. Red and blue: the full green is the guide; a, b over 5x5 windows of the sparse sites,
   averaged over 5x5 (the guided filter's second step), the residual at the sites
   interpolated bilinearly.

Two departures from the paper, stated: the gain ``a`` is limited to [0, 1], and its fit has a
small ridge term that pulls it to 1 where the guide is flat.  Without them a window where the
guide is flat and the target is not makes ``a`` a ratio of rounding errors or of noise, which
breaks even a linear ramp; the bound 1 is the colour-difference model (the target has no
more detail than the guide), and checked on Kodak-24 it also raises CPSNR (docs/demosaic.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, site_masks, store_planes, tile_count
from .demosaic_gbtf import FULL, gbtf_green

HALO = 26            # green valid from 19 (row differences from 12, GBTF windows 7), red/blue 7 more
# Ridge term of the gain fit: a = (sum lt lg + E) / (sum lg^2 + E), E = (RIDGE * sum guide)^2
# + TINY.  Where the guide has no Laplacian energy (flat, a ramp, float rounding) the gain goes
# to 1, the colour-difference model, instead of a ratio of rounding errors.  E scales with the
# signal, so the fit does not change with exposure: Laplacians below ~3e-5 of the local level
# count as none (float32 rounding is ~1e-7 of it; one 8-bit code value of texture ~1e-2).
RIDGE = np.float32(1e-5)
TINY = np.float32(1e-30)
A_MIN = np.float32(0.0)
A_MAX = np.float32(1.0)
ROW_HALF = 4         # the row windows span 9 columns (and 3 same-type rows)

# Tile planes are np.empty, not np.zeros, as in demosaic_gbtf.py (why, and how it was checked).


@njit(cache=True, error_model="numpy")
def _ri_along_rows(tg, tgd, known):
    """Residual interpolation along rows: the target everywhere, from its samples where
    ``known`` (0/1 float32) is 1.  tg: tentative target (samples, linear between them), tgd:
    tentative guide; both valid on columns [1, size - 1).  Windows: rows i-2, i, i+2 by 9
    columns.  Valid on rows [4, size - 4) and columns [12, size - 12)."""
    lh, lw = tg.shape
    hw = ROW_HALF
    two = np.float32(2.0)
    p1 = np.empty((lh, lw), dtype=np.float32)
    p2 = np.empty((lh, lw), dtype=np.float32)
    p3 = np.empty((lh, lw), dtype=np.float32)
    p4 = np.empty((lh, lw), dtype=np.float32)
    for i in range(lh):
        x, y, kn = tg[i, 1:], tgd[i, 1:], known[i, 3:]
        o1, o2, o3, o4 = p1[i, 3:], p2[i, 3:], p3[i, 3:], p4[i, 3:]
        for j in range(lw - 6):
            lt = two * x[j + 2] - x[j] - x[j + 4]
            lg = two * y[j + 2] - y[j] - y[j + 4]
            o1[j] = kn[j] * lt * lg
            o2[j] = kn[j] * lg * lg
            o3[j] = kn[j] * x[j + 2]
            o4[j] = kn[j] * y[j + 2]
    a = np.empty((lh, lw), dtype=np.float32)
    b = np.empty((lh, lw), dtype=np.float32)
    v1 = np.zeros(lw, dtype=np.float32)
    v2 = np.zeros(lw, dtype=np.float32)
    v3 = np.zeros(lw, dtype=np.float32)
    v4 = np.zeros(lw, dtype=np.float32)
    c0 = 3 + hw                      # first column of a, b
    for i in range(2, lh - 2):
        for j in range(lw - 6):
            v1[j] = p1[i - 2, j + 3] + p1[i, j + 3] + p1[i + 2, j + 3]
            v2[j] = p2[i - 2, j + 3] + p2[i, j + 3] + p2[i + 2, j + 3]
            v3[j] = p3[i - 2, j + 3] + p3[i, j + 3] + p3[i + 2, j + 3]
            v4[j] = p4[i - 2, j + 3] + p4[i, j + 3] + p4[i + 2, j + 3]
        kn, oa, ob = known[i, c0:], a[i, c0:], b[i, c0:]
        for j in range(lw - 2 * c0):
            s1 = np.float32(0.0)
            s2 = np.float32(0.0)
            s3 = np.float32(0.0)
            s4 = np.float32(0.0)
            for k in range(2 * hw + 1):
                s1 += v1[j + k]
                s2 += v2[j + k]
                s3 += v3[j + k]
                s4 += v4[j + k]
            e = (RIDGE * s4) * (RIDGE * s4) + TINY
            aa = min(max((s1 + e) / (s2 + e), A_MIN), A_MAX)
            # samples in the window: 3 rows of 5 (centre column known) or 4
            oa[j] = aa
            ob[j] = (s3 - aa * s4) / (np.float32(3.0) * (np.float32(4.0) + kn[j]))
    out = np.empty((lh, lw), dtype=np.float32)
    res = np.empty((lh, lw), dtype=np.float32)
    inv = np.float32(1.0 / (3 * (2 * hw + 1)))
    c1 = c0 + hw                     # first column of the estimate
    for i in range(4, lh - 4):
        for j in range(lw - 2 * c0):
            v1[j] = a[i - 2, j + c0] + a[i, j + c0] + a[i + 2, j + c0]
            v2[j] = b[i - 2, j + c0] + b[i, j + c0] + b[i + 2, j + c0]
        y, x, kn, oo, orr = tgd[i, c1:], tg[i, c1:], known[i, c1:], out[i, c1:], res[i, c1:]
        for j in range(lw - 2 * c1):
            sa = np.float32(0.0)
            sb = np.float32(0.0)
            for k in range(2 * hw + 1):
                sa += v1[j + k]
                sb += v2[j + k]
            tent = (sa * y[j] + sb) * inv
            oo[j] = tent
            orr[j] = kn[j] * (x[j] - tent)
    half = np.float32(0.5)
    one = np.float32(1.0)
    c2 = c1 + 1
    for i in range(4, lh - 4):
        r, x, kn, oo = res[i, c2 - 1:], tg[i, c2:], known[i, c2:], out[i, c2:]
        for j in range(lw - 2 * c2):
            oo[j] = kn[j] * x[j] + (one - kn[j]) * (oo[j] + (r[j] + r[j + 2]) * half)
    return out


@njit(cache=True, error_model="numpy")
def mlri_row_differences(t):
    """Colour differences G - A along rows (A = the row's red or blue), valid on rows
    [4, size - 4) and columns [12, size - 12)."""
    lh, lw = t.shape
    is_g = site_masks(lw)[2]
    g_t = np.empty((lh, lw), dtype=np.float32)
    a_t = np.empty((lh, lw), dtype=np.float32)
    kg = np.empty((lh, lw), dtype=np.float32)
    ka = np.empty((lh, lw), dtype=np.float32)
    half = np.float32(0.5)
    one = np.float32(1.0)
    for i in range(lh):
        x, green = t[i], is_g[i & 1, 1]          # mask for columns starting at 1
        og, oa, okg, oka = g_t[i, 1:], a_t[i, 1:], kg[i, 1:], ka[i, 1:]
        for j in range(lw - 2):
            between = (x[j] + x[j + 2]) * half
            gsite = green[j]
            og[j] = gsite * x[j + 1] + (one - gsite) * between
            oa[j] = (one - gsite) * x[j + 1] + gsite * between
            okg[j] = gsite
            oka[j] = one - gsite
    return _ri_along_rows(g_t, a_t, kg) - _ri_along_rows(a_t, g_t, ka)


@njit(cache=True, error_model="numpy")
def mlri_channel(t, g, oy, m):
    """Red (oy = 0) or blue (oy = 1) plane by MLRI with the green plane ``g`` as the guide;
    filled on [m, size - m), needs g valid on [m - 7, size - m + 7)."""
    out = np.empty(t.shape, dtype=np.float32)
    mlri_channel_into(t, g, oy, m, out, False)
    return out


@njit(cache=True, error_model="numpy")
def mlri_channel_into(t, g, oy, m, out, mean):
    """MLRI's red (oy = 0) or blue (oy = 1) on [m, size - m) into ``out``: written as is, or
    with ``mean`` averaged with what ``out`` holds there, (out + mlri) * 0.5.

    The guided filter in one pass down the tile (mlri_step): when row i's per-site products
    are made, a and b follow for row i - 2 (their 5x5 window sums need products of rows up
    to i), the 5x5 means of a, b, the estimate and the residual for row i - 4, and the
    result for row i - 5 (its bilinear residual needs rows up to i - 4).  Each intermediate
    keeps only its last RING rows, so the working set (~140 KB for a 550-wide tile) stays in
    L2 where full planes (nine of 0.65 MB) went to L3; the arithmetic of every element is the
    same as when each stage was a pass over a plane, so the result is bit for bit the same."""
    lh, lw = t.shape
    ring, rows, inv_n, sites = mlri_scratch(lw, oy, m)
    for i in range(m - 5, lh - m + 5):
        mlri_step(i, lh, t, FULL, g, FULL, out, FULL, oy, m, mean, ring, rows, inv_n, sites)


# Rows kept of each intermediate of mlri_step: the widest reach back is 6 rows (a, b of rows
# i - 6 .. i - 2 while row i's products are made), so 8, a power of two (slot = row & 7).
RING = 8


@njit(cache=True, error_model="numpy")
def mlri_scratch(lw, oy, m):
    """Rings and row buffers of mlri_step for rows of width lw: ring[0..7] = products p1..p4,
    a, b, estimate, residual (RING rows each); rows[0..7] = box-sum row buffers, rows[8] a
    zero row; inv_n = 1 / (sites in the 5x5 window) by row type; the channel's site masks."""
    ring = np.empty((8, RING, lw), dtype=np.float32)
    rows = np.zeros((9, lw), dtype=np.float32)
    r1 = m - 3
    inv_n = np.empty((2, lw), dtype=np.float32)
    for j in range(lw - 2 * r1):
        nc = 3.0 if ((r1 + j - oy) & 1) == 0 else 2.0
        inv_n[0, j] = 1.0 / (3.0 * nc)
        inv_n[1, j] = 1.0 / (2.0 * nc)
    return ring, rows, inv_n, site_masks(lw)[oy]     # red or blue sites; column parity oy


@njit(cache=True, error_model="numpy")
def mlri_step(i, lh, t, mt, g, mg, out, mo, oy, m, mean, ring, rows, inv_n, sites):
    """One step of mlri_channel_into at row i (for i in [m - 5, lh - m + 5)): products of
    row i, a and b of row i - 2, estimate and residual of row i - 4, the result of row i - 5.
    Rows of t, g and out are at index row & mt, & mg, & mo (FULL for planes, demosaic_gbtf);
    needs t and g rows up to i + 2 and out's row i - 5 (when ``mean``)."""
    lw = t.shape[1]
    p1, p2, p3, p4, a, b, est, res = ring[0], ring[1], ring[2], ring[3], ring[4], ring[5], ring[6], ring[7]
    v1, v2, v3, v4, w1, w2, w3, w4, zero = (rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6],
                                            rows[7], rows[8])
    four = np.float32(4.0)
    inv = np.float32(1.0 / 25.0)
    q = np.float32(0.25)
    h = np.float32(0.5)
    one = np.float32(1.0)
    rm = RING - 1
    r0 = m - 5                       # products on rows and columns [r0, size - r0)
    r1 = m - 3                       # a, b
    r2 = m - 1                       # estimate and residual
    n = lw - 2 * r0
    # per-site products of row i (0 elsewhere, so that plain 5x5 box sums are sums over the
    # sites; site rows only, the others are never read)
    if i < lh - r0 and ((i - oy) & 1) == 0:
        site = sites[i & 1, r0 & 1]
        tr, tu, td = t[i & mt, r0 - 2:], t[(i - 2) & mt, r0:], t[(i + 2) & mt, r0:]
        gr, gu, gd = g[i & mg, r0 - 2:], g[(i - 2) & mg, r0:], g[(i + 2) & mg, r0:]
        s = i & rm
        o1, o2, o3, o4 = p1[s, r0:], p2[s, r0:], p3[s, r0:], p4[s, r0:]
        for j in range(n):
            lt = four * tr[j + 2] - tu[j] - td[j] - tr[j] - tr[j + 4]
            lg = four * gr[j + 2] - gu[j] - gd[j] - gr[j] - gr[j + 4]
            o1[j] = site[j] * lt * lg
            o2[j] = site[j] * lg * lg
            o3[j] = site[j] * tr[j + 2]
            o4[j] = site[j] * gr[j + 2]
    # a, b of row k = i - 2 from the window sums of the site rows among k-2..k+2; sites in
    # the 5x5 window: 3 or 2 rows times 3 or 2 columns
    k = i - 2
    if r1 <= k < lh - r1:
        if ((k - oy) & 1) == 0:
            inv_row = inv_n[0]
            s0, s1, s2 = (k - 2) & rm, k & rm, (k + 2) & rm
            x1, y1, z1 = p1[s0, r0:], p1[s1, r0:], p1[s2, r0:]
            x2, y2, z2 = p2[s0, r0:], p2[s1, r0:], p2[s2, r0:]
            x3, y3, z3 = p3[s0, r0:], p3[s1, r0:], p3[s2, r0:]
            x4, y4, z4 = p4[s0, r0:], p4[s1, r0:], p4[s2, r0:]
        else:
            inv_row = inv_n[1]
            s0, s1 = (k - 1) & rm, (k + 1) & rm
            x1, y1, z1 = p1[s0, r0:], p1[s1, r0:], zero[r0:]
            x2, y2, z2 = p2[s0, r0:], p2[s1, r0:], zero[r0:]
            x3, y3, z3 = p3[s0, r0:], p3[s1, r0:], zero[r0:]
            x4, y4, z4 = p4[s0, r0:], p4[s1, r0:], zero[r0:]
        for j in range(n):
            v1[j] = x1[j] + y1[j] + z1[j]
            v2[j] = x2[j] + y2[j] + z2[j]
            v3[j] = x3[j] + y3[j] + z3[j]
            v4[j] = x4[j] + y4[j] + z4[j]
        for j in range(lw - 2 * r1):
            w1[j] = v1[j] + v1[j + 1] + v1[j + 2] + v1[j + 3] + v1[j + 4]
            w2[j] = v2[j] + v2[j + 1] + v2[j + 2] + v2[j + 3] + v2[j + 4]
            w3[j] = v3[j] + v3[j + 1] + v3[j + 2] + v3[j + 3] + v3[j + 4]
            w4[j] = v4[j] + v4[j + 1] + v4[j + 2] + v4[j + 3] + v4[j + 4]
        s = k & rm
        oa, ob = a[s, r1:], b[s, r1:]
        for j in range(lw - 2 * r1):
            e = (RIDGE * w4[j]) * (RIDGE * w4[j]) + TINY
            aa = min(max((w1[j] + e) / (w2[j] + e), A_MIN), A_MAX)
            oa[j] = aa
            ob[j] = (w3[j] - aa * w4[j]) * inv_row[j]
    # the guided filter's mean of a, b over 5x5 at row k = i - 4; the tentative estimate and
    # the residual at the sites
    k = i - 4
    if r2 <= k < lh - r2:
        a0, a1, a2, a3, a4 = a[(k - 2) & rm, r1:], a[(k - 1) & rm, r1:], a[k & rm, r1:], a[(k + 1) & rm, r1:], a[(k + 2) & rm, r1:]
        b0, b1, b2, b3, b4 = b[(k - 2) & rm, r1:], b[(k - 1) & rm, r1:], b[k & rm, r1:], b[(k + 1) & rm, r1:], b[(k + 2) & rm, r1:]
        for j in range(lw - 2 * r1):
            v1[j] = a0[j] + a1[j] + a2[j] + a3[j] + a4[j]
            v2[j] = b0[j] + b1[j] + b2[j] + b3[j] + b4[j]
        for j in range(lw - 2 * r2):
            w1[j] = v1[j] + v1[j + 1] + v1[j + 2] + v1[j + 3] + v1[j + 4]
            w2[j] = v2[j] + v2[j + 1] + v2[j + 2] + v2[j + 3] + v2[j + 4]
        s = k & rm
        gg, oe = g[k & mg, r2:], est[s, r2:]
        if ((k - oy) & 1) == 0:      # the residual: site rows only (row k - 5 reads no other)
            site = sites[k & 1, r2 & 1]
            tt, orr = t[k & mt, r2:], res[s, r2:]
            for j in range(lw - 2 * r2):
                e = (w1[j] * gg[j] + w2[j]) * inv
                oe[j] = e
                orr[j] = site[j] * (tt[j] - e)
        else:
            for j in range(lw - 2 * r2):
                oe[j] = (w1[j] * gg[j] + w2[j]) * inv
    # row k = i - 5: bilinear interpolation of the sparse residual, [[1,2,1],[2,4,2],[1,2,1]] / 4.
    # The residual is 0 off the sites, so per row type only the nonzero terms are added: on a
    # site row the rows above and below are 0 (and are not computed), between site rows the
    # row itself.  x + 0 is x, so each value is the same float as the nine-term sum gives (an
    # exact zero's sign aside, which no later step tells apart).  Measured on a 2048 x 1058
    # strip of the 24 MP mosaic, both channels, one thread (load ~1.5): this pass 3.9 -> 3.3
    # ms, the estimate's (residual on site rows only) 7.2 -> 6.8 ms.
    k = i - 5
    if m <= k < lh - m:
        ee, tt, o = est[k & rm, m:], t[k & mt, m:], out[k & mo, m:]
        if ((k - oy) & 1) == 0:
            site = sites[k & 1, m & 1]
            c = res[k & rm, m - 1:]
            if mean:
                for j in range(lw - 2 * m):
                    x = site[j] * tt[j] + (one - site[j]) * (ee[j] + (h * (c[j] + c[j + 2]) + c[j + 1]))
                    o[j] = (o[j] + x) * h
            else:
                for j in range(lw - 2 * m):
                    o[j] = site[j] * tt[j] + (one - site[j]) * (ee[j] + (h * (c[j] + c[j + 2]) + c[j + 1]))
        else:                        # no site in the row: the estimate plus the residual above and below
            u, d = res[(k - 1) & rm, m - 1:], res[(k + 1) & rm, m - 1:]
            if mean:
                for j in range(lw - 2 * m):
                    x = ee[j] + (q * (u[j] + u[j + 2] + d[j] + d[j + 2]) + h * (u[j + 1] + d[j + 1]))
                    o[j] = (o[j] + x) * h
            else:
                for j in range(lw - 2 * m):
                    o[j] = ee[j] + (q * (u[j] + u[j + 2] + d[j] + d[j + 2]) + h * (u[j + 1] + d[j + 1]))


@njit(cache=True, error_model="numpy")
def mlri_tile(t, halo):
    dh = mlri_row_differences(t)
    dv = np.ascontiguousarray(mlri_row_differences(np.ascontiguousarray(t.T)).T)
    g, _ = gbtf_green(t, dh, dv, halo - 7, 2)
    return mlri_channel(t, g, 0, halo), g, mlri_channel(t, g, 1, halo)


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_mlri_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = mlri_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO)
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
