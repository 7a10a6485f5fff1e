"""Weighted MLRI demosaic kernel: minimized-Laplacian residual interpolation as published.

D. Kiku, Y. Monno, M. Tanaka and M. Okutomi, "Minimized-Laplacian residual interpolation for
color image demosaicking", Proc. SPIE 9023, 2014, and "Beyond color difference: residual
interpolation for color image demosaicking", IEEE TIP 25(3) 1288-1300, 2016 (the weighted
averaging of the guided filter's coefficients).  The steps follow the authors' algorithm as
the IPOL survey of residual interpolation describes it (its Algorithms 5, 6 and 11, "WMLRI");
written here from that description.

lsquared's ``mlri`` (demosaic_mlri.py) is a different method under the old name: its gain is
limited to [0, 1] and pulled to 1 (the colour-difference model) where the guide is flat, its
windows are smaller and its green is combined as in GBTF.  That makes it a colour-difference
/ residual-interpolation hybrid, better on Kodak and ~1 dB worse on the McMaster set than the
published MLRI, which this kernel is (docs/demosaic.md).

Guided filter of the RI family on sparse samples (Algorithm 11): over (2v+1) x (2h+1) windows
of the sites M of the target p, the gain from Laplacians of the masked guide and of the
target through the origin, a = mean(lap I * lap p) / max(mean(lap I^2), th), b = mean(p) -
a mean(I); then a and b averaged over the window with weights 1 / (mean squared residual of
each window's fit); output mean_a * I + mean_b.  A flat guide gives a -> 0: the target's local
mean, no correlation with the guide assumed (where ``mlri`` assumes the colour difference).

1. Green (Algorithm 5): along rows (columns alike), tentative images by linear interpolation
   of each colour between its row samples; the guided filter (7 x 7 windows of the sites,
   row Laplacian [-1, 0, 2, 0, -1]) estimates green at red/blue sites and red/blue at green
   sites; the residuals at the sites interpolated along the row; the row colour differences
   G - A.  The two directions' differences are combined as in GBTF with four one-sided
   directions: weights 1 / W^2, W a 5 x 5 Gaussian (sigma 2) sum of the difference's
   central gradient one pixel to that side; one-sided 5-tap Gaussian (sigma 1) filters of
   the differences.
2. Red and blue (Algorithm 6): the full green is the guide, 11 x 11 windows of the sites, the
   cross Laplacian of spacing 2; the residual at the sites interpolated bilinearly.

Departures from the paper, stated: nothing is clipped (the paper clips every estimate to
[0, 255]: the pipeline here clips once, at the output, and values above 1 are legitimate);
the two absolute floors of the paper (th = 1e-5 of full scale squared on the guide's
Laplacian energy, 1e-3 of an 8-bit code value squared on a window's residual) are made
relative to the window's signal level (|mean guide| + |mean target|, which is ~1 for a
mid-grey 8-bit window, so they match the paper there): a scaled mosaic gives the scaled
result, as for every method here.  All planes are float64 per tile; a reference method,
not a fast one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, store_planes, tile_count

# Reach: green 16 (row interpolation 1, Laplacian 2, two 7x7 window passes 3 + 3, residual 1;
# gradient 1, 5x5 sums 2 shifted 1, one-sided filters 4), red/blue 13 more (Laplacian 2,
# two 11x11 passes 5 + 5, residual 1); even, as load_tile needs.
HALO = 30
GREEN_H = 3                  # green windows 7 x 7 (h = v = 3)
RB_H = 5                     # red/blue windows 11 x 11 (h = v = 5)
# The paper's floors on the 8-bit scale, relative to the window's level |mean I| + |mean p|
# (~1 for mid-grey in [0, 1] units, where they equal the paper's 1e-5 * 255^2 and 1e-3 in
# 8-bit units): th = (TH_REL level)^2, residual floor (RES_REL level)^2.
TH_REL = np.sqrt(1e-5)
RES_REL = np.sqrt(1e-3) / 255.0
TINY = 1e-300

# Laplacian kinds: along rows [-1, 0, 2, 0, -1], along columns, and the 2-D cross of spacing 2
LAP_ROW, LAP_COL, LAP_CROSS = 0, 1, 2


@njit(cache=True, inline="always")
def _c(k, n):
    """Index clamped to [0, n): values this reaches at a tile's edge are in its halo."""
    return min(max(k, 0), n - 1)


