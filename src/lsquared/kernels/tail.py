"""The fused per-pixel tail of a develop: matrix -> V-Log -> look LUT -> quantize, one pass.

For each pixel: linear camera (or image) RGB times a 3x3 matrix (camera -> V-Gamut with the
exposure gain folded in), the V-Log encoding, tetrahedral interpolation in the look's 3D LUT,
then rounding to the output's integer range (or float).  Nothing is written between the
steps, so the tail costs one read of the linear image and one write of the result.
Arithmetic is float32 throughout; the LUT is packed into (N^3, 4) rows pre-scaled to the
output range with +0.5, so that the float -> integer conversion rounds to nearest.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..color.transfer import VLOG_B, VLOG_C, VLOG_CUT1, VLOG_D
from .lut3d import pack_table, tetra_corners

# V-Log above its linear toe, C log10(x + B) + D, from the float's exponent and a series for the
# log of its mantissa: ln m = 2 atanh(t) = 2 (t + t^3/3 + t^5/5 + t^7/7 + t^9/9 + ...), t =
# (m - 1) / (m + 1), with m reduced to [sqrt(1/2), sqrt(2)) so |t| < 0.172 and the first
# omitted term is < 1e-9 (Abramowitz & Stegun 4.1.28).  Unlike np.log10, whose calls stay
# scalar, every step vectorizes; accurate to 4e-7 in V-Log (tests/kernels/test_tail.py), and
# 2.5x faster than the sqrt-spaced 64K-entry table it replaces (whose two reads per value
# missed L1).
_LOG10_2 = float(np.log10(2.0))
_VLOG_EXP = np.float32(VLOG_C * _LOG10_2)             # V-Log per power of two
_VLOG_ATANH = np.float32(2.0 * VLOG_C / np.log(10.0))  # V-Log per unit of atanh(t)
_SQRT2 = np.float32(np.sqrt(2.0))

# nnan/ninf/nsz only (no reassociation, no contraction): lets LLVM vectorize the min/max
# clamps and the series of the row passes while keeping results reproducible; the numpy error
# model drops the zero-division check that would keep the series' division scalar.
_FAST = {"nnan", "ninf", "nsz"}
ROWS_PER_TASK = 16


@njit(cache=True, inline="always")
def vlog_scratch(w):
    """Scratch rows of length ``w`` for ``vlog_row``: ``arg`` (float32) with ``arg_bits`` (its
    int32 view), ``mant_bits`` (int32) with ``mant`` (its float32 view), and ``expo``; the
    views let the exponent and mantissa be split with integer operations in loops that
    vectorize."""
    arg = np.empty(w, np.float32)
    mant_bits = np.empty(w, np.int32)
    return arg, arg.view(np.int32), mant_bits, mant_bits.view(np.float32), np.empty(w, np.float32)


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def vlog_row(lin, scratch, out):
    """V-Log of the linear float32 row ``lin`` into ``out``, using ``scratch`` rows from
    ``vlog_scratch``.  Inputs must be finite."""
    arg, arg_bits, mant_bits, mant, expo = scratch
    w = lin.shape[0]
    cut = np.float32(VLOG_CUT1)
    one = np.float32(1.0)
    half = np.float32(0.5)
    for x in range(w):
        arg[x] = max(lin[x], cut) + np.float32(VLOG_B)
    for x in range(w):
        bits = arg_bits[x]
        expo[x] = np.float32((bits >> 23) - 127)
        mant_bits[x] = (bits & 0x7FFFFF) | 0x3F800000           # the mantissa, as a float in [1, 2)
    for x in range(w):
        m = mant[x]
        big = np.float32(m > _SQRT2)
        m = m * (one - half * big)
        t = (m - one) / (m + one)
        t2 = t * t
        series = t * (one + t2 * (np.float32(1 / 3) + t2 * (np.float32(1 / 5) + t2 * (np.float32(1 / 7)
                                                                                    + t2 * np.float32(1 / 9)))))
        log_part = _VLOG_EXP * (expo[x] + big) + _VLOG_ATANH * series + np.float32(VLOG_D)
        value = lin[x]
        toe = np.float32(5.6) * value + np.float32(0.125)
        above = np.float32(value >= cut)
        out[x] = above * log_part + (one - above) * toe       # a blend by 0/1 (not toe + a (l - t): cancels)


@njit(parallel=True, cache=True, fastmath=_FAST, error_model="numpy")
def render_rgb(rgb, m, flat, n, out, top):
    """rgb float32 (H, W, 3) linear -> out (H, W, 3): float32 when ``top`` is 1, else the
    integer dtype of ``out`` with ``flat`` pre-scaled to [0, top] + 0.5.

    Row by row in five passes over small row buffers, so the arithmetic passes (matrix; V-Log;
    tetrahedron choice and weights; clip and store) vectorize and only the table reads stay
    scalar."""
    h = rgb.shape[0]
    w = rgb.shape[1]
    n1 = np.float32(n - 1)
    # int32 throughout the index arithmetic: one int64 operand (numba's default for an int
    # argument) makes LLVM widen the whole tetrahedron pass to 64-bit lanes, which AVX2
    # cannot multiply, and the pass stays scalar (4.9 -> 2.3 ns/px on one core)
    n32 = np.int32(n)
    nn = np.int32(n * n)
    o3 = np.int32(n * n + n + 1)
    last = np.int32(n - 2)
    zero32 = np.int32(0)
    unit = np.int32(1)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    top = np.float32(top)
    m00, m01, m02 = m[0, 0], m[0, 1], m[0, 2]
    m10, m11, m12 = m[1, 0], m[1, 1], m[1, 2]
    m20, m21, m22 = m[2, 0], m[2, 1], m[2, 2]
    tasks = (h + ROWS_PER_TASK - 1) // ROWS_PER_TASK
    for task in prange(tasks):
        lin = np.empty((3, w), np.float32)
        l0, l1, l2 = lin[0], lin[1], lin[2]
        v = np.empty((3, w), np.float32)
        scratch = vlog_scratch(w)
        p0 = np.empty(w, np.int32)
        p1 = np.empty(w, np.int32)
        p2 = np.empty(w, np.int32)
        wt = np.empty((4, w), np.float32)
        for y in range(task * ROWS_PER_TASK, min(h, (task + 1) * ROWS_PER_TASK)):
            # 1. matrix, reading the pixel row as one flat array: with the constant stride 3
            # LLVM de-interleaves the loads into vectors, where rgb[y, x, c] (the last
            # axis's runtime stride) and m[c, k] reloaded per pixel kept the pass scalar
            # (0.053 -> 0.026 s per 24 MP on one core; same products and sums, same bits)
            row = rgb[y].reshape(3 * w)
            for x in range(w):
                r = row[3 * x]
                g = row[3 * x + 1]
                b = row[3 * x + 2]
                l0[x] = m00 * r + m01 * g + m02 * b
                l1[x] = m10 * r + m11 * g + m12 * b
                l2[x] = m20 * r + m21 * g + m22 * b
            # 2. V-Log
            for c in range(3):
                vlog_row(lin[c], scratch, v[c])
            # 3. the tetrahedron holding each pixel, and its weights
            for x in range(w):
                xr = min(max(v[0, x], zero), one) * n1
                xg = min(max(v[1, x], zero), one) * n1
                xb = min(max(v[2, x], zero), one) * n1
                # clamped as integers too: under nnan a NaN survives the float clamps, and its
                # int32 conversion (INT_MIN) must not index outside the table
                i = min(max(np.int32(xr), zero32), last)
                j = min(max(np.int32(xg), zero32), last)
                k = min(max(np.int32(xb), zero32), last)
                fr = xr - np.float32(i)
                fg = xg - np.float32(j)
                fb = xb - np.float32(k)
                w0, w1, w2, w3, o1, o2 = tetra_corners(fr, fg, fb, nn, n32, unit)
                base = (i * n32 + j) * n32 + k
                p0[x] = base
                p1[x] = base + o1
                p2[x] = base + o2
                wt[0, x] = w0
                wt[1, x] = w1
                wt[2, x] = w2
                wt[3, x] = w3
            # 4. the four corners, blended pixel by pixel: each corner's row is read once for
            # all three channels (a channel-outer loop walked the index arrays three times and
            # re-read every row; 21.8 -> 15.7 ns/px for the whole tail on one core), into the
            # row buffers lin (free since pass 2)
            for x in range(w):
                a = p0[x]
                b1 = p1[x]
                b2 = p2[x]
                b3 = a + o3
                w0 = wt[0, x]
                w1 = wt[1, x]
                w2 = wt[2, x]
                w3 = wt[3, x]
                l0[x] = w0 * flat[a, 0] + w1 * flat[b1, 0] + w2 * flat[b2, 0] + w3 * flat[b3, 0]
                l1[x] = w0 * flat[a, 1] + w1 * flat[b1, 1] + w2 * flat[b2, 1] + w3 * flat[b3, 1]
                l2[x] = w0 * flat[a, 2] + w1 * flat[b1, 2] + w2 * flat[b2, 2] + w3 * flat[b3, 2]
            # 5. clipped, converted (rounded by the table's +0.5 bias) and stored through the
            # flat row, a pass of its own that holds no table read (measured faster than the
            # clamps, conversions and stores inside pass 4: 0.275 -> 0.250 s for the tail per
            # 24 MP, one thread, load 2.9; the same values)
            orow = out[y].reshape(3 * w)
            for x in range(w):
                orow[3 * x] = min(max(l0[x], zero), top)
                orow[3 * x + 1] = min(max(l1[x], zero), top)
                orow[3 * x + 2] = min(max(l2[x], zero), top)
    return out


@njit(parallel=True, cache=True, fastmath=_FAST, error_model="numpy")
def render_mono(mono, gain, diagonal, n, out, top):
    """mono float32 (H, W) linear (a neutral grey) -> out (H, W, 3).

    A grey (v, v, v) has three equal cell fractions, so its tetrahedron is the cell's
    diagonal (weights 1 - f, 0, 0, f: Kasson et al.'s rule with f_max = f_mid = f_min) and
    the lookup is a linear interpolation between the table's nodes (i, i, i) and
    (i+1, i+1, i+1): ``diagonal`` (N, 4) holds them.  One gather of two rows instead of the
    general tetrahedron (0.28 -> 0.12 s for 24 MP on one core)."""
    h = mono.shape[0]
    w = mono.shape[1]
    zero = np.float32(0.0)
    one = np.float32(1.0)
    n1 = np.float32(n - 1)
    last = np.int32(n - 2)
    zero32 = np.int32(0)
    top = np.float32(top)
    gain = np.float32(gain)
    tasks = (h + ROWS_PER_TASK - 1) // ROWS_PER_TASK
    for task in prange(tasks):
        lin = np.empty(w, np.float32)
        v = np.empty(w, np.float32)
        scratch = vlog_scratch(w)
        cell = np.empty(w, np.int32)
        frac = np.empty(w, np.float32)
        rgb = np.empty((3, w), np.float32)
        l0, l1, l2 = rgb[0], rgb[1], rgb[2]
        for y in range(task * ROWS_PER_TASK, min(h, (task + 1) * ROWS_PER_TASK)):
            for x in range(w):
                lin[x] = gain * mono[y, x]
            vlog_row(lin, scratch, v)
            for x in range(w):
                xv = min(max(v[x], zero), one) * n1
                i = min(max(np.int32(xv), zero32), last)       # integer clamp: NaN-safe index
                cell[x] = i
                frac[x] = xv - np.float32(i)
            for x in range(w):          # the table reads, into row buffers (as in render_rgb)
                i = cell[x]
                f = frac[x]
                g = one - f
                l0[x] = g * diagonal[i, 0] + f * diagonal[i + 1, 0]
                l1[x] = g * diagonal[i, 1] + f * diagonal[i + 1, 1]
                l2[x] = g * diagonal[i, 2] + f * diagonal[i + 1, 2]
            orow = out[y].reshape(3 * w)
            for x in range(w):
                orow[3 * x] = min(max(l0[x], zero), top)
                orow[3 * x + 1] = min(max(l1[x], zero), top)
                orow[3 * x + 2] = min(max(l2[x], zero), top)
    return out


def render(linear: np.ndarray, matrix: np.ndarray, table: np.ndarray, dtype=np.uint8) -> np.ndarray:
    """Linear (H, W, 3) or (H, W) -> display-encoded (H, W, 3) of ``dtype`` via the look's LUT,
    clipped to [0, 1] (to the integer range).

    For a single channel ``matrix`` is a scalar gain times the identity (only [0, 0] is used)."""
    dtype = np.dtype(dtype)
    out = np.empty(linear.shape[:2] + (3,), dtype=dtype)
    if dtype.kind in "ui":
        top = float(np.iinfo(dtype).max)
        flat = pack_table(table, scale=top, bias=0.5)
    else:
        top = 1.0
        flat = pack_table(table)
    n = int(table.shape[0])
    m = np.ascontiguousarray(matrix, dtype=np.float32)
    if linear.ndim == 2:
        diagonal = np.ascontiguousarray(flat[np.arange(n) * (n * n + n + 1)])
        return render_mono(np.ascontiguousarray(linear, dtype=np.float32), float(m[0, 0]), diagonal, n, out, top)
    return render_rgb(np.ascontiguousarray(linear, dtype=np.float32), m, flat, n, out, top)
