"""Automatic white balance: estimate the camera-space neutral of the scene's illuminant.

Robust grey-pixel voting in the spirit of Huo, Chang, Wang & Wei, "Robust automatic white
balance algorithm using gray color points in images", IEEE Trans. Consumer Electronics
52(2), 2006: start from the shades-of-grey estimate (Finlayson & Trezzi, "Shades of gray and
colour constancy", CIC 2004, Minkowski p = 6), then repeatedly average only the pixels whose
chromaticity is close to the current estimate's, so strongly coloured surfaces stop voting.
Clipped and near-black photosites are excluded.  Where the camera's colour matrix is known,
the result is pulled onto a plausible illuminant (temperature 2000-12000 K, |tint| <= 40).

Works on normalized camera data (levels applied, no white balance).
"""

from __future__ import annotations

import numpy as np

from ..color import dng_model
from ..color.temperature import temperature_to_xy, xy_to_temperature
from ..frame import Encoding, Frame, cfa_channel_map

CLIP_LEVEL = 0.95      # a superpixel with any channel above this is treated as clipped
DARK_LEVEL = 0.002     # ... or with its green below this as too dark to trust
NEAR_GREY = 0.25       # log-chromaticity distance (natural log units) counted as "near grey"
MAX_TINT = 40.0


def superpixels(frame: Frame, max_side: int = 1024) -> np.ndarray:
    """(h, w, 3) camera RGB from 2x2 CFA blocks (or the RGB data), subsampled to ~max_side."""
    data = frame.data
    if frame.meta.encoding is Encoding.CFA:
        h, w = (data.shape[0] // 2) * 2, (data.shape[1] // 2) * 2
        step = max(1, max(h, w) // (2 * max_side))
        blocks = data[:h, :w].reshape(h // 2, 2, w // 2, 2)[::step, :, ::step, :]
        cmap = cfa_channel_map(frame.meta.cfa)
        rgb = np.zeros(blocks.shape[0:1] + blocks.shape[2:3] + (3,), dtype=np.float64)
        count = np.zeros(3)
        for dy in range(2):
            for dx in range(2):
                c = cmap[dy, dx]
                rgb[..., c] += blocks[:, dy, :, dx]
                count[c] += 1
        return rgb / count
    if data.ndim == 3:
        step = max(1, max(data.shape[:2]) // max_side)
        return data[::step, ::step].astype(np.float64)
    raise ValueError("auto white balance needs colour data")


def _mean_neutral(rgb: np.ndarray, weights: np.ndarray, p: float = 1.0) -> np.ndarray:
    w = weights[..., None]
    e = (np.sum(w * rgb ** p, axis=(0, 1)) / max(np.sum(weights), 1e-12)) ** (1.0 / p)
    return e / e[1]


def estimate_neutral(frame: Frame) -> np.ndarray:
    """Camera-space neutral (G = 1) of the illuminant, from the picture itself."""
    rgb = superpixels(frame)
    valid = (rgb.max(axis=-1) < CLIP_LEVEL) & (rgb[..., 1] > DARK_LEVEL) & (rgb.min(axis=-1) > 0)
    if valid.sum() < 16:
        return np.asarray(frame.meta.as_shot_neutral, dtype=np.float64)
    pixels = rgb[valid]
    weights = np.ones(len(pixels))
    e = _mean_neutral(pixels[None], weights[None], p=6.0)
    log_rg = np.log(pixels[:, 0] / pixels[:, 1])
    log_bg = np.log(pixels[:, 2] / pixels[:, 1])
    for _ in range(6):
        d = np.hypot(log_rg - np.log(e[0]), log_bg - np.log(e[2]))
        near = d < NEAR_GREY
        if near.sum() < max(16, 0.002 * len(pixels)):
            break
        # brighter grey pixels carry less noise: weight by luminance
        new = _mean_neutral(pixels[near][None], pixels[near, 1][None])
        if np.abs(np.log(new / e)).max() < 1e-4:
            e = new
            break
        e = new
    return constrain_to_illuminants(frame, e)


def constrain_to_illuminants(frame: Frame, neutral: np.ndarray) -> np.ndarray:
    """Pull a neutral onto a plausible light (2000-12000 K, limited tint) via the colour matrix."""
    color = frame.meta.camera_color
    if not color.has_matrix:
        return neutral
    try:
        kelvin, tint = xy_to_temperature(dng_model.neutral_to_xy(color, neutral))
    except (np.linalg.LinAlgError, ValueError):
        return neutral
    kelvin = float(np.clip(kelvin, 2000.0, 12000.0))
    tint = float(np.clip(tint, -MAX_TINT, MAX_TINT))
    return dng_model.xy_to_neutral(color, temperature_to_xy(kelvin, tint))