@njit(cache=True, error_model="numpy")
def separable(x, kh, kv):
    """Correlation with kh along rows, then kv along columns (odd lengths, centred; clamped
    at the tile's edge)."""
    lh, lw = x.shape
    h, v = kh.shape[0] // 2, kv.shape[0] // 2
    tmp = np.empty((lh, lw))
    out = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            s = 0.0
            for k in range(-h, h + 1):
                s += kh[k + h] * x[i, _c(j + k, lw)]
            tmp[i, j] = s
    for i in range(lh):
        for j in range(lw):
            s = 0.0
            for k in range(-v, v + 1):
                s += kv[k + v] * tmp[_c(i + k, lh), j]
            out[i, j] = s
    return out


@njit(cache=True, error_model="numpy")
def box(x, h, v):
    """Sums over (2v + 1) x (2h + 1) windows."""
    return separable(x, np.ones(2 * h + 1), np.ones(2 * v + 1))


@njit(cache=True, error_model="numpy")
def laplacian(x, kind):
    lh, lw = x.shape
    out = np.empty((lh, lw))
    for i in range(lh):
        u, d = _c(i - 2, lh), _c(i + 2, lh)
        for j in range(lw):
            le, ri = _c(j - 2, lw), _c(j + 2, lw)
            if kind == LAP_ROW:
                out[i, j] = 2.0 * x[i, j] - x[i, le] - x[i, ri]
            elif kind == LAP_COL:
                out[i, j] = 2.0 * x[i, j] - x[u, j] - x[d, j]
            else:
                out[i, j] = 4.0 * x[i, j] - x[i, le] - x[i, ri] - x[u, j] - x[d, j]
    return out


@njit(cache=True, error_model="numpy")
def guided_mlri(guide, target, m, h, v, kind):
    """The weighted minimized-Laplacian guided filter (module docstring) of ``target`` known
    where m == 1, guided by ``guide``; windows (2v + 1) x (2h + 1)."""
    lh, lw = guide.shape
    im = guide * m
    pm = target * m
    li = laplacian(im, kind)
    lp = laplacian(pm, kind)
    n = box(m, h, v)
    s_i = box(im, h, v)
    s_p = box(pm, h, v)
    s_ii = box(im * guide, h, v)
    s_pp = box(pm * target, h, v)
    s_ip = box(im * target, h, v)
    s_lip = box(li * lp * m, h, v)
    s_lii = box(li * li * m, h, v)
    a = np.empty((lh, lw))
    b = np.empty((lh, lw))
    w = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            nn = max(n[i, j], 1.0)
            mi = s_i[i, j] / nn
            mp = s_p[i, j] / nn
            level = abs(mi) + abs(mp)
            th = (TH_REL * level) ** 2 + TINY
            aa = (s_lip[i, j] / nn) / max(s_lii[i, j] / nn, th)
            bb = mp - aa * mi
            # mean squared residual of the window's fit, sum (a I + b - p)^2 / n, expanded
            res = (aa * aa * s_ii[i, j] + bb * bb * nn + s_pp[i, j] + 2.0 * aa * bb * s_i[i, j]
                   - 2.0 * bb * s_p[i, j] - 2.0 * aa * s_ip[i, j]) / nn
            a[i, j] = aa
            b[i, j] = bb
            w[i, j] = 1.0 / max(res, (RES_REL * level) ** 2 + TINY)
    sw = box(w, h, v)
    swa = box(w * a, h, v)
    swb = box(w * b, h, v)
    out = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            out[i, j] = (swa[i, j] * guide[i, j] + swb[i, j]) / sw[i, j]
    return out


@njit(cache=True, error_model="numpy")
def directional_differences(t, rows):
    """Colour differences G - A along rows (rows=True) or columns: Algorithm 5 of one direction."""
    lh, lw = t.shape
    kind = LAP_ROW if rows else LAP_COL
    mg = np.zeros((lh, lw))          # green sites
    ma = np.zeros((lh, lw))          # red or blue sites
    gt = np.empty((lh, lw))          # tentative green
    at = np.empty((lh, lw))          # tentative red/blue (the row's or the column's colour)
    for i in range(lh):
        for j in range(lw):
            green = ((i + j) & 1) == 1
            if rows:
                between = 0.5 * (t[i, _c(j - 1, lw)] + t[i, _c(j + 1, lw)])
            else:
                between = 0.5 * (t[_c(i - 1, lh), j] + t[_c(i + 1, lh), j])
            if green:
                mg[i, j] = 1.0
                gt[i, j] = t[i, j]
                at[i, j] = between
            else:
                ma[i, j] = 1.0
                gt[i, j] = between
                at[i, j] = t[i, j]
    # red lines and blue lines are fitted apart (their A differ): the masks per line type
    lr = np.zeros((lh, lw))
    for i in range(lh):
        for j in range(lw):
            lr[i, j] = 1.0 if (((i if rows else j) & 1) == 0) else 0.0
    lb = 1.0 - lr
    h = GREEN_H
    g_est = (lr * guided_mlri(at, gt, mg * lr, h, h, kind)       # green where A is known
             + lb * guided_mlri(at, gt, mg * lb, h, h, kind))
    a_est = (lr * guided_mlri(gt, at, ma * lr, h, h, kind)       # A where green is known
             + lb * guided_mlri(gt, at, ma * lb, h, h, kind))
    rg = mg * (t - g_est)
    ra = ma * (t - a_est)
    dif = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            if rows:
                p, q = (i, _c(j - 1, lw)), (i, _c(j + 1, lw))
            else:
                p, q = (_c(i - 1, lh), j), (_c(i + 1, lh), j)
            if mg[i, j] > 0.0:     # green known, A from the estimate plus its neighbours' residual
                dif[i, j] = t[i, j] - (a_est[i, j] + 0.5 * (ra[p] + ra[q]))
            else:
                dif[i, j] = g_est[i, j] + 0.5 * (rg[p] + rg[q]) - t[i, j]
    return dif


