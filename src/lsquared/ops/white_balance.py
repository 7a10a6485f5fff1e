"""White balance in camera space: a camera neutral becomes (1, 1, 1).

Sources of the neutral, in order of a photographer's choices:
- ``as-shot``: the camera's own (DNG AsShotNeutral, or LibRaw's as-shot multipliers);
- presets and Kelvin temperatures: the white point (Robertson's CCT + tint, presets as the
  usual raw converters define them) seen through the camera's colour matrix
  (DNG 1.6 ch. 6: neutral = XYZtoCamera(T) * XYZ(white));
- ``auto``: estimators.awb, on the picture itself.
The resolved neutral is stored in the params, so a recipe replays without re-estimating.

Multipliers are 1 / neutral scaled so the smallest is 1: every channel's clipping level then
lies at or above 1.0, and the highlights step can clip all channels at 1.0 (white stays white,
never magenta).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from ..color import dng_model
from ..errors import ParameterError
from ..frame import Encoding, Frame, SensorLayout, cfa_channel_map
from .params import WHITE_BALANCE_MODES as MODES, WHITE_BALANCE_PRESETS as PRESETS, WhiteBalanceParams

_KELVIN = re.compile(r"^\s*(\d{2,6}(?:\.\d+)?)\s*k?\s*$", re.IGNORECASE)


def parse_white_balance(text: str, tint: float = 0.0) -> WhiteBalanceParams:
    """``--wb`` value -> params: a mode name or a Kelvin temperature such as 5500 or 3200K."""
    m = _KELVIN.match(text)
    if m:
        kelvin = float(m.group(1))
        if not 1700 <= kelvin <= 50000:
            raise ParameterError(f"white balance temperature {kelvin:g} K is outside 1700-50000 K")
        return WhiteBalanceParams(mode="kelvin", temperature=kelvin, tint=tint)
    mode = text.strip().lower().replace("_", "-")
    mode = {"asshot": "as-shot", "camera": "as-shot", "as_shot": "as-shot"}.get(mode, mode)
    if mode not in MODES or mode in ("kelvin", "custom"):
        raise ParameterError(
            f"unknown white balance '{text}'; choose one of: as-shot, auto, {', '.join(PRESETS)}, "
            "or a temperature in kelvin such as 5500")
    return WhiteBalanceParams(mode=mode, tint=tint)


def resolve_white_balance(frame: Frame, params: WhiteBalanceParams) -> WhiteBalanceParams:
    """Fill ``params.neutral`` for this frame (a no-op when it is already resolved)."""
    if params.neutral is not None:
        return params
    meta = frame.meta
    color = meta.camera_color
    if params.mode == "as-shot":
        neutral = np.asarray(meta.as_shot_neutral, dtype=np.float64)
    elif params.mode == "auto":
        from ..estimators.awb import estimate_neutral

        neutral = estimate_neutral(frame)
    else:
        if params.mode == "kelvin":
            if params.temperature is None:
                raise ParameterError("white balance mode 'kelvin' needs a temperature")
            kelvin, tint = params.temperature, params.tint
        elif params.mode in PRESETS:
            kelvin, tint = PRESETS[params.mode]
            tint += params.tint
        else:
            raise ParameterError(f"white balance mode '{params.mode}' needs a neutral")
        if meta.layout is SensorLayout.MONO:
            neutral = np.ones(3)
        elif not color.has_matrix:
            raise ParameterError(
                f"{meta.source}: no colour matrix is known for this camera, so a white balance "
                "preset or temperature cannot be computed; use --wb as-shot or --wb auto")
        else:
            neutral = dng_model.temperature_to_neutral(color, kelvin, tint)
    neutral = np.asarray(neutral, dtype=np.float64)
    if not np.all(np.isfinite(neutral)) or np.any(neutral <= 0):
        raise ParameterError(f"{meta.source}: white balance gives an invalid neutral {neutral.tolist()}")
    neutral = neutral / neutral[1]
    return dataclasses.replace(params, neutral=tuple(float(v) for v in neutral))


def multipliers_for(neutral) -> np.ndarray:
    m = 1.0 / np.asarray(neutral, dtype=np.float64)
    return m / m.min()


def apply_multipliers(data: np.ndarray, multipliers, cfa: str | None) -> np.ndarray:
    """Scale each photosite (mosaic, by its CFA colour) or each channel by its multiplier."""
    from ..kernels.scale import scale_mosaic, scale_planes

    mult = np.asarray(multipliers, dtype=np.float32)
    out = np.empty_like(data, dtype=np.float32)
    if data.ndim == 2:
        if cfa is None:      # monochrome: nothing to balance
            out[...] = data
            return out
        gains = mult[cfa_channel_map(cfa).reshape(-1)].astype(np.float32)
        return scale_mosaic(np.ascontiguousarray(data, dtype=np.float32), gains, out)
    return scale_planes(np.ascontiguousarray(data, dtype=np.float32), mult, out)


def white_balance(frame: Frame, params: WhiteBalanceParams) -> tuple[Frame, WhiteBalanceParams]:
    """Apply the (resolved) white balance; returns the new frame and the resolved params."""
    if frame.meta.encoding not in (Encoding.CFA, Encoding.MONO, Encoding.CAMERA_RGB):
        raise ValueError(f"white balance expects normalized camera data, got {frame.meta.encoding}")
    if frame.meta.layout is SensorLayout.MONO:
        # no colour, nothing to balance: any mode asked for is not applicable (a note, not an error)
        meta = frame.meta.replace(wb_multipliers=(1.0, 1.0, 1.0))
        if params.mode != "as-shot" and params.neutral is None:
            meta = meta.warn(f"white balance '{params.mode}' does not apply to a monochrome sensor: ignored")
        return frame.replace(meta=meta), dataclasses.replace(params, neutral=(1.0, 1.0, 1.0))
    params = resolve_white_balance(frame, params)
    mult = multipliers_for(params.neutral)
    data = apply_multipliers(frame.data, mult, frame.meta.cfa if frame.data.ndim == 2 else None)
    meta = frame.meta.replace(wb_multipliers=tuple(float(v) for v in mult))
    return Frame(data, meta), params
