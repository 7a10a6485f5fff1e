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
from typing import TYPE_CHECKING

from ...errors import InputError
from ...frame import Encoding, Frame, SensorLayout
from ...registry import Registry
from ...schema import param

if TYPE_CHECKING:       # numpy arrives with a method's module: the help, a recipe and the
    import numpy as np  # registry's names need none of it

DemosaicMethod = Callable[["np.ndarray", str], "np.ndarray"]

# Names are registered here, implementations imported on first use (each pulls in its numba
# kernels): listing or validating a method (``--help``, a recipe) stays cheap.  A new method:
# one line here, its module beside this one.
DEMOSAIC_METHODS: Registry[DemosaicMethod] = Registry("demosaic method")
DEMOSAIC_METHODS.register_lazy("bilinear", f"{__name__}.bilinear:demosaic_bilinear")
DEMOSAIC_METHODS.register_lazy("malvar", f"{__name__}.malvar2004:demosaic_malvar2004", aliases=("malvar2004", "mhc"))
DEMOSAIC_METHODS.register_lazy("menon2007", f"{__name__}.menon2007:demosaic_menon2007", aliases=("menon", "ddfapd"))
DEMOSAIC_METHODS.register_lazy("gbtf", f"{__name__}.gbtf:demosaic_gbtf2010", aliases=("gbtf2010",))
DEMOSAIC_METHODS.register_lazy("mlri", f"{__name__}.mlri:demosaic_mlri2014", aliases=("mlri2014",))
DEMOSAIC_METHODS.register_lazy("rcd", f"{__name__}.rcd:demosaic_rcd")
DEMOSAIC_METHODS.register_lazy("ari", f"{__name__}.ari:demosaic_ari", aliases=("ari2017",))
DEMOSAIC_METHODS.register_lazy("wmlri", f"{__name__}.wmlri:demosaic_wmlri2016", aliases=("mlri2016",))
DEMOSAIC_METHODS.register_lazy("auto", f"{__name__}.auto:demosaic_auto")

_FUNCTIONS = {"demosaic_auto": "auto", "demosaic_bilinear": "bilinear", "demosaic_gbtf2010": "gbtf",
              "demosaic_malvar2004": "malvar", "demosaic_menon2007": "menon2007",
              "demosaic_mlri2014": "mlri", "demosaic_rcd": "rcd", "demosaic_ari": "ari",
              "demosaic_wmlri2016": "wmlri"}


def __getattr__(name: str):
    """``from lsquared.ops.demosaic import demosaic_rcd`` imports that method's module then (PEP 562)."""
    if name in _FUNCTIONS:
        return DEMOSAIC_METHODS[_FUNCTIONS[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DEMOSAIC_METHODS", "DemosaicParams", "demosaic", "demosaic_array", "demosaic_auto",
           "demosaic_bilinear", "demosaic_gbtf2010", "demosaic_malvar2004", "demosaic_menon2007",
           "demosaic_mlri2014", "demosaic_rcd", "demosaic_ari", "demosaic_wmlri2016"]


def demosaic_array(mosaic: np.ndarray, pattern: str = "RGGB", method: str = "auto") -> np.ndarray:
    """Demosaic a float32 (H, W) Bayer mosaic in phase ``pattern`` (RGGB, BGGR, GRBG, GBRG)
    with ``method`` (a name of DEMOSAIC_METHODS) -> float32 (H, W, 3)."""
    return DEMOSAIC_METHODS[method](mosaic, pattern)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemosaicParams:
    method: str = param("auto", "demosaic method; auto is the best quality fit for a develop",
                        choices=lambda: DEMOSAIC_METHODS.names())

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
