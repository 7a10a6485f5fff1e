"""Black level subtraction and normalization: sensor counts -> 0 = black, 1 = white level.

Black is per 2x2 CFA position (DNG BlackLevelRepeatDim 2x2; LibRaw's per-channel black) or
per channel for three-sample data.  Values below black are kept (negative), not clipped: noise
around black must stay unbiased for denoising and demosaicing; the output stage clips.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..frame import Encoding, Frame, SensorLayout


@njit(parallel=True, cache=True)
def _normalize_mosaic(raw, black, scale, out):
    h, w = raw.shape
    for y in prange(h):
        b0 = black[(y & 1) * 2]
        b1 = black[(y & 1) * 2 + 1]
        s0 = scale[(y & 1) * 2]
        s1 = scale[(y & 1) * 2 + 1]
        for x in range(0, w - 1, 2):
            out[y, x] = (raw[y, x] - b0) * s0
            out[y, x + 1] = (raw[y, x + 1] - b1) * s1
        if w & 1:
            out[y, w - 1] = (raw[y, w - 1] - b0) * s0
    return out


@njit(parallel=True, cache=True)
def _normalize_planes(raw, black, scale, out):
    h, w, c = raw.shape
    for y in prange(h):
        for x in range(w):
            for k in range(c):
                out[y, x, k] = (raw[y, x, k] - black[k]) * scale[k]
    return out


def normalize_levels(raw: np.ndarray, black, white: float) -> np.ndarray:
    """(raw - black) / (white - black); black per 2x2 position for (H, W), per channel for (H, W, C)."""
    black = np.asarray(black, dtype=np.float32)
    scale = (1.0 / np.maximum(np.float32(white) - black, 1e-6)).astype(np.float32)
    raw = np.ascontiguousarray(raw, dtype=np.float32)
    out = np.empty_like(raw)
    if raw.ndim == 2:
        return _normalize_mosaic(raw, black[:4] if black.size >= 4 else np.resize(black, 4), scale.reshape(-1)[:4]
                                 if scale.size >= 4 else np.resize(scale, 4), out)
    c = raw.shape[2]
    return _normalize_planes(raw, np.resize(black, c), np.resize(scale, c), out)


def levels(frame: Frame) -> Frame:
    """Encoding.RAW -> normalized CFA / MONO / CAMERA_RGB."""
    meta = frame.meta
    if meta.encoding is not Encoding.RAW:
        raise ValueError(f"levels expects raw sensor counts, got {meta.encoding}")
    data = normalize_levels(frame.data, meta.black, meta.white)
    encoding = {SensorLayout.BAYER: Encoding.CFA, SensorLayout.MONO: Encoding.MONO}.get(
        meta.layout, Encoding.CAMERA_RGB)
    return Frame(data, meta.replace(encoding=encoding))
