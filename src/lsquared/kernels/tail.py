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

from ..color.transfer import VLOG_CUT1, vlog_encode
from .lut3d import pack_table, tetrahedral_packed

# V-Log above its linear toe through a table indexed by sqrt(x / SHAPER_MAX): three log10 per
# pixel cost more than the whole 3D LUT, while a sqrt-spaced table with linear interpolation
# is accurate to < 1e-6 in V-Log (tests/kernels/test_tail.py checks it).
SHAPER_SIZE = 1 << 16
SHAPER_MAX = 64.0          # linear values above V-Log's top (46.1) all encode past 1.0


def vlog_shaper() -> np.ndarray:
    u = np.linspace(0.0, 1.0, SHAPER_SIZE + 2)
    return vlog_encode(u * u * SHAPER_MAX).astype(np.float32)


_SHAPER = vlog_shaper()


@njit(cache=True, inline="always")
def vlog_shaped(x, shaper):
    """V-Log of a float32 linear value (NaN -> V-Log of 0)."""
    if x < np.float32(VLOG_CUT1):
        return np.float32(5.6) * x + np.float32(0.125) if x == x else np.float32(0.125)
    u = np.sqrt(min(x, np.float32(SHAPER_MAX)) * np.float32(1.0 / SHAPER_MAX)) * np.float32(SHAPER_SIZE)
    i = np.int32(u)
    f = u - np.float32(i)
    return shaper[i] + f * (shaper[i + 1] - shaper[i])


# nnan/ninf/nsz only (no reassociation, no contraction): lets LLVM vectorize the min/max
# clamps and the sqrt of the row passes while keeping results reproducible.
_FAST = {"nnan", "ninf", "nsz"}
ROWS_PER_TASK = 16


@njit(parallel=True, cache=True, fastmath=_FAST)
def render_rgb(rgb, m, flat, n, shaper, out, top):
    """rgb float32 (H, W, 3) linear -> out (H, W, 3): float32 when ``top`` is 1, else the
    integer dtype of ``out`` with ``flat`` pre-scaled to [0, top] + 0.5.

    Row by row in four passes over small row buffers, so the arithmetic passes (matrix and
    shaper coordinates; tetrahedron choice and weights) vectorize and only the table reads
    stay scalar."""
    h = rgb.shape[0]
    w = rgb.shape[1]
    n1 = np.float32(n - 1)
    nn = n * n
    o3 = nn + n + 1
    zero = np.float32(0.0)
    one = np.float32(1.0)
    top = np.float32(top)
    cut = np.float32(VLOG_CUT1)
    smax = np.float32(SHAPER_MAX)
    sinv = np.float32(1.0 / SHAPER_MAX)
    ssize = np.float32(SHAPER_SIZE)
    tasks = (h + ROWS_PER_TASK - 1) // ROWS_PER_TASK
    for task in prange(tasks):
        lin = np.empty((3, w), np.float32)
        v = np.empty((3, w), np.float32)
        si = np.empty((3, w), np.int32)
        sf = np.empty((3, w), np.float32)
        p0 = np.empty(w, np.int32)
        p1 = np.empty(w, np.int32)
        p2 = np.empty(w, np.int32)
        wt = np.empty((4, w), np.float32)
        for y in range(task * ROWS_PER_TASK, min(h, (task + 1) * ROWS_PER_TASK)):
            # 1. matrix, and where each value falls in the sqrt-spaced shaper
            for x in range(w):
                r = rgb[y, x, 0]
                g = rgb[y, x, 1]
                b = rgb[y, x, 2]
                for c in range(3):
                    value = m[c, 0] * r + m[c, 1] * g + m[c, 2] * b
                    u = np.sqrt(min(max(value, cut), smax) * sinv) * ssize
                    iu = np.int32(u)
                    si[c, x] = iu
                    sf[c, x] = u - np.float32(iu)
                    lin[c, x] = value
            # 2. V-Log: the shaper above the toe, the linear segment below (NaN -> V-Log of 0)
            for c in range(3):
                for x in range(w):
                    i = si[c, x]
                    s0 = shaper[i]
                    value = lin[c, x]
                    toe = np.float32(5.6) * value + np.float32(0.125) if value == value else np.float32(0.125)
                    v[c, x] = s0 + sf[c, x] * (shaper[i + 1] - s0) if value >= cut else toe
            # 3. the tetrahedron holding each pixel, and its weights (Kasson et al. 1995)
            for x in range(w):
                xr = min(max(v[0, x], zero), one) * n1
                xg = min(max(v[1, x], zero), one) * n1
                xb = min(max(v[2, x], zero), one) * n1
                i = min(np.int32(xr), n - 2)
                j = min(np.int32(xg), n - 2)
                k = min(np.int32(xb), n - 2)
                fr = xr - np.float32(i)
                fg = xg - np.float32(j)
                fb = xb - np.float32(k)
                a_rg = np.int32(fr >= fg)
                a_rb = np.int32(fr >= fb)
                a_gb = np.int32(fg >= fb)
                mr = a_rg & a_rb
                mg = (1 - mr) & a_gb
                nb = a_rb & a_gb
                ng = (1 - nb) & a_rg
                fmax = max(fr, max(fg, fb))
                fmin = min(fr, min(fg, fb))
                fmid = fr + fg + fb - fmax - fmin
                base = (i * n + j) * n + k
                p0[x] = base
                p1[x] = base + mr * nn + mg * n + (1 - mr - mg)
                p2[x] = base + (nb + ng) * nn + (1 - ng) * n + (1 - nb)      # 1 - nr = nb + ng
                wt[0, x] = one - fmax
                wt[1, x] = fmax - fmid
                wt[2, x] = fmid - fmin
                wt[3, x] = fmin
            # 4. the four corners, blended and stored (rounded by the table's +0.5 bias)
            for c in range(3):
                for x in range(w):
                    a = p0[x]
                    val = (wt[0, x] * flat[a, c] + wt[1, x] * flat[p1[x], c]
                           + wt[2, x] * flat[p2[x], c] + wt[3, x] * flat[a + o3, c])
                    out[y, x, c] = min(max(val, zero), top)
    return out


@njit(parallel=True, cache=True)
def render_mono(mono, gain, flat, n, shaper, out, top):
    """mono float32 (H, W) linear (a neutral grey) -> out (H, W, 3)."""
    h = mono.shape[0]
    w = mono.shape[1]
    zero = np.float32(0.0)
    top = np.float32(top)
    gain = np.float32(gain)
    for y in prange(h):
        for x in range(w):
            v = vlog_shaped(gain * mono[y, x], shaper)
            o0, o1, o2 = tetrahedral_packed(flat, n, v, v, v)
            out[y, x, 0] = min(max(o0, zero), top)
            out[y, x, 1] = min(max(o1, zero), top)
            out[y, x, 2] = min(max(o2, zero), top)
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
        return render_mono(np.ascontiguousarray(linear, dtype=np.float32), float(m[0, 0]), flat, n, _SHAPER,
                           out, top)
    return render_rgb(np.ascontiguousarray(linear, dtype=np.float32), m, flat, n, _SHAPER, out, top)
