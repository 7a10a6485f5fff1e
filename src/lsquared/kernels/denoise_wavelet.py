"""Hot loops of the raw-domain pyramid denoiser (ops/denoise.py has the method and its reasons).

A Bayer mosaic is seen as four half-resolution planes (R, G1, G2, B: one photosite of each
per 2x2 cell), rotated per cell by an orthonormal 4x4 transform into one luminance and three
colour-difference planes; each plane is decomposed into a Laplacian pyramid (Burt & Adelson,
"The Laplacian pyramid as a compact image code", IEEE Trans. Comm. 31(4), 1983) and every
detail coefficient is scaled by a locally adaptive Wiener gain (Mihcak, Kozintsev,
Ramchandran & Moulin, "Low-complexity image denoising based on statistical modeling of
wavelet coefficients", IEEE SPL 6(12), 1999).

How it is scheduled.  One level of the pyramid is two fused passes over bands of rows:

- ``reduce_*``: REDUCE (Burt & Adelson's 5-tap (1 4 6 4 1)/16 filter both ways, every second
  sample kept) of the plane and of its noise variance;
- ``reconstruct_*``: for each row, the detail d = c - EXPAND(c1) of its own and its two
  neighbour rows, the Wiener gain from d² over 3x3 and the noise variance, and the result
  EXPAND(c1') + gain * d, where c1' is the next level after its own denoising.  This is the
  collapse of the pyramid written so that no detail level is ever stored.

At the finest level (three quarters of the work) the four planes and their noise variances
are never stored either: ``reduce_cfa`` and ``reconstruct_cfa`` compute them from the mosaic
row by row, and the latter writes the denoised mosaic directly.  So the finest level costs two
reads of the mosaic and one write; the coarser levels are a quarter, a sixteenth ... of it.
Each band's intermediates are a few rows wide and stay in the caches; bands run in parallel.
The output arrays are allocated by the caller with numpy (huge pages: a 96 MB result is
several times cheaper to first touch than one allocated inside numba).

Boundaries follow the first implementation (so results match it to float rounding): REDUCE
mirrors without repeating the edge sample; EXPAND and the 3x3 window mirror at the start and
replicate at the end.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numba import njit

from .threads import run_bands

F32 = np.float32
R6, R4, R1 = F32(6.0 / 16.0), F32(4.0 / 16.0), F32(1.0 / 16.0)     # REDUCE taps
E6, E1, HALF = F32(0.75), F32(0.125), F32(0.5)                     # EXPAND: (1 6 1)/8, (4 4)/8
SQRT_HALF = F32(np.sqrt(0.5))
NINTH = F32(1.0 / 9.0)
BAND = 16                     # rows of the finer level per band (its intermediates stay in L2)
HALF_BAND = BAND // 2         # ... and of the coarser one


# --- rows -------------------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _reflect(k, n):
    """k folded into [0, n) for -n < k < 2n - 1 (numpy 'reflect': the edge is not repeated)."""
    if k < 0:
        return -k
    if k >= n:
        return 2 * (n - 1) - k
    return k


@njit(cache=True, inline="always")
def _near(k, n):
    """Neighbour row/column k in [-1, n]: mirrored at the start, replicated at the end."""
    return abs(k) if k < n else n - 1


@njit(cache=True, inline="always")
def _reduce_at(src, j, out):
    w = src.shape[0]
    x = 2 * j
    out[j] = (R6 * src[x] + R4 * (src[_reflect(x - 1, w)] + src[_reflect(x + 1, w)])
              + R1 * (src[_reflect(x - 2, w)] + src[_reflect(x + 2, w)]))


@njit(cache=True)
def _reduce_row(src, out):
    """Horizontal REDUCE of one row: out[j] = (1 4 6 4 1)/16 around src[2j], mirrored."""
    w = src.shape[0]
    w1 = out.shape[0]
    last = (w - 3) // 2                          # the last j whose taps stay inside
    for j in range(1, last + 1):
        x = 2 * j
        out[j] = R6 * src[x] + R4 * (src[x - 1] + src[x + 1]) + R1 * (src[x - 2] + src[x + 2])
    _reduce_at(src, 0, out)
    for j in range(max(last + 1, 1), w1):
        _reduce_at(src, j, out)


@njit(cache=True)
def _reduce_rows(hb, t, out):
    """Vertical REDUCE: out = (1 4 6 4 1)/16 of the horizontally reduced rows hb[t .. t + 4]."""
    a, b, c, d, e = hb[t], hb[t + 1], hb[t + 2], hb[t + 3], hb[t + 4]
    for j in range(out.shape[0]):
        out[j] = R6 * c[j] + R4 * (b[j] + d[j]) + R1 * (a[j] + e[j])


@njit(cache=True, inline="always")
def _expand_at(tmp, j, out):
    ws = tmp.shape[0]
    w = out.shape[0]
    right = tmp[min(j + 1, ws - 1)]
    if 2 * j < w:
        out[2 * j] = E6 * tmp[j] + E1 * (tmp[abs(j - 1)] + right)
    if 2 * j + 1 < w:
        out[2 * j + 1] = HALF * (tmp[j] + right)


@njit(cache=True)
def _expand_row(small, y, tmp, out):
    """Row y of EXPAND(small) to out's width: the vertical (1 6 1)/8 or (4 4)/8 of small's rows
    into ``tmp``, then the same horizontally."""
    hs, ws = small.shape
    w = out.shape[0]
    i = y >> 1
    i1 = min(i + 1, hs - 1)
    a = small[i]
    b = small[i1]
    if y & 1:
        for j in range(ws):
            tmp[j] = HALF * (a[j] + b[j])
    else:
        c = small[abs(i - 1)]
        for j in range(ws):
            tmp[j] = E6 * a[j] + E1 * (c[j] + b[j])
    inner = min(ws - 1, w // 2)                  # j < inner: both outputs and j + 1 inside
    for j in range(1, inner):
        out[2 * j] = E6 * tmp[j] + E1 * (tmp[j - 1] + tmp[j + 1])
        out[2 * j + 1] = HALF * (tmp[j] + tmp[j + 1])
    _expand_at(tmp, 0, out)
    for j in range(max(inner, 1), ws):
        _expand_at(tmp, j, out)


@njit(cache=True)
def _detail_row(c, up, d, sq):
    """The detail d = c - up of a row and its square."""
    for j in range(d.shape[0]):
        x = c[j] - up[j]
        d[j] = x
        sq[j] = x * x


@njit(cache=True, error_model="numpy")      # no zero-division branch, so the gain vectorizes
def _wiener_row(sq, t, d, up, var, frac, k2, scratch, out):
    """out = up + g d, g = s² / (s² + k² n²): n² = frac * var, s² = max(E - n², 0), E the mean
    of d² over 3x3 (sq[t - 1 .. t + 1] are the rows of d²; ``scratch``: two rows)."""
    w = out.shape[0]
    a, b, c = sq[t - 1], sq[t], sq[t + 1]
    col = scratch[0]
    box = scratch[1]
    for j in range(w):
        col[j] = a[j] + b[j] + c[j]
    for j in range(1, w - 1):
        box[j] = col[j - 1] + col[j] + col[j + 1]
    box[0] = col[1] + col[0] + col[1]
    box[w - 1] = col[w - 2] + col[w - 1] + col[w - 1]
    zero = F32(0.0)
    one = F32(1.0)
    for j in range(w):
        e = box[j] * NINTH
        n2 = frac * var[j]
        s2 = max(e - n2, zero)
        den = s2 + k2 * n2
        g = s2 / den if den > zero else one
        out[j] = up[j] + g * d[j]


# --- the mosaic: the finest level, planes computed on the fly ----------------------------------

@njit(cache=True)
def _cfa_row(cfa, r, coef, const, q, out):
    """Row r of quantity q of the mosaic's 2x2 cells (e00, e01, e10, e11 in raster order):
    q < 4: plane q = sum_k coef[q, k] e_k; q >= 4: a noise variance,
    const[q] + sum_k coef[q, k] max(e_k, 0).  The coefficients carry the cell's phase, so
    every loop reads the cells the same way (and vectorizes)."""
    r0 = cfa[2 * r]
    r1 = cfa[2 * r + 1]
    a0, a1, a2, a3 = coef[q, 0], coef[q, 1], coef[q, 2], coef[q, 3]
    if q < 4:
        for j in range(out.shape[0]):
            out[j] = a0 * r0[2 * j] + a1 * r0[2 * j + 1] + a2 * r1[2 * j] + a3 * r1[2 * j + 1]
    else:
        zero = F32(0.0)
        k = const[q]
        for j in range(out.shape[0]):
            out[j] = k + (a0 * max(r0[2 * j], zero) + a1 * max(r0[2 * j + 1], zero)
                          + a2 * max(r1[2 * j], zero) + a3 * max(r1[2 * j + 1], zero))


@njit(nogil=True, cache=True)
def reduce_cfa(cfa, coef, const, planes1, var1, first, last):
    """REDUCE of the four planes (into planes1 (4, h1, w1)) and of their three noise variances
    (var1 (3, h1, w1)) of a mosaic, computed from it on the fly (``_cfa_row``); output bands
    first .. last - 1 of HALF_BAND rows."""
    h2 = cfa.shape[0] // 2
    w2 = cfa.shape[1] // 2
    h1 = planes1.shape[1]
    w1 = planes1.shape[2]
    for band in range(first, last):
        i0 = band * HALF_BAND
        i1 = min(h1, i0 + HALF_BAND)
        n = 2 * (i1 - i0) + 3                    # source rows 2 i0 - 2 .. 2 i1
        row = np.empty(w2, F32)
        hb = np.empty((n, w1), F32)
        for q in range(7):
            for t in range(n):
                _cfa_row(cfa, _reflect(2 * i0 - 2 + t, h2), coef, const, q, row)
                _reduce_row(row, hb[t])
            for i in range(i0, i1):
                _reduce_rows(hb, 2 * (i - i0), planes1[q, i] if q < 4 else var1[q - 4, i])


@njit(nogil=True, cache=True)
def reconstruct_cfa(cfa, coef, const, inv, kinds, planes1, denoised1, fracs, strengths, out, first, last):
    """The finest level: for each plane q with strengths[q] > 0, EXPAND(denoised1[q]) + the
    Wiener-shrunk detail of the plane against EXPAND(planes1[q]) (noise variance: quantity
    kinds[q] of ``_cfa_row``, this level's share fracs[q] of it), then the inverse cell
    transform e_k = sum_q inv[k, q] plane_q into ``out`` (an odd last row/column is the
    caller's).  Planes with strength 0 pass unchanged.  Bands first .. last - 1 of BAND cell
    rows."""
    h2 = cfa.shape[0] // 2
    w2 = cfa.shape[1] // 2
    for band in range(first, last):
        r0 = band * BAND
        r1 = min(h2, r0 + BAND)
        nb = r1 - r0
        res = np.empty((4, nb, w2), F32)
        d = np.empty((nb + 2, w2), F32)          # detail of rows r0 - 1 .. r1 (neighbours mapped)
        sq = np.empty((nb + 2, w2), F32)
        c = np.empty(w2, F32)
        up = np.empty(w2, F32)
        var = np.empty(w2, F32)
        scratch = np.empty((2, w2), F32)
        tmp = np.empty(planes1.shape[2], F32)
        for q in range(4):
            if strengths[q] <= 0:
                for t in range(nb):
                    _cfa_row(cfa, r0 + t, coef, const, q, res[q, t])
                continue
            k2 = strengths[q] * strengths[q]
            for t in range(nb + 2):
                r = _near(r0 - 1 + t, h2)
                _cfa_row(cfa, r, coef, const, q, c)
                _expand_row(planes1[q], r, tmp, up)
                _detail_row(c, up, d[t], sq[t])
            for t in range(nb):
                _cfa_row(cfa, r0 + t, coef, const, kinds[q], var)
                _expand_row(denoised1[q], r0 + t, tmp, up)
                _wiener_row(sq, t + 1, d[t + 1], up, var, fracs[q], k2, scratch, res[q, t])
        for t in range(nb):                      # inverse of the orthonormal cell transform
            y, u, v, g = res[0, t], res[1, t], res[2, t], res[3, t]
            o0 = out[2 * (r0 + t)]
            o1 = out[2 * (r0 + t) + 1]
            for j in range(w2):
                o0[2 * j] = inv[0, 0] * y[j] + inv[0, 1] * u[j] + inv[0, 2] * v[j] + inv[0, 3] * g[j]
                o0[2 * j + 1] = inv[1, 0] * y[j] + inv[1, 1] * u[j] + inv[1, 2] * v[j] + inv[1, 3] * g[j]
                o1[2 * j] = inv[2, 0] * y[j] + inv[2, 1] * u[j] + inv[2, 2] * v[j] + inv[2, 3] * g[j]
                o1[2 * j + 1] = inv[3, 0] * y[j] + inv[3, 1] * u[j] + inv[3, 2] * v[j] + inv[3, 3] * g[j]


# --- one plane: the coarser levels, and monochrome sensors -------------------------------------

@njit(nogil=True, cache=True)
def reduce_plane(src, out, first, last):
    """REDUCE of a plane into out ((h + 1) // 2, (w + 1) // 2), output bands first .. last - 1."""
    h = src.shape[0]
    h1, w1 = out.shape
    for band in range(first, last):
        i0 = band * HALF_BAND
        i1 = min(h1, i0 + HALF_BAND)
        n = 2 * (i1 - i0) + 3
        hb = np.empty((n, w1), F32)
        for t in range(n):
            _reduce_row(src[_reflect(2 * i0 - 2 + t, h)], hb[t])
        for i in range(i0, i1):
            _reduce_rows(hb, 2 * (i - i0), out[i])


@njit(nogil=True, cache=True)
def reconstruct_plane(plane, var, small, denoised_small, frac, strength, out, first, last):
    """One level of one plane into ``out``: EXPAND(denoised_small) + the Wiener-shrunk detail
    plane - EXPAND(small), whose noise variance is frac * var; bands first .. last - 1."""
    h, w = plane.shape
    k2 = strength * strength
    for band in range(first, last):
        r0 = band * BAND
        r1 = min(h, r0 + BAND)
        nb = r1 - r0
        d = np.empty((nb + 2, w), F32)
        sq = np.empty((nb + 2, w), F32)
        up = np.empty(w, F32)
        scratch = np.empty((2, w), F32)
        tmp = np.empty(small.shape[1], F32)
        for t in range(nb + 2):
            r = _near(r0 - 1 + t, h)
            _expand_row(small, r, tmp, up)
            _detail_row(plane[r], up, d[t], sq[t])
        for t in range(nb):
            _expand_row(denoised_small, r0 + t, tmp, up)
            _wiener_row(sq, t + 1, d[t + 1], up, var[r0 + t], frac, k2, scratch, out[r0 + t])


@njit(nogil=True, cache=True)
def expand_plane(small, out, first, last):
    """EXPAND of ``small`` to out's shape, bands first .. last - 1."""
    for band in range(first, last):
        tmp = np.empty(small.shape[1], F32)
        for y in range(band * BAND, min(out.shape[0], band * BAND + BAND)):
            _expand_row(small, y, tmp, out[y])


@njit(nogil=True, cache=True)
def plane_variance(plane, slope, offset, out, first, last):
    """Noise variance of a single plane from its own values: slope * max(x, 0) + offset."""
    h, w = plane.shape
    zero = F32(0.0)
    for i in range(first * BAND, min(h, last * BAND)):
        for j in range(w):
            out[i, j] = slope * max(plane[i, j], zero) + offset


# --- drivers (threads: kernels.threads) -----------------------------------------------------

def bands(rows: int, band: int = BAND) -> int:
    return -(-rows // band)


def reduce(plane: np.ndarray, parallel: bool = True) -> np.ndarray:
    out = np.empty(((plane.shape[0] + 1) // 2, (plane.shape[1] + 1) // 2), np.float32)
    run_bands(reduce_plane, bands(out.shape[0], HALF_BAND), plane, out, parallel=parallel)
    return out


def expand(small: np.ndarray, h: int, w: int) -> np.ndarray:
    """EXPAND to (h, w) (the noise fractions and tests; the levels fuse it)."""
    out = np.empty((h, w), np.float32)
    run_bands(expand_plane, bands(h), small, out)
    return out


def denoise_levels(plane: np.ndarray, var: np.ndarray | None, fractions, strength: float, levels: int,
                   level: int = 0, out: np.ndarray | None = None, parallel: bool = True) -> np.ndarray:
    """Levels ``level`` .. ``levels`` - 1 of one plane's pyramid (``plane`` is level ``level``,
    ``var`` its noise variance), Wiener-shrunk against their shares ``fractions[j]`` of the
    noise, collapsed, into ``out`` (a new array when None; ``plane`` itself when there is
    nothing to do and no ``out``)."""
    if level >= levels or min(plane.shape) < 8:
        if out is None:
            return plane
        out[...] = plane
        return out
    out = np.empty_like(plane) if out is None else out
    small = reduce(plane, parallel)
    deeper = level + 1 < levels and min(small.shape) >= 8
    denoised_small = denoise_levels(small, reduce(var, parallel) if deeper else None, fractions, strength,
                                    levels, level + 1, None, parallel)
    run_bands(reconstruct_plane, bands(plane.shape[0]), plane, var, small, denoised_small,
              F32(fractions[level]), F32(strength), out, parallel=parallel)
    return out


@cache
def level_noise_fractions(levels: int) -> tuple[float, ...]:
    """Variance of each pyramid detail level for unit white noise at the finest level
    (measured once on fixed-seed simulated noise, centre region; about 0.6, 0.1, 0.03 ...)."""
    n = max(256, 16 << levels)
    rng = np.random.default_rng(19830401)
    c = rng.standard_normal((n, n)).astype(np.float32)
    out = []
    for _ in range(levels):
        small = reduce(c)
        d = c - expand(small, c.shape[0], c.shape[1])
        m = max(d.shape[0] // 8, 2)
        out.append(float(np.mean(d[m:-m, m:-m].astype(np.float64) ** 2)))
        c = small
    return tuple(out)
