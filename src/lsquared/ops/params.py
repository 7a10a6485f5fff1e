"""The parameters of the develop operations: the schema of a develop, without numpy.

Each operation's frozen dataclass (ranges, choices, defaults, one line of documentation per
field; lsquared.schema) lives here rather than beside its code in ops/<operation>.py, which
re-exports it: the CLI's help, a recipe file and the service's JSON read these classes, and
importing the operations would import numpy and the colour maths with them (~0.1 s of a
``--help``; issue 14).  ``DemosaicParams`` stays in ops/demosaic/__init__.py, itself free of
numpy, beside the method registry it validates against.

Choices that name implementations are registries whose entries import their module on first
use (``Registry.register_lazy``), so listing them costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError
from ..registry import Registry
from ..schema import param


def _adaptation_names() -> list[str]:
    from ..color.adaptation import CATS

    return list(CATS)


DENOISE_MODES = ("auto", "manual", "off")
LENS_MODES = ("auto", "manual", "off")
# (kelvin, tint) of the presets, as common raw converters define them
WHITE_BALANCE_PRESETS: dict[str, tuple[float, float]] = {
    "daylight": (5500.0, 10.0),
    "cloudy": (6500.0, 10.0),
    "shade": (7500.0, 10.0),
    "tungsten": (2850.0, 0.0),
    "fluorescent": (3800.0, 21.0),
    "flash": (5500.0, 0.0),
}
WHITE_BALANCE_MODES = ("as-shot", "auto", *WHITE_BALANCE_PRESETS, "kelvin", "custom")

# a mode's step: (frame, HighlightParams) -> data (ops/highlights.py)
HIGHLIGHT_METHODS: Registry = Registry("highlight mode")
HIGHLIGHT_METHODS.register_lazy("clip", "lsquared.ops.highlights:clip_step")
HIGHLIGHT_METHODS.register_lazy("reconstruct", "lsquared.ops.highlights:reconstruct_step", aliases=("rebuild",))


@dataclass(frozen=True, slots=True, kw_only=True)
class ColorParams:
    adaptation: str = param("bradford", "chromatic adaptation transform", choices=_adaptation_names)


@dataclass(frozen=True, slots=True, kw_only=True)
class DenoiseParams:
    mode: str = param("auto", "auto (strengths from the measured noise), manual or off", choices=DENOISE_MODES)
    luma: float | None = param(None, "luminance strength, 0 = none, 1 = Wiener at the measured noise", 0.0, 10.0)
    chroma: float | None = param(None, "colour strength (same scale); auto resolves both", 0.0, 10.0)
    luma_levels: int = param(3, "wavelet levels shrunk in the luminance planes", 0, 8)
    chroma_levels: int = param(5, "wavelet levels shrunk in the colour-difference planes", 0, 8)
    profile: tuple[float, float] | None = param(
        None, "noise (S, O): var = S*x + O, x before white balance, 1 = white; resolved from the file "
        "or estimated", -1.0, 1.0)
    profile_source: str | None = param(None, "resolved: file (DNG NoiseProfile) or estimate",
                                       choices=("file", "estimate"))

    def __post_init__(self) -> None:
        if self.mode not in DENOISE_MODES:
            raise ParameterError(f"unknown denoise mode '{self.mode}'; choose one of: {', '.join(DENOISE_MODES)}")
        for name in ("luma", "chroma"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 10.0:
                raise ParameterError(f"denoise {name} strength must be between 0 and 10, not {value:g}")
        if not (0 <= self.luma_levels <= 8 and 0 <= self.chroma_levels <= 8):
            raise ParameterError("denoise levels must be between 0 and 8")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExposureParams:
    ev: float = param(0.0, "exposure compensation in stops", -10.0, 10.0)
    baseline: bool = param(True, "add the file's default brightness (not with auto): matched to its embedded "
                           "preview, else its BaselineExposure, else +0.7 EV (estimators/brightness.py)")
    auto: bool = param(False, "measure the exposure from the picture")
    auto_ev: float | None = param(None, "resolved: the measured stops of auto", -10.0, 10.0)
    baseline_ev: float | None = param(None, "resolved: the default brightness in stops", -10.0, 10.0)
    baseline_source: str | None = param(None, "resolved: where baseline_ev comes from",
                                        choices=("preview", "file", "default"))


@dataclass(frozen=True, slots=True, kw_only=True)
class HighlightParams:
    mode: str = param("reconstruct", "clipped highlights: rebuilt from the unclipped channels, or clipped",
                      choices=lambda: HIGHLIGHT_METHODS.names())
    threshold: float = param(0.995, "a photosite at or above this fraction of its white level counts as clipped",
                             0.5, 1.0)

    def __post_init__(self) -> None:
        HIGHLIGHT_METHODS.validate(self.mode)


@dataclass(frozen=True, slots=True, kw_only=True)
class LensParams:
    mode: str = param("auto", "auto (the file's lens), manual (the lens named below) or off", choices=LENS_MODES)
    lens: str | None = param(None, "lensfun 'Maker Model'; resolved in auto mode")
    focal_length: float | None = param(None, "mm; None: the file's (a prime's own focal length)", 0.5, 5000.0)
    aperture: float | None = param(None, "f-number; None: the file's (no vignetting correction without one)",
                                   0.5, 128.0)
    distance: float = param(1000.0, "focus distance in metres (vignetting tables depend on it)", 0.01, 1e6)
    distortion: bool = param(True, "correct distortion")
    tca: bool = param(True, "correct lateral chromatic aberration")
    vignetting: bool = param(True, "correct vignetting")
    scale: float = param(0.0, "geometry scale: 0 = automatic (lensfun's: no empty corners), 1 = none",
                         0.25, 4.0, also=(0.0,))

    def __post_init__(self) -> None:
        if self.mode not in LENS_MODES:
            raise ParameterError(f"unknown lens mode '{self.mode}'; choose one of: {', '.join(LENS_MODES)}")
        for name in ("focal_length", "aperture"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ParameterError(f"lens {name.replace('_', ' ')} must be positive, not {value:g}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SharpenParams:
    amount: float | None = param(None, "0 = off, 1 = detail doubled; None: the look's default (resolved)",
                                 0.0, 5.0)
    radius: float = param(1.0, "sigma of the Gaussian blur the unsharp mask removes, pixels", 0.2, 5.0)

    def __post_init__(self) -> None:
        if self.amount is not None and not 0.0 <= self.amount <= 5.0:
            raise ParameterError(f"sharpen amount must be between 0 and 5, not {self.amount:g}")
        if not 0.2 <= self.radius <= 5.0:
            raise ParameterError(f"sharpen radius must be between 0.2 and 5 pixels, not {self.radius:g}")


@dataclass(frozen=True, slots=True, kw_only=True)
class WhiteBalanceParams:
    mode: str = param("as-shot", "as-shot, auto (estimated from the picture), a preset, kelvin or custom",
                      choices=WHITE_BALANCE_MODES)
    temperature: float | None = param(None, "kelvin mode: the white's correlated colour temperature",
                                      1700.0, 50000.0)
    tint: float = param(0.0, "presets and kelvin: + magenta / - green (Adobe's scale)", -150.0, 150.0)
    neutral: tuple[float, float, float] | None = param(
        None, "resolved: camera RGB of a neutral, green = 1", 1e-3, 1e3)