@njit(cache=True, error_model="numpy")
def wmlri_green(t):
    lh, lw = t.shape
    dh = directional_differences(t, True)
    dv = directional_differences(t, False)
    gh = np.empty((lh, lw))
    gv = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            gh[i, j] = abs(dh[i, _c(j + 1, lw)] - dh[i, _c(j - 1, lw)])
            gv[i, j] = abs(dv[_c(i + 1, lh), j] - dv[_c(i - 1, lh), j])
    # 5 x 5 Gaussian (sigma 2) of the gradients, and the one-sided 5-tap Gaussians (sigma 1)
    g5 = np.exp(-np.arange(-2, 3) ** 2 / 8.0)
    g5 /= g5.sum()
    half = np.exp(-np.arange(0, 5) ** 2 / 2.0)
    half /= half.sum()
    sh = separable(gh, g5, g5)
    sv = separable(gv, g5, g5)
    g = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            if ((i + j) & 1) == 1:
                g[i, j] = t[i, j]
                continue
            we = sh[i, _c(j + 1, lw)] ** 2
            ww = sh[i, _c(j - 1, lw)] ** 2
            ws = sv[_c(i + 1, lh), j] ** 2
            wn = sv[_c(i - 1, lh), j] ** 2
            # weights 1 / W^2, as ratios to the largest (no overflow when a W is 0)
            lo = min(min(we, ww), min(ws, wn)) + TINY
            we, ww, ws, wn = lo / (we + TINY), lo / (ww + TINY), lo / (ws + TINY), lo / (wn + TINY)
            de = 0.0
            dw = 0.0
            ds = 0.0
            dn = 0.0
            for k in range(5):
                de += half[k] * dh[i, _c(j + k, lw)]
                dw += half[k] * dh[i, _c(j - k, lw)]
                ds += half[k] * dv[_c(i + k, lh), j]
                dn += half[k] * dv[_c(i - k, lh), j]
            g[i, j] = t[i, j] + (we * de + ww * dw + ws * ds + wn * dn) / (we + ww + ws + wn)
    return g


@njit(cache=True, error_model="numpy")
def wmlri_channel(t, g, oy):
    """Red (oy = 0) or blue (oy = 1) guided by the green plane g (Algorithm 6)."""
    lh, lw = t.shape
    m = np.zeros((lh, lw))
    for i in range(oy, lh, 2):
        for j in range(oy, lw, 2):
            m[i, j] = 1.0
    tent = guided_mlri(g, t, m, RB_H, RB_H, LAP_CROSS)
    res = m * (t - tent)
    out = np.empty((lh, lw))
    for i in range(lh):
        u, d = _c(i - 1, lh), _c(i + 1, lh)
        for j in range(lw):
            if m[i, j] > 0.0:
                out[i, j] = t[i, j]
                continue
            le, ri = _c(j - 1, lw), _c(j + 1, lw)
            out[i, j] = tent[i, j] + (0.25 * (res[u, le] + res[u, ri] + res[d, le] + res[d, ri])
                                      + 0.5 * (res[u, j] + res[d, j] + res[i, le] + res[i, ri]))
    return out


@njit(cache=True, error_model="numpy")
def wmlri_tile(t):
    t64 = t.astype(np.float64)
    g = wmlri_green(t64)
    r = wmlri_channel(t64, g, 0)
    b = wmlri_channel(t64, g, 1)
    return r.astype(np.float32), g.astype(np.float32), b.astype(np.float32)


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_wmlri_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = wmlri_tile(load_tile(mosaic, ty, tx, HALO, ry, rx))
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
