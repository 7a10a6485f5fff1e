"""Exposure: a gain in scene-linear light, in stops (EV).

The DNG BaselineExposure (plus BaselineExposureOffset) is the camera maker's statement of how
much to brighten a normally exposed raw so mid grey lands where it should; the user's EV adds
to it.  ``auto`` replaces the baseline by a measured exposure (estimators/exposure.py), stored
in the params once resolved so that a recipe replays it exactly.  The gain is folded into the
colour matrix of the fused tail.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ParameterError
from ..frame import FrameMeta
from .params import ExposureParams  # the schema, numpy-free (ops/params.py)


def parse_exposure(text: str) -> ExposureParams:
    """``--exposure``: stops (``-0.7``, ``+1``), ``auto``, or auto with a compensation
    (``auto+0.5``, ``auto-1``)."""
    value = str(text).strip().lower()
    auto = value.startswith("auto")
    rest = value[4:] if auto else value
    try:
        if not value or rest in ("+", "-"):
            raise ValueError
        ev = float(rest) if rest else 0.0
    except ValueError:
        raise ParameterError(f"unknown exposure '{text}'; give stops (e.g. +0.7), auto, or "
                             f"auto with a compensation (e.g. auto+0.5)") from None
    return ExposureParams(ev=ev, auto=auto)


def exposure_gain(meta: FrameMeta, params: ExposureParams) -> float:
    if not -10.0 <= params.ev <= 10.0:
        raise ParameterError(f"exposure {params.ev:+g} EV is outside -10..+10 EV")
    if params.auto:
        if params.auto_ev is None:
            raise ParameterError("automatic exposure is not resolved yet (resolve_exposure)")
        return float(2.0 ** (params.ev + params.auto_ev))
    baseline = params.baseline_ev if params.baseline_ev is not None else meta.baseline_exposure
    stops = params.ev + (baseline if params.baseline else 0.0)
    return float(2.0 ** stops)


def resolve_baseline(linear: np.ndarray, matrix: np.ndarray, params: ExposureParams, table: np.ndarray,
                     preview: np.ndarray | None, declared: float | None) -> ExposureParams:
    """Fill ``baseline_ev`` (the camera's headroom compensation) for a raw develop: matched to
    the camera's ``preview`` through the default look's ``table``, else the ``declared``
    BaselineExposure, else the default (estimators/brightness.py); a no-op with auto
    exposure, without baseline, and once resolved."""
    if params.auto or not params.baseline or params.baseline_ev is not None:
        return params
    from ..estimators.brightness import default_brightness

    ev, source = default_brightness(linear, matrix, table, preview, declared)
    return dataclasses.replace(params, baseline_ev=ev, baseline_source=source)


def resolve_exposure(linear: np.ndarray, matrix: np.ndarray, params: ExposureParams,
                     table: np.ndarray) -> ExposureParams:
    """Fill ``auto_ev`` for automatic exposure from the linear picture the tail will render
    through ``matrix`` (camera -> V-Gamut) and the look's LUT ``table``; a no-op otherwise
    and once resolved."""
    if not params.auto or params.auto_ev is not None:
        return params
    from ..color.spaces import SPACES
    from ..estimators.exposure import auto_exposure_ev, look_white, luminance_sample

    y_row = SPACES["vgamut"].to_xyz[1]
    ev = auto_exposure_ev(luminance_sample(linear, matrix, y_row), look_white(table))
    return dataclasses.replace(params, auto_ev=round(ev, 4))
