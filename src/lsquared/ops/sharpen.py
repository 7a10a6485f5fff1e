"""Capture sharpening: restore the crispness the lens, the anti-aliasing filter and demosaic
take away, on linear camera RGB after demosaic and lens corrections, before the colour tail.

Method: an unsharp mask on luminance (Y = (R + 2G + B) / 4 of white-balanced camera RGB),
Y' = Y + amount * (Y - G_sigma * Y), with overshoot control: Y' is clamped to the range of Y
in its 3x3 neighbourhood, so an edge gets steeper but never brighter than its bright side or
darker than its dark side (the halos of a plain unsharp mask are exactly those overshoots;
clamping the sharpened value to the local extrema is the classic remedy, e.g. the
"overshoot control" of Hunt's and Margulis's sharpening recipes).  Every channel is then
multiplied by Y'/Y, so colours keep their hue and saturation (additive near black).

Defaults by look (``LOOK_AMOUNTS``; the look engineer may move them into the look files):
portraits softer, landscapes crisper, the measurement/grading looks (neutral, vlog, cinema,
rec709) not sharpened at all, every other look ``DEFAULT_AMOUNT``.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

import numpy as np

from ..errors import ParameterError
from ..frame import Frame
from .params import SharpenParams  # the schema, numpy-free (ops/params.py)

DEFAULT_AMOUNT = 0.5
LOOK_AMOUNTS: dict[str, float] = {
    "portrait": 0.3,
    "natural": 0.4,
    "landscape": 0.8,
    "vivid": 0.6,
    "contemporary": 0.6,
    "neutral": 0.0,          # colorimetric, for measurement
    "vlog": 0.0,             # a log master for grading
    "cinema-flat": 0.0,
    "cinema-vivid": 0.0,
    "rec709": 0.0,
}
_NUMBER = re.compile(r"^\s*\d+(?:\.\d*)?\s*$")


def parse_sharpen(text: str) -> SharpenParams:
    """``--sharpen`` value: an amount (0.5 = the usual, 1 = strong) or off."""
    t = text.strip().lower()
    if t == "off":
        return SharpenParams(amount=0.0)
    if _NUMBER.match(t):
        return SharpenParams(amount=float(t))
    raise ParameterError(f"unknown sharpen setting '{text}'; use off or an amount such as 0.5")


def look_amount(look_name: str | None) -> float:
    """The sharpening a look asks for by default (see LOOK_AMOUNTS)."""
    from ..registry import canonical

    return LOOK_AMOUNTS.get(canonical(look_name or ""), DEFAULT_AMOUNT)


def resolve_sharpen(params: SharpenParams, look_name: str | None) -> SharpenParams:
    return params if params.amount is not None else dataclasses.replace(params, amount=look_amount(look_name))


@lru_cache(maxsize=16)
def _gaussian_taps(sigma: float) -> np.ndarray:
    r = max(1, int(np.ceil(2.0 * sigma)))       # ±2 sigma: 95 % of the mass, 5 taps at sigma 1
    t = np.exp(-0.5 * (np.arange(r + 1) / sigma) ** 2)
    return (t / (t[0] + 2.0 * t[1:].sum())).astype(np.float32)


def sharpen_usm(image: np.ndarray, amount: float, radius: float = 1.0, *,
                out: np.ndarray | None = None) -> np.ndarray:
    """Clamped luminance unsharp mask (module docstring) on linear (H, W, 3) or (H, W) data;
    a new float32 array, or ``out`` (float32, C-contiguous, image's shape) filled and
    returned.  ``out`` may be ``image`` itself: sharpening in place spares a 24 MP develop the
    allocation of 290 MB that page faults make cost more than the sharpening."""
    from ..kernels.sharpen_usm import BAND, band_halo_luminance, sharpen_luminance_usm   # numba, on use
    from ..kernels.threads import run_bands

    data = np.ascontiguousarray(image, dtype=np.float32)
    if out is not None:
        if out.shape != data.shape or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ParameterError(f"sharpen: out must be C-contiguous float32 of shape {data.shape}")
        same = out.ctypes.data == data.ctypes.data and out.strides == data.strides   # a view counts too
        if not same and np.shares_memory(out, data):
            raise ParameterError("sharpen: out must be the image itself or not overlap it")
    if amount <= 0:
        if out is None:
            return data.copy()
        out[...] = data
        return out
    mono = data.ndim == 2
    src = data[..., None] if mono else data
    dst = np.empty_like(src) if out is None else (out[..., None] if mono else out)
    taps = _gaussian_taps(float(radius))
    p = taps.size - 1
    bands = -(-src.shape[0] // BAND)
    halo = np.empty((bands, 2 * p, src.shape[1]), np.float32)
    run_bands(band_halo_luminance, bands, src, p, halo)             # before any band writes
    run_bands(sharpen_luminance_usm, bands, src, taps, np.float32(amount), np.float32(1e-4), halo, dst)
    if out is not None:
        return out
    return dst[..., 0] if mono else dst


def sharpen(frame: Frame, params: SharpenParams, *, in_place: bool = False) -> Frame:
    """The capture-sharpening step of a develop (params resolved: amount set).  ``in_place``:
    write into frame.data (when it is C-contiguous float32); only for a caller that owns that
    array, e.g. the develop pipeline with the demosaic's output."""
    if not params.amount:
        return frame
    data = frame.data
    out = data if in_place and data.dtype == np.float32 and data.flags.c_contiguous else None
    return frame.replace(data=sharpen_usm(data, params.amount, params.radius, out=out))
