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
Both stream through their span of rows: each cell row of the mosaic is read (de-interleaved
into four unit-stride rows) once, and rings of five (REDUCE) or three (the detail) rows hold
what the next output row needs, so the intermediates stay in the caches; spans of bands run
in parallel.
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
def _split_at(halves, k):
    """Sample k of a row held as its even and odd samples (``halves[0]``, ``halves[1]``)."""
    return halves[k & 1, k >> 1]


@njit(cache=True, inline="always")
def _reduce_split_at(halves, w, j, out):
    x = 2 * j
    out[j] = (R6 * _split_at(halves, x) + R4 * (_split_at(halves, _reflect(x - 1, w))
                                                + _split_at(halves, _reflect(x + 1, w)))
              + R1 * (_split_at(halves, _reflect(x - 2, w)) + _split_at(halves, _reflect(x + 2, w))))


@njit(cache=True)
def _reduce_split(halves, w, out):
    """Horizontal REDUCE of a row of w samples, out[j] = (1 4 6 4 1)/16 around sample 2j,
    mirrored, from the row held as its even and odd samples (halves (2, n): halves[0, m] =
    sample 2m, halves[1, m] = sample 2m + 1): every tap is a unit-stride read, so the loop
    vectorizes without shuffles (measured on one core: 14 -> 3 ms for the 24 MP mosaic's seven
    quantities, against the same sums read with stride 2 from the interleaved row)."""
    even = halves[0]
    odd = halves[1]
    last = (w - 3) // 2                          # the last j whose taps stay inside
    for j in range(1, last + 1):
        out[j] = R6 * even[j] + R4 * (odd[j - 1] + odd[j]) + R1 * (even[j - 1] + even[j + 1])
    _reduce_split_at(halves, w, 0, out)
    for j in range(max(last + 1, 1), out.shape[0]):
        _reduce_split_at(halves, w, j, out)


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
def _detail_row(c, up, d):
    """The detail d = c - up of a row."""
    for j in range(d.shape[0]):
        d[j] = c[j] - up[j]


@njit(cache=True, inline="always", error_model="numpy")
def _wiener_gain(box, var, frac, k2):
    """The Wiener gain s² / (s² + k² n²) of a coefficient: n² = frac * var, s² =
    max(box / 9 - n², 0), box the sum of d² over 3x3."""
    zero = F32(0.0)
    n2 = frac * var
    s2 = max(box * NINTH - n2, zero)
    den = s2 + k2 * n2
    return s2 / den if den > zero else F32(1.0)


@njit(cache=True, error_model="numpy")      # no zero-division branch, so the gain vectorizes
def _wiener_row(a, d, c, up, var, frac, k2, col, out):
    """out = up + g d, g = s² / (s² + k² n²): n² = frac * var, s² = max(E - n², 0), E the mean
    of d² over 3x3 (a, d, c: the rows of detail above, at and below; ``col``: a scratch row).
    The squares are taken here and the 3x3 sum inside the gain's loop: no row of either is
    stored and read back."""
    w = out.shape[0]
    for j in range(w):
        col[j] = a[j] * a[j] + d[j] * d[j] + c[j] * c[j]
    for j in range(1, w - 1):
        out[j] = up[j] + _wiener_gain(col[j - 1] + col[j] + col[j + 1], var[j], frac, k2) * d[j]
    out[0] = up[0] + _wiener_gain(col[1] + col[0] + col[1], var[0], frac, k2) * d[0]
    out[w - 1] = up[w - 1] + _wiener_gain(col[w - 2] + col[w - 1] + col[w - 1], var[w - 1], frac, k2) * d[w - 1]


# --- the mosaic: the finest level, planes computed on the fly ----------------------------------

