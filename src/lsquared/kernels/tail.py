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


@njit(parallel=True, cache=True)
def render_rgb(rgb, m, flat, n, shaper, out, top):
    """rgb float32 (H, W, 3) linear -> out (H, W, 3): float32 when ``top`` is 1, else the
    integer dtype of ``out`` with ``flat`` pre-scaled to [0, top] + 0.5."""
    h = rgb.shape[0]
    w = rgb.shape[1]
    zero = np.float32(0.0)
    top = np.float32(top)
    m00, m01, m02 = m[0, 0], m[0, 1], m[0, 2]
    m10, m11, m12 = m[1, 0], m[1, 1], m[1, 2]
    m20, m21, m22 = m[2, 0], m[2, 1], m[2, 2]
    for y in prange(h):
        for x in range(w):
            r = rgb[y, x, 0]
            g = rgb[y, x, 1]
            b = rgb[y, x, 2]
            vr = vlog_shaped(m00 * r + m01 * g + m02 * b, shaper)
            vg = vlog_shaped(m10 * r + m11 * g + m12 * b, shaper)
            vb = vlog_shaped(m20 * r + m21 * g + m22 * b, shaper)
            o0, o1, o2 = tetrahedral_packed(flat, n, vr, vg, vb)
            out[y, x, 0] = min(max(o0, zero), top)
            out[y, x, 1] = min(max(o1, zero), top)
            out[y, x, 2] = min(max(o2, zero), top)
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
