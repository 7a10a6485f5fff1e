"""Hot loops of the raw-domain wavelet denoiser (ops/denoise.py has the method and its reasons).

A Bayer mosaic is seen as four half-resolution planes (R, G1, G2, B: one photosite of each
per 2x2 cell), rotated per cell by an orthonormal 4x4 transform into one luminance and three
colour-difference planes; each plane is decomposed into a Laplacian pyramid (Burt & Adelson,
"The Laplacian pyramid as a compact image code", IEEE Trans. Comm. 31(4), 1983) and every
detail coefficient is scaled by a locally adaptive Wiener gain (Mihcak, Kozintsev,
Ramchandran & Moulin, "Low-complexity image denoising based on statistical modeling of
wavelet coefficients", IEEE SPL 6(12), 1999).  A pyramid costs about 4/3 of its finest level,
where an undecimated wavelet transform costs a full-size pass per level: on 24 megapixels
that is the difference between a fraction of a second and several seconds.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numba import njit, prange

SQRT_HALF = np.float32(np.sqrt(0.5))
B3 = (1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0)


@njit(cache=True, inline="always")
def _near(i, a, n):
    """Index i - 1, i, i + 1 for a = 0, 1, 2, mirrored at the start and replicated at the end."""
    k = np.int64(i) + np.int64(a) - 1
    return abs(k) if k < n else n - 1


@njit(parallel=True, cache=True)
def cfa_to_planes(cfa, pos, slope, offset):
    """(H, W) mosaic -> planes (4, H//2, W//2): y = (R+G1+G2+B)/2, u = (R-B)/√2,
    v = (G1+G2-R-B)/2, d = (G1-G2)/√2 — orthonormal, so white noise of equal variance stays
    white and equal — and their noise variances (3, H//2, W//2) for y and v, u, d, from each
    channel's value: var_c = slope[c] * max(x_c, 0) + offset[c] (white-balanced units; the
    noisy value itself is a good enough signal estimate: a 10 % error in a variance barely
    moves a Wiener gain).  ``pos``: (row, col) in the 2x2 cell of R, G1, G2, B."""
    h2 = cfa.shape[0] // 2
    w2 = cfa.shape[1] // 2
    out = np.empty((4, h2, w2), np.float32)
    var = np.empty((3, h2, w2), np.float32)
    for i in prange(h2):
        for j in range(w2):
            r = cfa[2 * i + pos[0, 0], 2 * j + pos[0, 1]]
            g1 = cfa[2 * i + pos[1, 0], 2 * j + pos[1, 1]]
            g2 = cfa[2 * i + pos[2, 0], 2 * j + pos[2, 1]]
            b = cfa[2 * i + pos[3, 0], 2 * j + pos[3, 1]]
            out[0, i, j] = 0.5 * (r + g1 + g2 + b)
            out[1, i, j] = SQRT_HALF * (r - b)
            out[2, i, j] = 0.5 * (g1 + g2 - r - b)
            out[3, i, j] = SQRT_HALF * (g1 - g2)
            vr = slope[0] * max(r, 0.0) + offset[0]
            vg1 = slope[1] * max(g1, 0.0) + offset[1]
            vg2 = slope[2] * max(g2, 0.0) + offset[2]
            vb = slope[3] * max(b, 0.0) + offset[3]
            var[0, i, j] = 0.25 * (vr + vg1 + vg2 + vb)     # y and v: weights ±1/2 on all four
            var[1, i, j] = 0.5 * (vr + vb)                  # u: ±1/√2 on R and B
            var[2, i, j] = 0.5 * (vg1 + vg2)                # d: ±1/√2 on the greens
    return out, var


@njit(parallel=True, cache=True)
def planes_to_cfa(planes, pos, cfa):
    """Inverse of ``cfa_to_planes`` into a copy of ``cfa`` (an odd last row/column is kept)."""
    out = cfa.copy()
    h2 = planes.shape[1]
    w2 = planes.shape[2]
    for i in prange(h2):
        for j in range(w2):
            y = planes[0, i, j]
            u = planes[1, i, j]
            v = planes[2, i, j]
            d = planes[3, i, j]
            out[2 * i + pos[0, 0], 2 * j + pos[0, 1]] = 0.5 * (y - v) + SQRT_HALF * u
            out[2 * i + pos[3, 0], 2 * j + pos[3, 1]] = 0.5 * (y - v) - SQRT_HALF * u
            out[2 * i + pos[1, 0], 2 * j + pos[1, 1]] = 0.5 * (y + v) + SQRT_HALF * d
            out[2 * i + pos[2, 0], 2 * j + pos[2, 1]] = 0.5 * (y + v) - SQRT_HALF * d
    return out


def _taps(n_out: int, n_in: int, stride: int, offsets) -> np.ndarray:
    """Mirrored source indices (n_out, len(offsets)) of ``stride * i + offset``."""
    i = np.arange(n_out)[:, None] * stride + np.asarray(offsets)[None, :]
    period = max(2 * (n_in - 1), 1)
    i = np.abs(i) % period
    return np.where(i < n_in, i, period - i).astype(np.int32)


@njit(parallel=True, cache=True)
def _reduce(src, rows):
    """Burt & Adelson REDUCE: (1 4 6 4 1)/16 both ways, every second sample kept.  rows:
    (n_out, 5) mirrored source row indices; columns are mirrored at the two ends only, so the
    inner loops are plain arithmetic."""
    h, w = src.shape
    h2 = rows.shape[0]
    w2 = (w + 1) // 2
    tmp = np.empty((h, w2), np.float32)
    for y in prange(h):
        for j in range(w2):
            if 1 <= j and 2 * j + 2 < w:
                x = 2 * j
                tmp[y, j] = (0.375 * src[y, x] + 0.25 * (src[y, x - 1] + src[y, x + 1])
                             + 0.0625 * (src[y, x - 2] + src[y, x + 2]))
            else:
                acc = 0.0
                for k in range(-2, 3):
                    x = abs(2 * j + k)
                    if x >= w:
                        x = 2 * (w - 1) - x
                    acc += (0.375 if k == 0 else (0.25 if abs(k) == 1 else 0.0625)) * src[y, x]
                tmp[y, j] = acc
    out = np.empty((h2, w2), np.float32)
    for i in prange(h2):
        r = rows[i]
        for j in range(w2):
            out[i, j] = (0.375 * tmp[r[2], j] + 0.25 * (tmp[r[1], j] + tmp[r[3], j])
                         + 0.0625 * (tmp[r[0], j] + tmp[r[4], j]))
    return out


@njit(parallel=True, cache=True)
def _expand(src, h, w):
    """Burt & Adelson EXPAND to (h, w): even samples (1 6 1)/8 of their neighbours, odd ones
    (4 4)/8, both ways (the interpolation REDUCE's kernel implies)."""
    hs, ws = src.shape
    tmp = np.empty((hs, w), np.float32)
    for i in prange(hs):
        for j in range(ws):                     # columns 2j and 2j + 1
            left = src[i, abs(j - 1)]
            right = src[i, min(j + 1, ws - 1)]
            c = src[i, j]
            if 2 * j < w:
                tmp[i, 2 * j] = 0.75 * c + 0.125 * (left + right)
            if 2 * j + 1 < w:
                tmp[i, 2 * j + 1] = 0.5 * (c + right)
    out = np.empty((h, w), np.float32)
    for y in prange(h):
        i = y >> 1
        if y & 1:
            i1 = min(i + 1, hs - 1)
            for x in range(w):
                out[y, x] = 0.5 * (tmp[i, x] + tmp[i1, x])
        else:
            i0 = abs(i - 1)
            i1 = min(i + 1, hs - 1)
            for x in range(w):
                out[y, x] = 0.75 * tmp[i, x] + 0.125 * (tmp[i0, x] + tmp[i1, x])
    return out


@njit(parallel=True, cache=True)
def _shrink(c, up, var, noise_scale, strength):
    """Detail d = c - up, scaled by the Wiener gain s² / (s² + k² n²): n² = noise_scale * var
    (this level's share of the noise), s² = max(E - n², 0), E the mean of d² over 3x3."""
    h, w = c.shape
    k2 = strength * strength
    out = np.empty((h, w), np.float32)
    for i in prange(h):
        i0 = _near(i, 0, h)
        i2 = _near(i, 2, h)
        col = np.empty(w, np.float32)           # d² summed over the three rows, per column
        for j in range(w):
            d0 = c[i0, j] - up[i0, j]
            d1 = c[i, j] - up[i, j]
            d2 = c[i2, j] - up[i2, j]
            col[j] = d0 * d0 + d1 * d1 + d2 * d2
        for j in range(w):
            e = (col[_near(j, 0, w)] + col[j] + col[_near(j, 2, w)]) * (1.0 / 9.0)
            n2 = noise_scale * var[i, j]
            s2 = max(e - n2, 0.0)
            den = s2 + k2 * n2
            g = s2 / den if den > 0.0 else 1.0
            out[i, j] = g * (c[i, j] - up[i, j])
    return out


@njit(parallel=True, cache=True)
def _add(a, b):
    h, w = a.shape
    for i in prange(h):
        for j in range(w):
            a[i, j] += b[i, j]
    return a


def reduce(plane: np.ndarray) -> np.ndarray:
    h = plane.shape[0]
    return _reduce(plane, _taps((h + 1) // 2, h, 2, (-2, -1, 0, 1, 2)))


def denoise_plane(plane: np.ndarray, var: np.ndarray, strength: float, levels: int) -> np.ndarray:
    """One plane through a Laplacian pyramid (Burt & Adelson 1983) with ``levels`` detail
    levels, each Wiener-shrunk against its share of the noise, then collapsed."""
    fractions = level_noise_fractions(levels)
    pyramid = []
    c, v = plane, var
    for j in range(levels):
        if min(c.shape) < 8:
            break
        small = reduce(c)
        up = _expand(small, c.shape[0], c.shape[1])
        pyramid.append(_shrink(c, up, v, np.float32(fractions[j]), np.float32(strength)))
        c = small
        v = reduce(v)
    for detail in reversed(pyramid):
        c = _add(_expand(c, detail.shape[0], detail.shape[1]), detail)
    return c


@cache
def level_noise_fractions(levels: int) -> tuple[float, ...]:
    """Variance of each pyramid detail level for unit white noise at the finest level
    (measured once on fixed-seed simulated noise, centre region; about 0.6, 0.1, 0.03 ...)."""
    n = max(256, 16 << levels)
    rng = np.random.default_rng(19830401)
    c = rng.standard_normal((n, n)).astype(np.float32)
    out = []
    for j in range(levels):
        small = reduce(c)
        d = c - _expand(small, c.shape[0], c.shape[1])
        m = max(d.shape[0] // 8, 2)
        out.append(float(np.mean(d[m:-m, m:-m].astype(np.float64) ** 2)))
        c = small
    return tuple(out)


@njit(parallel=True, cache=True)
def plane_variance(plane, slope, offset):
    """Noise variance of a single plane from its own values: slope * max(x, 0) + offset."""
    h, w = plane.shape
    out = np.empty_like(plane)
    for i in prange(h):
        for j in range(w):
            out[i, j] = slope * max(plane[i, j], 0.0) + offset
    return out