@njit(cache=True)
def _cells(cfa, r, e):
    """Row r of the mosaic's 2x2 cells as four contiguous rows e[k] (e00, e01, e10, e11 in
    raster order): the one strided read of a cell row, after which every quantity of it is
    computed from unit-stride rows."""
    r0 = cfa[2 * r]
    r1 = cfa[2 * r + 1]
    e0, e1, e2, e3 = e[0], e[1], e[2], e[3]
    for j in range(e.shape[1]):
        e0[j] = r0[2 * j]
        e1[j] = r0[2 * j + 1]
        e2[j] = r1[2 * j]
        e3[j] = r1[2 * j + 1]


@njit(cache=True)
def _cells_split(cfa, r, halves):
    """``_cells`` of row r with even and odd cells apart: halves[0, k, m] = e_k of cell 2m,
    halves[1, k, m] = e_k of cell 2m + 1 (what ``_reduce_split`` reads)."""
    for i in range(2):
        src = cfa[2 * r + i]
        ea, eb = halves[0, 2 * i], halves[0, 2 * i + 1]
        oa, ob = halves[1, 2 * i], halves[1, 2 * i + 1]
        for m in range(cfa.shape[1] // 4):
            ea[m] = src[4 * m]
            eb[m] = src[4 * m + 1]
            oa[m] = src[4 * m + 2]
            ob[m] = src[4 * m + 3]
        if (cfa.shape[1] // 2) & 1:              # an odd count of cells: the last one is even
            m = cfa.shape[1] // 4
            ea[m] = src[4 * m]
            eb[m] = src[4 * m + 1]


@njit(cache=True)
def _quantity(e, coef, const, q, out):
    """Quantity q of a cell row e (``_cells``): q < 4: plane q = sum_k coef[q, k] e_k; q >= 4:
    a noise variance, const[q] + sum_k coef[q, k] max(e_k, 0).  The coefficients carry the
    cell's phase, so every phase is read the same way."""
    e0, e1, e2, e3 = e[0], e[1], e[2], e[3]
    a0, a1, a2, a3 = coef[q, 0], coef[q, 1], coef[q, 2], coef[q, 3]
    if q < 4:
        for j in range(out.shape[0]):
            out[j] = a0 * e0[j] + a1 * e1[j] + a2 * e2[j] + a3 * e3[j]
    else:
        zero = F32(0.0)
        k = const[q]
        for j in range(out.shape[0]):
            out[j] = k + (a0 * max(e0[j], zero) + a1 * max(e1[j], zero)
                          + a2 * max(e2[j], zero) + a3 * max(e3[j], zero))


@njit(cache=True)
def _plane_detail(e, coef, q, up, d):
    """The detail d = plane q - up of a cell row e (``_quantity`` and ``_detail_row`` in one
    loop: the plane's row is not stored)."""
    e0, e1, e2, e3 = e[0], e[1], e[2], e[3]
    a0, a1, a2, a3 = coef[q, 0], coef[q, 1], coef[q, 2], coef[q, 3]
    for j in range(d.shape[0]):
        d[j] = (a0 * e0[j] + a1 * e1[j] + a2 * e2[j] + a3 * e3[j]) - up[j]


@njit(cache=True)
def _reduce_ring(hb, r, out):
    """Vertical REDUCE of output row i from the ring hb (5 rows, source row s at s % 5):
    out = (1 4 6 4 1)/16 of the horizontally reduced source rows r - 2 .. r + 2, r = 2i."""
    a, b, c, d, e = hb[(r + 3) % 5], hb[(r + 4) % 5], hb[r % 5], hb[(r + 1) % 5], hb[(r + 2) % 5]
    for j in range(out.shape[0]):
        out[j] = R6 * c[j] + R4 * (b[j] + d[j]) + R1 * (a[j] + e[j])


@njit(nogil=True, cache=True)
def reduce_cfa(cfa, coef, const, planes1, var1, first, last):
    """REDUCE of the four planes (into planes1 (4, h1, w1)) and of their three noise variances
    (var1 (3, h1, w1)) of a mosaic, computed from it on the fly; output rows of bands
    first .. last - 1 (HALF_BAND rows each).  Streams: each cell row is read once (even and
    odd cells apart), its seven quantities reduced horizontally into a ring of five rows each,
    and every second cell row completes one output row (only a span's first three cell rows
    are shared with the span before)."""
    h2 = cfa.shape[0] // 2
    w2 = cfa.shape[1] // 2
    h1 = planes1.shape[1]
    w1 = planes1.shape[2]
    i0 = first * HALF_BAND
    i1 = min(h1, last * HALF_BAND)
    if i0 >= i1:
        return
    halves = np.empty((2, 4, w1), F32)           # the cells, even and odd apart
    row = np.empty((2, w1), F32)                 # a quantity, even and odd apart
    hb = np.empty((7, 5, w1), F32)
    for s in range(2 * i0 - 2, 2 * i1 + 1):      # s: source (cell) row, unreflected
        _cells_split(cfa, _reflect(s, h2), halves)
        for q in range(7):
            _quantity(halves[0], coef, const, q, row[0])
            _quantity(halves[1], coef, const, q, row[1, :w2 // 2])
            _reduce_split(row, w2, hb[q, (s + 5) % 5])
        if s >= 2 * i0 + 2 and s % 2 == 0:      # source rows s - 4 .. s are in: row s/2 - 1
            i = s // 2 - 1
            for q in range(7):
                _reduce_ring(hb[q], s - 2, planes1[q, i] if q < 4 else var1[q - 4, i])


@njit(cache=True)
def _inverse_cells(res, inv, o0, o1):
    """The inverse of the orthonormal cell transform, e_k = sum_q inv[k, q] plane_q, of one
    cell row (res: the planes' rows) into the mosaic rows o0 (e00, e01) and o1 (e10, e11).
    The coefficients are read into locals first: read from ``inv`` inside the loop, LLVM could
    not rule out that the stores change them, reloaded them every pixel and did not vectorize
    (measured on one core: 33 -> 15 ms per 24 MP mosaic)."""
    a00, a01, a02, a03 = inv[0, 0], inv[0, 1], inv[0, 2], inv[0, 3]
    a10, a11, a12, a13 = inv[1, 0], inv[1, 1], inv[1, 2], inv[1, 3]
    a20, a21, a22, a23 = inv[2, 0], inv[2, 1], inv[2, 2], inv[2, 3]
    a30, a31, a32, a33 = inv[3, 0], inv[3, 1], inv[3, 2], inv[3, 3]
    y, u, v, g = res[0], res[1], res[2], res[3]
    for j in range(res.shape[1]):
        o0[2 * j] = a00 * y[j] + a01 * u[j] + a02 * v[j] + a03 * g[j]
        o0[2 * j + 1] = a10 * y[j] + a11 * u[j] + a12 * v[j] + a13 * g[j]
        o1[2 * j] = a20 * y[j] + a21 * u[j] + a22 * v[j] + a23 * g[j]
        o1[2 * j + 1] = a30 * y[j] + a31 * u[j] + a32 * v[j] + a33 * g[j]


@njit(nogil=True, cache=True)
def reconstruct_cfa(cfa, coef, const, inv, kinds, planes1, denoised1, fracs, strengths, out, first, last):
    """The finest level: for each plane q with strengths[q] > 0, EXPAND(denoised1[q]) + the
    Wiener-shrunk detail of the plane against EXPAND(planes1[q]) (noise variance: quantity
    kinds[q] of ``_quantity``, this level's share fracs[q] of it), then the inverse cell
    transform e_k = sum_q inv[k, q] plane_q into ``out`` (an odd last row/column is the
    caller's).  Planes with strength 0 pass unchanged.  Cell rows of bands first .. last - 1
    (BAND rows each), streamed: cell row t is read once, its planes' details go into a ring of
    three rows, and row t - 1 is finished and written."""
    h2 = cfa.shape[0] // 2
    w2 = cfa.shape[1] // 2
    r0 = first * BAND
    r1 = min(h2, last * BAND)
    if r0 >= r1:
        return
    e = np.empty((2, 4, w2), F32)                # cells of rows t (at t % 2) and t - 1
    d = np.empty((4, 3, w2), F32)                # detail of rows t - 2 .. t (at t % 3), per plane
    res = np.empty((4, w2), F32)
    var = np.empty((7, w2), F32)                 # the noise variances (rows 4 .. 6)
    up = np.empty(w2, F32)
    col = np.empty(w2, F32)
    tmp = np.empty(planes1.shape[2], F32)
    for t in range(r0 - 1, r1 + 1):
        r = _near(t, h2)                         # neighbour rows: mirrored / replicated
        et = e[(t + 2) % 2]
        _cells(cfa, r, et)
        for q in range(4):
            if strengths[q] > 0:
                _expand_row(planes1[q], r, tmp, up)
                _plane_detail(et, coef, q, up, d[q, (t + 3) % 3])
        y = t - 1                                # the row now complete
        if y < r0:
            continue
        ey = e[y % 2]
        for k in range(4, 7):                    # each variance once (y and v share one)
            for q in range(4):
                if strengths[q] > 0 and kinds[q] == k:
                    _quantity(ey, coef, const, k, var[k])
                    break
        ia, ib, ic = (y + 2) % 3, y % 3, (y + 1) % 3
        for q in range(4):
            if strengths[q] <= 0:
                _quantity(ey, coef, const, q, res[q])
                continue
            _expand_row(denoised1[q], y, tmp, up)
            _wiener_row(d[q, ia], d[q, ib], d[q, ic], up, var[kinds[q]], fracs[q],
                        strengths[q] * strengths[q], col, res[q])
        _inverse_cells(res, inv, out[2 * y], out[2 * y + 1])


# --- one plane: the coarser levels, and monochrome sensors -------------------------------------

@njit(cache=True)
def _halves(src, halves):
    """The row src as its even (halves[0]) and odd (halves[1]) samples."""
    even = halves[0]
    odd = halves[1]
    n = src.shape[0]
    for m in range(n // 2):
        even[m] = src[2 * m]
        odd[m] = src[2 * m + 1]
    if n & 1:
        even[n // 2] = src[n - 1]


@njit(nogil=True, cache=True)
def reduce_plane(src, out, first, last):
    """REDUCE of a plane into out ((h + 1) // 2, (w + 1) // 2), output rows of bands
    first .. last - 1 (HALF_BAND rows each); streamed like ``reduce_cfa``."""
    h, w = src.shape
    h1, w1 = out.shape
    i0 = first * HALF_BAND
    i1 = min(h1, last * HALF_BAND)
    if i0 >= i1:
        return
    halves = np.empty((2, w1), F32)
    hb = np.empty((5, w1), F32)
    for s in range(2 * i0 - 2, 2 * i1 + 1):      # s: source row, unreflected
        _halves(src[_reflect(s, h)], halves)
        _reduce_split(halves, w, hb[(s + 5) % 5])
        if s >= 2 * i0 + 2 and s % 2 == 0:      # source rows s - 4 .. s are in: row s/2 - 1
            _reduce_ring(hb, s - 2, out[s // 2 - 1])


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
        up = np.empty(w, F32)
        col = np.empty(w, F32)
        tmp = np.empty(small.shape[1], F32)
        for t in range(nb + 2):
            r = _near(r0 - 1 + t, h)
            _expand_row(small, r, tmp, up)
            _detail_row(plane[r], up, d[t])
        for t in range(nb):
            _expand_row(denoised_small, r0 + t, tmp, up)
            _wiener_row(d[t], d[t + 1], d[t + 2], up, var[r0 + t], frac, k2, col, out[r0 + t])


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
