"""Demosaic: a Bayer mosaic (one sample per pixel) to three channels per pixel.

Two layers, as everywhere in ops/: pure array functions named after their papers
(``demosaic_malvar2004`` ...), gathered in ``DEMOSAIC_METHODS``, and the Frame-level op
``demosaic(frame, DemosaicParams)`` the pipeline calls.  ``lsquared.demosaic`` is
``demosaic_array``.  Methods, sources, measured quality and speed: docs/demosaic.md.

Every method takes float32 (H, W) linear values (white-balanced, black-subtracted, 1.0 =
sensor saturation, values above 1 allowed) in any of the four Bayer phases and returns
float32 (H, W, 3) on the same scale, finite, never clipped.  NaN/inf input is rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ...frame import Encoding, Frame, SensorLayout
from ...registry import Registry
from .auto import demosaic_auto
from .bilinear import demosaic_bilinear
from .gbtf import demosaic_gbtf2010
from .malvar2004 import demosaic_malvar2004
from .menon2007 import demosaic_menon2007
from .mlri import demosaic_mlri2014
from .rcd import demosaic_rcd

DemosaicMethod = Callable[[np.ndarray, str], np.ndarray]

DEMOSAIC_METHODS: Registry[DemosaicMethod] = Registry("demosaic method")
DEMOSAIC_METHODS.register("bilinear", demosaic_bilinear)
DEMOSAIC_METHODS.register("malvar", demosaic_malvar2004, aliases=("malvar2004", "mhc"))
DEMOSAIC_METHODS.register("menon2007", demosaic_menon2007, aliases=("menon", "ddfapd"))
DEMOSAIC_METHODS.register("gbtf", demosaic_gbtf2010, aliases=("gbtf2010",))
DEMOSAIC_METHODS.register("mlri", demosaic_mlri2014, aliases=("mlri2014",))
DEMOSAIC_METHODS.register("rcd", demosaic_rcd)
DEMOSAIC_METHODS.register("auto", demosaic_auto)

__all__ = ["DEMOSAIC_METHODS", "DemosaicParams", "demosaic", "demosaic_array", "demosaic_auto",
           "demosaic_bilinear", "demosaic_gbtf2010", "demosaic_malvar2004", "demosaic_menon2007",
           "demosaic_mlri2014", "demosaic_rcd"]


def demosaic_array(mosaic: np.ndarray, pattern: str = "RGGB", method: str = "auto") -> np.ndarray:
    """Demosaic a float32 (H, W) Bayer mosaic in phase ``pattern`` (RGGB, BGGR, GRBG, GBRG)
    with ``method`` (a name of DEMOSAIC_METHODS) -> float32 (H, W, 3)."""
    return DEMOSAIC_METHODS[method](mosaic, pattern)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemosaicParams:
    method: str = "auto"    # a name of DEMOSAIC_METHODS; "auto" is the best quality fit for a develop

    def __post_init__(self) -> None:
        DEMOSAIC_METHODS.validate(self.method)


def demosaic(frame: Frame, params: DemosaicParams) -> Frame:
    """CFA Frame -> CAMERA_RGB Frame.  A frame whose sensor is not a Bayer one (monochrome,
    linear RGB, the LibRaw fallback) is returned unchanged."""
    if frame.meta.layout is not SensorLayout.BAYER:
        return frame
    if frame.meta.encoding is not Encoding.CFA or frame.data.ndim != 2:
        raise InputError(f"demosaic needs a CFA mosaic (encoding 'cfa', one plane); got encoding "
                         f"'{frame.meta.encoding.value}' with shape {frame.data.shape}",
                         path=frame.meta.source or None, hint="run levels before demosaic")
    if frame.meta.cfa is None:
        raise InputError("the frame is marked Bayer but names no CFA pattern",
                         path=frame.meta.source or None)
    rgb = demosaic_array(frame.data, frame.meta.cfa, params.method)
    return frame.replace(data=rgb, meta=frame.meta.replace(encoding=Encoding.CAMERA_RGB))
