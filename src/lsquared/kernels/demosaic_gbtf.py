"""GBTF demosaic kernel: Hamilton-Adams colour differences, combined from four directions by
weights from colour-difference gradients, then red/blue from the colour differences.

I. Pekkucuksen and Y. Altunbasak, "Gradient based threshold free color filter array
interpolation", Proc. IEEE ICIP 2010, pp. 137-140.  Per tile (RGGB, demosaic_common.py):

1. Directional colour differences at every site (G - R on red rows, G - B on blue rows) from
   the Hamilton-Adams estimate  (-x[-2] + 2 x[-1] + 2 x[0] + 2 x[1] - x[2]) / 4  of the
   missing colour along the row (dh) and along the column (dv).
2. Gradients D_h = |dh[j+1] - dh[j-1]|, D_v likewise, summed over a window on each side:
   W gets columns j-4..j, E gets j..j+4, each over rows i-lat..i+lat (lat = 2: the paper's
   5x5 windows); N and S likewise.  Weight = 1 / sum ** power (the paper: power 2).
3. At red and blue sites, the colour difference is the weighted mean of the four one-sided
   estimates f . dh[i, j-4..j] ... with f = (0.26, 0.24, 0.21, 0.17, 0.12) from the centre
   outwards (the decaying filter of Kiku et al.'s public GBTF code; the paper's is similar);
   green = sample + colour difference.
4. Red at blue sites (and blue at red) from the colour differences of the diagonal
   neighbours through the paper's 7x7 filter P_rb (10/32 on the four (+-1, +-1), -1/32 on
   the eight (+-1, +-3), (+-3, +-1)); red and blue at green sites: mean of the 4 neighbours'
   colour differences.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .demosaic_common import load_tile, store_tile, tile_count

HALO = 14
EPS = np.float32(1e-10)
F0, F1, F2, F3, F4 = (np.float32(v / 1.0) for v in (0.26, 0.24, 0.21, 0.17, 0.12))


@njit(cache=True)
def hamilton_adams_differences(t, m):
    """Directional colour differences (green minus the site's or the row's other colour).

    dh[i, j] on a red row is G - R: at a red site the Hamilton-Adams green along the row
    minus the sample; at a green site the sample minus the Hamilton-Adams red.  Blue rows
    give G - B; dv is the same along columns.  Filled on [m, size - m), m >= 2.
    """
    lh, lw = t.shape
    dh = np.zeros((lh, lw), dtype=np.float32)
    dv = np.zeros((lh, lw), dtype=np.float32)
    q = np.float32(0.25)
    for i in range(m, lh - m):
        for j in range(m, lw - m):
            c = t[i, j]
            eh = (np.float32(2.0) * (t[i, j - 1] + c + t[i, j + 1]) - t[i, j - 2] - t[i, j + 2]) * q
            ev = (np.float32(2.0) * (t[i - 1, j] + c + t[i + 1, j]) - t[i - 2, j] - t[i + 2, j]) * q
            if (i + j) & 1:   # green site
                dh[i, j] = c - eh
                dv[i, j] = c - ev
            else:
                dh[i, j] = eh - c
                dv[i, j] = ev - c
    return dh, dv


@njit(cache=True)
def directional_weights(dh, dv, m, lat, power):
    """Lateral window sums of the colour-difference gradients (step 2), filled on
    [m, size - m); the one-sided sums along the direction are taken by the caller."""
    lh, lw = dh.shape
    gh = np.zeros((lh, lw), dtype=np.float32)
    gv = np.zeros((lh, lw), dtype=np.float32)
    for i in range(m - lat, lh - m + lat):
        for j in range(m - lat, lw - m + lat):
            gh[i, j] = abs(dh[i, j + 1] - dh[i, j - 1])
            gv[i, j] = abs(dv[i + 1, j] - dv[i - 1, j])
    sh = np.zeros((lh, lw), dtype=np.float32)
    sv = np.zeros((lh, lw), dtype=np.float32)
    for i in range(m, lh - m):
        for j in range(m, lw - m):
            a = np.float32(0.0)
            b = np.float32(0.0)
            for k in range(-lat, lat + 1):
                a += gh[i + k, j]
                b += gv[i, j + k]
            sh[i, j] = a
            sv[i, j] = b
    return sh, sv


@njit(cache=True, inline="always")
def _weight(s, power):
    if power == 3:
        return np.float32(1.0) / (s * s * s + EPS)
    return np.float32(1.0) / (s * s + EPS)


@njit(cache=True)
def gbtf_green(t, m, lat, power):
    """Green plane and colour-difference plane (green minus the site's colour at red and
    blue sites, 0 at green sites), filled on [m, size - m).  Needs m >= lat + 8."""
    lh, lw = t.shape
    dh, dv = hamilton_adams_differences(t, 2)
    sh, sv = directional_weights(dh, dv, m - 4, lat, power)
    g = np.zeros((lh, lw), dtype=np.float32)
    cd = np.zeros((lh, lw), dtype=np.float32)
    for i in range(m, lh - m):
        j0 = m + ((i + m + 1) & 1)   # first green column of this row
        for j in range(j0, lw - m, 2):
            g[i, j] = t[i, j]
        for j in range(m + ((i + m) & 1), lw - m, 2):   # red or blue site
            sw = sh[i, j] + sh[i, j - 1] + sh[i, j - 2] + sh[i, j - 3] + sh[i, j - 4]
            se = sh[i, j] + sh[i, j + 1] + sh[i, j + 2] + sh[i, j + 3] + sh[i, j + 4]
            sn = sv[i, j] + sv[i - 1, j] + sv[i - 2, j] + sv[i - 3, j] + sv[i - 4, j]
            ss = sv[i, j] + sv[i + 1, j] + sv[i + 2, j] + sv[i + 3, j] + sv[i + 4, j]
            ww = _weight(sw, power)
            we = _weight(se, power)
            wn = _weight(sn, power)
            ws = _weight(ss, power)
            ew = F0 * dh[i, j] + F1 * dh[i, j - 1] + F2 * dh[i, j - 2] + F3 * dh[i, j - 3] + F4 * dh[i, j - 4]
            ee = F0 * dh[i, j] + F1 * dh[i, j + 1] + F2 * dh[i, j + 2] + F3 * dh[i, j + 3] + F4 * dh[i, j + 4]
            en = F0 * dv[i, j] + F1 * dv[i - 1, j] + F2 * dv[i - 2, j] + F3 * dv[i - 3, j] + F4 * dv[i - 4, j]
            es = F0 * dv[i, j] + F1 * dv[i + 1, j] + F2 * dv[i + 2, j] + F3 * dv[i + 3, j] + F4 * dv[i + 4, j]
            d = (ww * ew + we * ee + wn * en + ws * es) / (ww + we + wn + ws)
            cd[i, j] = d
            g[i, j] = t[i, j] + d
    return g, cd


@njit(cache=True)
def rb_from_colour_differences(t, g, cd, m, halo):
    """Red and blue from the colour differences cd (valid on [m, size - m) at red/blue
    sites): P_rb across the diagonal, then the 4-neighbour mean at green sites.
    Returns the (size - 2 halo) RGB region; needs halo >= m + 4."""
    lh, lw = t.shape
    # dr = G - R and db = G - B at red and blue sites
    dr = np.zeros((lh, lw), dtype=np.float32)
    db = np.zeros((lh, lw), dtype=np.float32)
    w1 = np.float32(10.0 / 32.0)
    w3 = np.float32(1.0 / 32.0)
    for i in range(m + 3, lh - m - 3):
        for j in range(m + 3 + ((i + m + 3) & 1), lw - m - 3, 2):
            x = (w1 * (cd[i - 1, j - 1] + cd[i - 1, j + 1] + cd[i + 1, j - 1] + cd[i + 1, j + 1])
                 - w3 * (cd[i - 1, j - 3] + cd[i - 1, j + 3] + cd[i + 1, j - 3] + cd[i + 1, j + 3]
                         + cd[i - 3, j - 1] + cd[i - 3, j + 1] + cd[i + 3, j - 1] + cd[i + 3, j + 1]))
            if i & 1:   # blue site: cd is G - B, x is G - R from the red diagonal neighbours
                dr[i, j] = x
                db[i, j] = cd[i, j]
            else:
                dr[i, j] = cd[i, j]
                db[i, j] = x
    rgb = np.empty((lh - 2 * halo, lw - 2 * halo, 3), dtype=np.float32)
    q = np.float32(0.25)
    for i in range(halo, lh - halo):
        o = i - halo
        for j in range(halo, lw - halo):
            p = j - halo
            gg = g[i, j]
            if (i + j) & 1:
                r = gg - (dr[i - 1, j] + dr[i + 1, j] + dr[i, j - 1] + dr[i, j + 1]) * q
                b = gg - (db[i - 1, j] + db[i + 1, j] + db[i, j - 1] + db[i, j + 1]) * q
            else:
                r = gg - dr[i, j]
                b = gg - db[i, j]
                if i & 1:
                    b = t[i, j]
                else:
                    r = t[i, j]
            rgb[o, p, 0] = r
            rgb[o, p, 1] = gg
            rgb[o, p, 2] = b
    return rgb


@njit(cache=True)
def gbtf_tile(t, halo):
    g, cd = gbtf_green(t, halo - 4, 2, 2)
    return rb_from_colour_differences(t, g, cd, halo - 4, halo)


@njit(parallel=True, cache=True)
def demosaic_gbtf_kernel(mosaic, ry, rx, out):
    """(H, W) float32 mosaic whose red site is at (ry, rx) -> ``out`` (H, W, 3) float32."""
    nty, ntx = tile_count(mosaic.shape[0], mosaic.shape[1])
    for k in prange(nty * ntx):
        ty, tx = k // ntx, k % ntx
        store_tile(out, gbtf_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO), ty, tx, ry, rx)
