"""The fused per-pixel tail of a develop: matrix -> V-Log -> look LUT -> quantize, one pass.

For each pixel: linear camera (or image) RGB times a 3x3 matrix (camera -> V-Gamut with the
exposure gain folded in), the V-Log encoding, tetrahedral interpolation in the look's 3D LUT,
then rounding to the output's integer range (or float).  Nothing is written between the
steps, so the tail costs one read of the linear image and one write of the result.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..color.transfer import VLOG_CUT1, vlog_encode
from .lut3d import tetrahedral

# V-Log above its linear toe through a table indexed by sqrt(x / SHAPER_MAX): evaluating three
# log10 per pixel costs more than the whole 3D LUT, while a sqrt-spaced table with linear
# interpolation is accurate to < 1e-6 in V-Log (tests/kernels/test_tail.py checks it).
SHAPER_SIZE = 1 << 16
SHAPER_MAX = 64.0          # linear values above V-Log's top (46.1) all encode past 1.0


def vlog_shaper() -> np.ndarray:
    u = np.linspace(0.0, 1.0, SHAPER_SIZE + 1)
    table = vlog_encode(u * u * SHAPER_MAX).astype(np.float32)
    return table


_SHAPER = vlog_shaper()


@njit(cache=True, inline="always")
def vlog_shaped(x, shaper):
    if x < VLOG_CUT1:
        return 5.6 * x + 0.125
    u = np.sqrt(min(x, SHAPER_MAX) * (1.0 / SHAPER_MAX)) * SHAPER_SIZE
    i = min(int(u), SHAPER_SIZE - 1)
    f = u - i
    return shaper[i] + f * (shaper[i + 1] - shaper[i])


@njit(cache=True, inline="always")
def _store(out, y, x, r, g, b, scale, quantize):
    if quantize:
        out[y, x, 0] = int(min(max(r, 0.0), 1.0) * scale + 0.5)
        out[y, x, 1] = int(min(max(g, 0.0), 1.0) * scale + 0.5)
        out[y, x, 2] = int(min(max(b, 0.0), 1.0) * scale + 0.5)
    else:
        out[y, x, 0] = r
        out[y, x, 1] = g
        out[y, x, 2] = b


@njit(parallel=True, cache=True)
def render_rgb(rgb, m, table, shaper, out, scale, quantize):
    """rgb float32 (H, W, 3) linear -> out (H, W, 3) (uint8/uint16 when quantize, else float32)."""
    h = rgb.shape[0]
    w = rgb.shape[1]
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
            o0, o1, o2 = tetrahedral(table, vr, vg, vb)
            _store(out, y, x, o0, o1, o2, scale, quantize)
    return out


@njit(parallel=True, cache=True)
def render_mono(mono, gain, table, shaper, out, scale, quantize):
    """mono float32 (H, W) linear (a neutral grey) -> out (H, W, 3)."""
    h = mono.shape[0]
    w = mono.shape[1]
    for y in prange(h):
        for x in range(w):
            v = vlog_shaped(gain * mono[y, x], shaper)
            o0, o1, o2 = tetrahedral(table, v, v, v)
            _store(out, y, x, o0, o1, o2, scale, quantize)
    return out


def render(linear: np.ndarray, matrix: np.ndarray, table: np.ndarray, dtype=np.uint8) -> np.ndarray:
    """Linear (H, W, 3) or (H, W) -> display-encoded (H, W, 3) of ``dtype`` via the look's LUT.

    For a single channel ``matrix`` is a scalar gain times the identity (only [0, 0] is used)."""
    dtype = np.dtype(dtype)
    out = np.empty(linear.shape[:2] + (3,), dtype=dtype)
    quantize = dtype.kind in "ui"
    scale = float(np.iinfo(dtype).max) if quantize else 1.0
    table = np.ascontiguousarray(table, dtype=np.float32)
    m = np.ascontiguousarray(matrix, dtype=np.float64)
    if linear.ndim == 2:
        return render_mono(np.ascontiguousarray(linear, dtype=np.float32), float(m[0, 0]), table, _SHAPER,
                           out, scale, quantize)
    return render_rgb(np.ascontiguousarray(linear, dtype=np.float32), m, table, _SHAPER, out, scale,
                      quantize)
