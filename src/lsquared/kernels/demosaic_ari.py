"""ARI demosaic kernel: adaptive residual interpolation (RI and MLRI, iterated, chosen per pixel).

Y. Monno, D. Kiku, M. Tanaka and M. Okutomi, "Adaptive residual interpolation for color
image demosaicking", Proc. IEEE ICIP 2015, pp. 3861-3865; and "Adaptive residual
interpolation for color and multispectral image demosaicking", Sensors 17(12) 2787, 2017
(Algorithms 7-8 there).  Residual interpolation itself: Kiku et al., ICIP 2013 (RI) and
SPIE 2014 (MLRI, kernels/demosaic_mlri.py).

Green, per direction (rows, then columns by transposing the tile; RGGB transposed is RGGB):

1. Tentative images along the row: green (samples, the mean of the two row neighbours
   between them) and the row's other colour A (red or blue) likewise.
2. Iterate: a guided filter (He et al., ECCV 2010) estimates green from A and A from green
   over windows of same-type rows; the residual (sample - estimate) at the sampled sites is
   interpolated along the row and added back; the results become the next iteration's
   guides and the windows grow by one pixel each way.  Two kinds run side by side: RI (the
   gain from the covariance) and MLRI (the gain from the row Laplacians, at the sites where
   the target is sampled).
3. Per pixel, the iteration whose criterion is smallest is kept (the paper's adaptive
   selection): c = |guide - estimate| summed over green and A, d = |the same signed
   difference's central gradient| summed likewise, both smoothed by a 5x5 Gaussian
   (sigma 2), criterion c^2 d.
4. The four estimates (RI and MLRI, rows and columns) are combined with weights 1 / criterion.

Both guided filters average a and b with weights 1 / (RMS residual of the window's fit), as
the authors' code does; here over the windows of same-type rows only (their code fits on one
row type and averages a and b over all rows, which needs each filter twice: on three
McMaster images the difference was 0.04 dB, for twice the time).

Red and blue: from the full green as guide, the mean of an RI and an MLRI estimate over
5x5 windows of the sparse sites, residual interpolated bilinearly.  Stated departure: the
Sensors 2017 paper interpolates red/blue in two iterated directional steps (diagonal, then
horizontal/vertical) with the same adaptive selection; with the true green as guide on the
shared McMaster images the directional selection did not beat this mean here (36.9 dB
either way in a prototype), so the simpler form is used.

Other departures, stated: the regularisers are relative to the local signal level
(``RIDGE_REL``, ``DIF_REL``) rather than the code's absolute 8-bit constants (eps 1e-10, RMS
floor 1e-3 of a code value), so that a mosaic scaled by any factor gives the scaled result;
and the gain's ridge is far stronger than the code's eps and pulls towards 1, not 0: with a
near-zero eps the fit extrapolates wildly where a window's guide is almost constant
(``RIDGE_REL`` says how it was found).  ``ITERATIONS`` is 6 (the
paper: 11) because the windows grow every iteration and their reach adds up: 6 iterations
reach ~100 pixels, 11 would reach ~230 and need a tile halo larger than the tile.  On a
three-image McMaster prototype, green was 39.63 dB after 6 iterations and 39.61 after 11.
All plane arithmetic is in float64 within a tile (variances as E[x^2] - E[x]^2 need it).
This is a slow reference method; ``auto`` is the fast default.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, store_planes, tile_count

# Green iterations (the paper: 11).  Every iteration widens the windows, and the reach of
# the whole estimate is the sum of the windows' reaches: 6 iterations reach ~100 pixels, 11
# would reach ~230.  The adaptive selection picks among them per pixel.
ITERATIONS = 6
RI_H0, RI_V0 = 2, 1          # first RI window half-sizes along and across the row (paper)
ML_H0, ML_V0 = 4, 0          # first MLRI window half-sizes (paper)
RB_R = 2                     # red/blue windows: 5x5 (paper's first window)
# Reach: per iteration 2 h + 3 (two boxes of half-width h, the Laplacian's 2, the residual's 1);
# MLRI's h runs 4..9: 96; plus the first interpolation, the criterion smoothing, red/blue's 7.
HALO = 108
# Ridge of the gain fit, relative to the window's level, pulling the gain towards 1 (the
# colour-difference model) where the guide has little variance in the window.  Without it
# (a ridge of 1e-5 towards 0, as the authors' near-zero eps), a window whose guide is almost
# constant at its sites (a saturated 1.0 plateau beside a one-pixel dark line on the other
# rows) fits a gain of 30-40 from rounding-level guide variance, and the estimate at the
# line, where the guide is far outside the window's range, overshoots to -26 (kodim10 blue:
# 27.9 dB CPSNR float, kodim05/08 near 25-26).  3e-2 of the level: the guide's variance
# must exceed that of a ~3 % ripple before the fit departs from the colour difference.  On
# kodim05/08 and mcm01/07 the green and the result rose monotonically from 1e-5 to 3e-2;
# 1e-1 gained more on Kodak and lost 0.4 dB on mcm01 (docs/demosaic.md).
RIDGE_REL = 3e-2
DIF_REL = 1e-5               # floor of the fits' RMS residual, relative to the window's level
TINY = 1e-300


@njit(cache=True, error_model="numpy")
def box_sum(x, ry, rx, stride):
    """Sums of x over windows of columns |dx| <= rx and rows i + stride k, |stride k| <= ry
    (stride 2: the rows of the same parity only), truncated at the array's edges.  Running
    sums in float64: the weights summed here (1 / RMS residual, floored at 1e-5 of the
    window's level, 0 for all-zero windows) span a range far inside float64's precision
    unless the levels in one row span many decades."""
    lh, lw = x.shape
    pre = np.zeros(lw + 1)
    tmp = np.empty((lh, lw))
    for i in range(lh):
        acc = 0.0
        row = x[i]
        for j in range(lw):
            acc += row[j]
            pre[j + 1] = acc
        o = tmp[i]
        for j in range(lw):
            o[j] = pre[min(j + rx + 1, lw)] - pre[max(j - rx, 0)]
    cp = np.zeros((lh + stride, lw))
    for i in range(lh):
        a, b, c = cp[i + stride], cp[i], tmp[i]
        for j in range(lw):
            a[j] = b[j] + c[j]
    out = np.empty((lh, lw))
    reach = (ry // stride) * stride
    for i in range(lh):
        p = i % stride
        last = lh - 1 - ((lh - 1 - p) % stride)        # the last row of this parity
        hi = min(i + reach, last)
        lo = max(i - reach, p)
        a, b, o = cp[hi + stride], cp[lo], out[i]
        for j in range(lw):
            o[j] = a[j] - b[j]
    return out


@njit(cache=True, error_model="numpy")
def guided(guide, target, mask, lap_g, lap_t, lap_mask, ry, rx, stride, mlri):
    """Guided filter estimate of ``target`` from ``guide`` over the ``mask`` sites of each window.

    RI (mlri False): a = (cov(guide, target) + eps) / (var(guide) + eps); MLRI:
    a = (sum(lap_g lap_t) + n eps) / (sum(lap_g^2) + n eps) over the ``lap_mask`` sites, with
    eps = (RIDGE_REL level)^2 (a ridge towards a = 1); b = mean(target) - a mean(guide).  a and b are
    then averaged over the window with weights 1 / (RMS residual of the window's fit)."""
    lh, lw = guide.shape
    gm = guide * mask
    tm = target * mask
    n = box_sum(mask, ry, rx, stride)
    s_g = box_sum(gm, ry, rx, stride)
    s_t = box_sum(tm, ry, rx, stride)
    s_gg = box_sum(gm * guide, ry, rx, stride)
    s_gt = box_sum(gm * target, ry, rx, stride)
    s_tt = box_sum(tm * target, ry, rx, stride)
    if mlri:
        num = box_sum(lap_g * lap_t * lap_mask, ry, rx, stride)
        den = box_sum(lap_g * lap_g * lap_mask, ry, rx, stride)
    else:
        num = s_gt
        den = s_gg
    a = np.empty((lh, lw))
    b = np.empty((lh, lw))
    w = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            nn = max(n[i, j], 1.0)
            mg = s_g[i, j] / nn
            mt = s_t[i, j] / nn
            level = abs(mg) + abs(mt)
            eps = (RIDGE_REL * level) ** 2 + TINY
            if mlri:
                aa = (num[i, j] + eps * nn) / (den[i, j] + eps * nn)
            else:
                aa = (num[i, j] / nn - mg * mt + eps) / (max(den[i, j] / nn - mg * mg, 0.0) + eps)
            bb = mt - aa * mg
            # mean squared residual of target - (a guide + b) over the window's sites
            ms = (aa * aa * s_gg[i, j] + bb * bb * n[i, j] + s_tt[i, j] + 2.0 * aa * bb * s_g[i, j]
                  - 2.0 * bb * s_t[i, j] - 2.0 * aa * s_gt[i, j]) / nn
            # 1 / RMS residual, floored relative to the window's level; a window without
            # sites or of zeros only says nothing about the gain and carries no weight
            ww = 1.0 / max(np.sqrt(max(ms, 0.0)), DIF_REL * level) if level > 0.0 else 0.0
            a[i, j] = aa * ww
            b[i, j] = bb * ww
            w[i, j] = ww
    sa = box_sum(a, ry, rx, stride)
    sb = box_sum(b, ry, rx, stride)
    sw = box_sum(w, ry, rx, stride)
    out = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            out[i, j] = (sa[i, j] * guide[i, j] + sb[i, j]) / sw[i, j] if sw[i, j] > 0.0 else 0.0
    return out


@njit(cache=True, error_model="numpy")
def _clamp(j, n):
    """Index j mirrored into [0, n) for |overshoot| < n (tile edges only: the halo absorbs it)."""
    if j < 0:
        return -j
    if j >= n:
        return 2 * n - 2 - j
    return j


@njit(cache=True, error_model="numpy")
def row_laplacian(x):
    """x[j-2] - 2 x[j] + x[j+2] along rows (same-colour neighbours)."""
    lh, lw = x.shape
    out = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            out[i, j] = x[i, _clamp(j - 2, lw)] - 2.0 * x[i, j] + x[i, _clamp(j + 2, lw)]
    return out


@njit(cache=True, error_model="numpy")
def gaussian5(x):
    """5x5 Gaussian, sigma 2, normalised (separable), edges mirrored."""
    lh, lw = x.shape
    k = np.exp(-np.arange(-2, 3) ** 2 / 8.0)
    k /= k.sum()
    tmp = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            s = 0.0
            for d in range(5):
                s += k[d] * x[i, _clamp(j + d - 2, lw)]
            tmp[i, j] = s
    out = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            s = 0.0
            for d in range(5):
                s += k[d] * tmp[_clamp(i + d - 2, lh), j]
            out[i, j] = s
    return out


@njit(cache=True, error_model="numpy")
def directional_green(t, mlri):
    """Green along rows by iterated RI (mlri False) or MLRI, the iteration chosen per pixel.
    Returns the estimate (green at every site) and its criterion."""
    lh, lw = t.shape
    gmask = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            gmask[i, j] = float((i + j) & 1)
    amask = 1.0 - gmask
    ones = np.ones((lh, lw))
    g_t = np.empty((lh, lw))
    a_t = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            between = 0.5 * (t[i, _clamp(j - 1, lw)] + t[i, _clamp(j + 1, lw)])
            g_t[i, j] = gmask[i, j] * t[i, j] + amask[i, j] * between
            a_t[i, j] = amask[i, j] * t[i, j] + gmask[i, j] * between
    est = g_t.copy()
    best = np.full((lh, lw), np.inf)
    if mlri:
        h, v = ML_H0, ML_V0
    else:
        h, v = RI_H0, RI_V0
    new_g = np.empty((lh, lw))
    new_a = np.empty((lh, lw))
    c = np.empty((lh, lw))
    d = np.empty((lh, lw))
    for _ in range(ITERATIONS):
        if mlri:
            lg = row_laplacian(g_t)
            la = row_laplacian(a_t)
        else:
            lg = g_t
            la = a_t
        # windows of same-type rows (red rows, blue rows), as the paper's row masks
        tg = guided(a_t, g_t, ones, la, lg, gmask, v, h, 2, mlri)
        ta = guided(g_t, a_t, ones, lg, la, amask, v, h, 2, mlri)
        rg = gmask * (t - tg)
        ra = amask * (t - ta)
        cg = g_t - tg
        ca = a_t - ta
        for i in range(lh):
            for j in range(lw):
                jl = _clamp(j - 1, lw)
                jr = _clamp(j + 1, lw)
                new_g[i, j] = gmask[i, j] * t[i, j] + amask[i, j] * (tg[i, j] + 0.5 * (rg[i, jl] + rg[i, jr]))
                new_a[i, j] = amask[i, j] * t[i, j] + gmask[i, j] * (ta[i, j] + 0.5 * (ra[i, jl] + ra[i, jr]))
                c[i, j] = abs(cg[i, j]) + abs(ca[i, j])
                d[i, j] = abs(cg[i, jr] - cg[i, jl]) + abs(ca[i, jr] - ca[i, jl])
        cs = gaussian5(c)
        ds = gaussian5(d)
        for i in range(lh):
            for j in range(lw):
                crit = cs[i, j] * cs[i, j] * ds[i, j]
                if crit < best[i, j]:
                    best[i, j] = crit
                    est[i, j] = new_g[i, j]
        g_t, new_g = new_g, g_t
        a_t, new_a = new_a, a_t
        h += 1
        v += 1
    return est, best


@njit(cache=True, error_model="numpy")
def ari_green(t):
    """Green at every site: the four directional estimates weighted by 1 / criterion."""
    lh, lw = t.shape
    tt = np.ascontiguousarray(t.T)
    num = np.zeros((lh, lw))
    den = np.zeros((lh, lw))
    for mlri in (False, True):
        e, c = directional_green(t, mlri)
        for i in range(lh):
            for j in range(lw):
                w = 1.0 / (c[i, j] + TINY)
                num[i, j] += w * e[i, j]
                den[i, j] += w
        e, c = directional_green(tt, mlri)
        for i in range(lh):
            for j in range(lw):
                w = 1.0 / (c[j, i] + TINY)
                num[i, j] += w * e[j, i]
                den[i, j] += w
    g = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            if (i + j) & 1:
                g[i, j] = t[i, j]
            else:
                g[i, j] = num[i, j] / den[i, j]
    return g


@njit(cache=True, error_model="numpy")
def ari_channel(t, g, oy):
    """Red (oy 0) or blue (oy 1) at every site: the mean of RI and MLRI estimates guided by g."""
    lh, lw = t.shape
    site = np.zeros((lh, lw))
    for i in range(oy, lh, 2):
        for j in range(oy, lw, 2):
            site[i, j] = 1.0
    ts = t * site
    lap_g = np.empty((lh, lw))
    lap_t = np.empty((lh, lw))
    for i in range(lh):
        for j in range(lw):
            u, dn = _clamp(i - 2, lh), _clamp(i + 2, lh)
            le, ri = _clamp(j - 2, lw), _clamp(j + 2, lw)
            lap_g[i, j] = 4.0 * g[i, j] - g[u, j] - g[dn, j] - g[i, le] - g[i, ri]
            lap_t[i, j] = 4.0 * ts[i, j] - ts[u, j] - ts[dn, j] - ts[i, le] - ts[i, ri]
    out = np.zeros((lh, lw))
    for mlri in (False, True):
        tent = guided(g, ts, site, lap_g, lap_t, site, RB_R, RB_R, 1, mlri)
        res = site * (t - tent)
        for i in range(lh):
            u, dn = _clamp(i - 1, lh), _clamp(i + 1, lh)
            for j in range(lw):
                le, ri = _clamp(j - 1, lw), _clamp(j + 1, lw)
                interp = (0.25 * (res[u, le] + res[u, ri] + res[dn, le] + res[dn, ri])
                          + 0.5 * (res[u, j] + res[dn, j] + res[i, le] + res[i, ri]) + res[i, j])
                out[i, j] += 0.5 * (tent[i, j] + interp)
    for i in range(lh):
        for j in range(lw):
            if site[i, j] > 0.0:
                out[i, j] = t[i, j]
    return out


@njit(cache=True, error_model="numpy")
def ari_tile(t):
    t64 = t.astype(np.float64)
    g = ari_green(t64)
    r = ari_channel(t64, g, 0)
    b = ari_channel(t64, g, 1)
    return r.astype(np.float32), g.astype(np.float32), b.astype(np.float32)


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_ari_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = ari_tile(load_tile(mosaic, ty, tx, HALO, ry, rx))
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
