"""Exposure: a gain in scene-linear light, in stops (EV).

The DNG BaselineExposure (plus BaselineExposureOffset) is the camera maker's statement of how
much to brighten a normally exposed raw so mid grey lands where it should; the user's EV adds
to it.  The gain is folded into the colour matrix of the fused tail.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError
from ..frame import FrameMeta


@dataclass(frozen=True, slots=True, kw_only=True)
class ExposureParams:
    ev: float = 0.0                 # user exposure compensation in stops
    baseline: bool = True           # add the file's BaselineExposure


def exposure_gain(meta: FrameMeta, params: ExposureParams) -> float:
    if not -10.0 <= params.ev <= 10.0:
        raise ParameterError(f"exposure {params.ev:+g} EV is outside -10..+10 EV")
    stops = params.ev + (meta.baseline_exposure if params.baseline else 0.0)
    return float(2.0 ** stops)
