"""Black level subtraction and normalization: sensor counts -> 0 = black, 1 = white level.

Black is per 2x2 CFA position (DNG BlackLevelRepeatDim 2x2; LibRaw's per-channel black) or
per channel for three-sample data.  Values below black are kept (negative), not clipped: noise
around black must stay unbiased for denoising and demosaicing; the output stage clips.
"""

from __future__ import annotations

import numpy as np

from ..frame import Encoding, Frame, SensorLayout


def normalize_levels(raw: np.ndarray, black, white: float) -> np.ndarray:
    """(raw - black) / (white - black); black per 2x2 position for (H, W), per channel for (H, W, C)."""
    from ..kernels.scale import normalize_mosaic, normalize_planes

    black = np.asarray(black, dtype=np.float32)
    scale = (1.0 / np.maximum(np.float32(white) - black, 1e-6)).astype(np.float32)
    raw = np.ascontiguousarray(raw, dtype=np.float32)
    out = np.empty_like(raw)
    if raw.ndim == 2:
        return normalize_mosaic(raw, black[:4] if black.size >= 4 else np.resize(black, 4), scale.reshape(-1)[:4]
                                if scale.size >= 4 else np.resize(scale, 4), out)
    c = raw.shape[2]
    return normalize_planes(raw, np.resize(black, c), np.resize(scale, c), out)


def levels(frame: Frame) -> Frame:
    """Encoding.RAW -> normalized CFA / MONO / CAMERA_RGB."""
    meta = frame.meta
    if meta.encoding is not Encoding.RAW:
        raise ValueError(f"levels expects raw sensor counts, got {meta.encoding}")
    data = normalize_levels(frame.data, meta.black, meta.white)
    encoding = {SensorLayout.BAYER: Encoding.CFA, SensorLayout.MONO: Encoding.MONO}.get(
        meta.layout, Encoding.CAMERA_RGB)
    return Frame(data, meta.replace(encoding=encoding))
