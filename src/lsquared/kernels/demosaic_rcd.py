"""RCD demosaic kernel: Ratio Corrected Demosaicing.

L. Sanz Rodríguez, "Ratio Corrected Demosaicing", v2.3 (2017), described in the author's
public RCD-Demosaicing repository and in RawTherapee's and darktable's documentation (RCD is
the default demosaic of both).  Written here from that description, per tile in the RGGB phase
(demosaic_common.py); t is the tile's CFA:

1. Vertical/horizontal discrimination at every site.  A 7-tap high-pass of the CFA along the
   column, hp = (x[-3] - x[-1] - x[+1] + x[+3]) - 3 (x[-2] + x[+2]) + 6 x[0] (zero on any flat
   colour field and on linear ramps), squared: V = the sum of the column high-pass squared
   over rows i-1..i+1, H = the sum of the row high-pass squared over columns j-1..j+1;
   VH = V / (V + H): near 1 where the column varies (interpolate along the row), near 0
   where the row varies.
2. A low-pass of the CFA at red and blue sites: lpf = x + (N + S + W + E) / 2 + (four
   diagonals) / 4 (a local luminance, 4x the mean; the scale cancels in the ratios below).
3. Green at red and blue sites: each cardinal neighbour (a green sample) is corrected by the
   ratio of the low-pass here to the low-pass two sites away in that direction,
   N_est = G_N * (1 + (lpf_0 - lpf_N2) / (lpf_0 + lpf_N2)), i.e. G_N * lpf_0 / mean(lpf_0,
   lpf_N2) ("ratio corrected").  N and S are blended with weights the inverse of directional
   gradients (|x[-1] - x[+1]| + |x[0] - x[-2]| + |x[-1] - x[-3]| + |x[-2] - x[-4]| for N),
   W and E likewise; then vertical and horizontal by VH, taking VH from the site or from the
   mean of its four diagonal neighbours, whichever is further from 0.5 (the more decided).
4. Red at blue sites and blue at red sites: a diagonal discrimination PQ built like step 1
   along the two diagonals (P: NW-SE, Q: NE-SW) and refined like VH; colour differences
   (C - G) of the four diagonal neighbours blended per diagonal with inverse-gradient weights,
   then the two diagonals by PQ; the missing colour = G + that difference.
5. Red and blue at green sites: colour differences of the four cardinal neighbours (now all
   known), inverse-gradient weights per direction, vertical and horizontal blended by VH.

Differences from the reference, all on purpose: the epsilons are far smaller (1e-12 against
the reference's 1e-5) so that there is no absolute threshold (a mosaic scaled by 1e-4 gives
the same result scaled, as for the other methods); the ratio correction divides by
eps + |lpf_0| + |lpf_N2| so that it stays in [0, 2] even for negative (black-subtracted
noise) samples; nothing is clipped; the border is the mirrored tile halo, not a bilinear frame.

Reach: green needs the CFA within 5 pixels, step 4 within 7, step 5 within 10: HALO = 10.
Loop style as in demosaic_gbtf.py: row views from the window's left edge, dense work over
the row with 0/1 site masks instead of branches, so that numba vectorizes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, site_masks, store_planes, tile_count

HALO = 10
EPS = np.float32(1e-12)       # added to every gradient and low-pass sum (1.0 = saturation)
EPSSQ = np.float32(1e-24)     # floor of the squared high-pass sums
FM = {"nnan", "ninf", "nsz"}


@njit(cache=True, error_model="numpy", fastmath=FM)
def direction_maps(t):
    """Step 1 (VH, valid on [4, size - 4)) and step 4's PQ (valid on [4, size - 4)), 0.5
    outside.  Both in [0, 1]; near 1 means: interpolate across (H resp. along Q)."""
    lh, lw = t.shape
    three, six = np.float32(3.0), np.float32(6.0)
    vh = np.full((lh, lw), np.float32(0.5))
    pq = np.full((lh, lw), np.float32(0.5))
    # squared high-passes: vertical and the two diagonals as planes (rows [3, lh - 3),
    # columns [3, lw - 3)), horizontal per row
    hv = np.zeros((lh, lw), dtype=np.float32)
    hp = np.zeros((lh, lw), dtype=np.float32)
    hq = np.zeros((lh, lw), dtype=np.float32)
    hh = np.zeros(lw, dtype=np.float32)
    n = lw - 6
    for i in range(3, lh - 3):
        u3, u2, u1 = t[i - 3], t[i - 2], t[i - 1]
        c = t[i]
        d1, d2, d3 = t[i + 1], t[i + 2], t[i + 3]
        ov, op, oq = hv[i, 3:], hp[i, 3:], hq[i, 3:]
        for j in range(n):
            k = j + 3        # the column
            x = (u3[k] - u1[k] - d1[k] + d3[k]) - three * (u2[k] + d2[k]) + six * c[k]
            ov[j] = x * x
            # P: NW-SE diagonal, (i - s, k - s)
            x = (u3[j] - u1[j + 2] - d1[j + 4] + d3[j + 6]) - three * (u2[j + 1] + d2[j + 5]) + six * c[k]
            op[j] = x * x
            # Q: NE-SW diagonal, (i - s, k + s)
            x = (u3[j + 6] - u1[j + 4] - d1[j + 2] + d3[j]) - three * (u2[j + 5] + d2[j + 1]) + six * c[k]
            oq[j] = x * x
    m = lw - 8
    for i in range(4, lh - 4):
        row = t[i]
        for j in range(n):
            x = (row[j] - row[j + 2] - row[j + 4] + row[j + 6]) - three * (row[j + 1] + row[j + 5]) + six * row[j + 3]
            hh[j + 3] = x * x
        a, b, c = hv[i - 1, 4:], hv[i, 4:], hv[i + 1, 4:]
        pu, pc, pd = hp[i - 1, 3:], hp[i, 3:], hp[i + 1, 3:]
        qu, qc, qd = hq[i - 1, 3:], hq[i, 3:], hq[i + 1, 3:]
        h = hh[3:]
        o, opq = vh[i, 4:], pq[i, 4:]
        for j in range(m):      # column 4 + j; h[j + 1], pc[j + 1] are that column
            v = max(EPSSQ, a[j] + b[j] + c[j])
            s = max(EPSSQ, h[j] + h[j + 1] + h[j + 2])
            o[j] = v / (v + s)
            p = max(EPSSQ, pu[j] + pc[j + 1] + pd[j + 2])
            q = max(EPSSQ, qu[j + 2] + qc[j + 1] + qd[j])
            opq[j] = p / (p + q)
    return vh, pq


@njit(cache=True, error_model="numpy", fastmath=FM)
def refined(d, i, j0, out):
    """out[j] = d at (i, j0 + j) or the mean of its four diagonal neighbours, whichever is
    further from 0.5 (the more decided of the two)."""
    half, q = np.float32(0.5), np.float32(0.25)
    u, c, dn = d[i - 1, j0 - 1:], d[i, j0:], d[i + 1, j0 - 1:]
    for j in range(out.shape[0]):
        cv = c[j]
        nv = q * (u[j] + u[j + 2] + dn[j] + dn[j + 2])
        out[j] = nv if abs(half - cv) < abs(half - nv) else cv     # a select: vectorizes


@njit(cache=True, error_model="numpy", fastmath=FM)
def rcd_green(t, vh, m):
    """Steps 2-3: the green plane, filled on [m, size - m) (m >= 5)."""
    lh, lw = t.shape
    is_g = site_masks(lw)[2]
    half, q, one = np.float32(0.5), np.float32(0.25), np.float32(1.0)
    lpf = np.zeros((lh, lw), dtype=np.float32)
    for i in range(1, lh - 1):
        u, c, d, o = t[i - 1], t[i], t[i + 1], lpf[i, 1:]
        for j in range(lw - 2):
            o[j] = (c[j + 1] + half * (u[j + 1] + d[j + 1] + c[j] + c[j + 2])
                    + q * (u[j] + u[j + 2] + d[j] + d[j + 2]))
    g = np.zeros((lh, lw), dtype=np.float32)
    n = lw - 2 * m
    disc = np.empty(n, dtype=np.float32)
    for i in range(m, lh - m):
        refined(vh, i, m, disc)
        r = t[i, m - 4:]                      # r[j + 4] is column m + j
        u4, u3, u2, u1 = t[i - 4, m:], t[i - 3, m:], t[i - 2, m:], t[i - 1, m:]
        c = t[i, m:]
        d1, d2, d3, d4 = t[i + 1, m:], t[i + 2, m:], t[i + 3, m:], t[i + 4, m:]
        lr = lpf[i, m - 2:]                   # lr[j + 2] is column m + j
        lu, ld = lpf[i - 2, m:], lpf[i + 2, m:]
        keep = is_g[i & 1, m & 1]
        o = g[i, m:]
        for j in range(n):
            x = c[j]
            l0 = lr[j + 2]
            # directional gradients (the two nearest samples' difference is shared)
            sv = abs(u1[j] - d1[j])
            gn = EPS + sv + abs(x - u2[j]) + abs(u1[j] - u3[j]) + abs(u2[j] - u4[j])
            gs = EPS + sv + abs(x - d2[j]) + abs(d1[j] - d3[j]) + abs(d2[j] - d4[j])
            sh = abs(r[j + 3] - r[j + 5])
            gw = EPS + sh + abs(x - r[j + 2]) + abs(r[j + 3] - r[j + 1]) + abs(r[j + 2] - r[j])
            ge = EPS + sh + abs(x - r[j + 6]) + abs(r[j + 5] - r[j + 7]) + abs(r[j + 6] - r[j + 8])
            # ratio-corrected cardinal estimates
            ln, ls, lw_, le = lu[j], ld[j], lr[j], lr[j + 4]
            en = u1[j] * (one + (l0 - ln) / (EPS + abs(l0) + abs(ln)))
            es = d1[j] * (one + (l0 - ls) / (EPS + abs(l0) + abs(ls)))
            ew = r[j + 3] * (one + (l0 - lw_) / (EPS + abs(l0) + abs(lw_)))
            ee = r[j + 5] * (one + (l0 - le) / (EPS + abs(l0) + abs(le)))
            v = (gs * en + gn * es) / (gn + gs)
            h = (ge * ew + gw * ee) / (gw + ge)
            est = h * disc[j] + v * (one - disc[j])
            k = keep[j]
            o[j] = k * x + (one - k) * est
    return g


@njit(cache=True, error_model="numpy", fastmath=FM)
def rcd_rb_at_rb(t, g, pq, m):
    """Step 4: the other colour (B at red sites, R at blue sites) on [m, size - m) (m >= 7)
    -> planes r, b with the red and blue sites filled (green sites 0)."""
    lh, lw = t.shape
    is_r, is_b, _ = site_masks(lw)
    one = np.float32(1.0)
    r = np.zeros((lh, lw), dtype=np.float32)
    b = np.zeros((lh, lw), dtype=np.float32)
    n = lw - 2 * m
    disc = np.empty(n, dtype=np.float32)
    a = m - 3
    for i in range(m, lh - m):
        refined(pq, i, m, disc)
        u3, u1, d1, d3 = t[i - 3, a:], t[i - 1, a:], t[i + 1, a:], t[i + 3, a:]   # [j + 3] is column m + j
        gu2, gu1, gd1, gd2 = g[i - 2, a:], g[i - 1, a:], g[i + 1, a:], g[i + 2, a:]
        c, g0 = t[i, m:], g[i, m:]
        red, blue = is_r[i & 1, m & 1], is_b[i & 1, m & 1]
        orr, ob = r[i, m:], b[i, m:]
        for j in range(n):
            gc = g0[j]
            nw, ne, sw, se = u1[j + 2], u1[j + 4], d1[j + 2], d1[j + 4]
            sp = abs(nw - se)
            sq = abs(ne - sw)
            gnw = EPS + sp + abs(nw - u3[j]) + abs(gc - gu2[j + 1])
            gse = EPS + sp + abs(se - d3[j + 6]) + abs(gc - gd2[j + 5])
            gne = EPS + sq + abs(ne - u3[j + 6]) + abs(gc - gu2[j + 5])
            gsw = EPS + sq + abs(sw - d3[j]) + abs(gc - gd2[j + 1])
            enw = nw - gu1[j + 2]
            ene = ne - gu1[j + 4]
            esw = sw - gd1[j + 2]
            ese = se - gd1[j + 4]
            p = (gnw * ese + gse * enw) / (gnw + gse)
            q = (gne * esw + gsw * ene) / (gne + gsw)
            x = gc + (one - disc[j]) * p + disc[j] * q
            orr[j] = red[j] * c[j] + blue[j] * x
            ob[j] = blue[j] * c[j] + red[j] * x
    return r, b


@njit(cache=True, error_model="numpy", fastmath=FM)
def rcd_plane_at_g(c, g, disc, keep, out, i, m):
    """Step 5 for one row i of one colour plane c: out = c at red/blue sites, the colour-
    difference estimate at green sites (out is a separate plane: no aliasing, vectorizes)."""
    one = np.float32(1.0)
    a = m - 3
    gr = g[i, a:]                                   # gr[j + 3] is column m + j
    gu2, gu1, gd1, gd2 = g[i - 2, m:], g[i - 1, m:], g[i + 1, m:], g[i + 2, m:]
    cr = c[i, a:]
    cu3, cu1, cd1, cd3 = c[i - 3, m:], c[i - 1, m:], c[i + 1, m:], c[i + 3, m:]
    o = out[i, m:]
    for j in range(o.shape[0] - m):
        g0 = gr[j + 3]
        sv = abs(cu1[j] - cd1[j])
        sh = abs(cr[j + 2] - cr[j + 4])
        # gradients: green two sites away, the two nearest samples, the next pair outwards
        gn = EPS + abs(g0 - gu2[j]) + sv + abs(cu1[j] - cu3[j])
        gs = EPS + abs(g0 - gd2[j]) + sv + abs(cd1[j] - cd3[j])
        gw = EPS + abs(g0 - gr[j + 1]) + sh + abs(cr[j + 2] - cr[j])
        ge = EPS + abs(g0 - gr[j + 5]) + sh + abs(cr[j + 4] - cr[j + 6])
        # colour differences C - G of the four cardinal neighbours
        en = cu1[j] - gu1[j]
        es = cd1[j] - gd1[j]
        ew = cr[j + 2] - gr[j + 2]
        ee = cr[j + 4] - gr[j + 4]
        v = (gn * es + gs * en) / (gn + gs)
        h = (ge * ew + gw * ee) / (gw + ge)
        x = g0 + (one - disc[j]) * v + disc[j] * h
        k = keep[j]
        o[j] = k * x + (one - k) * cr[j + 3]


@njit(cache=True, error_model="numpy", fastmath=FM)
def rcd_rb_at_g(r, b, g, vh, m):
    """Step 5: red and blue at green sites on [m, size - m) (m >= 10) -> new planes."""
    lh, lw = g.shape
    is_g = site_masks(lw)[2]
    ro = np.zeros((lh, lw), dtype=np.float32)
    bo = np.zeros((lh, lw), dtype=np.float32)
    disc = np.empty(lw - 2 * m, dtype=np.float32)
    for i in range(m, lh - m):
        refined(vh, i, m, disc)
        keep = is_g[i & 1, m & 1]
        rcd_plane_at_g(r, g, disc, keep, ro, i, m)
        rcd_plane_at_g(b, g, disc, keep, bo, i, m)
    return ro, bo


@njit(cache=True, error_model="numpy", fastmath=FM)
def rcd_tile(t, halo):
    vh, pq = direction_maps(t)
    g = rcd_green(t, vh, halo - 5)
    r, b = rcd_rb_at_rb(t, g, pq, halo - 3)
    r, b = rcd_rb_at_g(r, b, g, vh, halo)
    return r, g, b


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_rcd_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = rcd_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO)
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
