"""The steps a look is made of: one frozen dataclass per step, whose defaults are the schema.

A look file (TOML) has one table per step, named as in ``STEPS``; a missing table means the
step is off.  The steps run in the order of ``STEPS`` (colour steps, compiled into the 3D
LUT), then the spatial steps (``SPATIAL_STEPS``) on the finished picture.  Each field's
comment is its documentation: ``lsquared look show`` and docs/looks.md are derived from it.

Hue angles are Oklab hue angles in degrees (Ottosson 2020), where hue is the same at every
exposure; a hue may also be given by name (``HUE_NAMES``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..errors import ParameterError


@dataclass(frozen=True, slots=True, kw_only=True)
class Exposure:
    """Exposure offset applied to scene light before everything else."""
    ev: float = 0.0                  # stops; +1 doubles the scene light


@dataclass(frozen=True, slots=True, kw_only=True)
class Monochrome:
    """Black and white from a panchromatic film with an optional colour filter in front."""
    filter: str = "none"             # none | yellow | orange | red | green | blue
    strength: float = 1.0            # 0..1: how much of the filter (0 = plain panchromatic)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tone:
    """Scene light -> display light: a smooth S-curve with toe and highlight roll-off."""
    contrast: float = 1.2            # curve exponent: 1 = soft, 1.4 = punchy
    grey: float = 0.18               # display light of scene middle grey (0.18 = sRGB 118/255)
    white: float = 3.0               # stops above middle grey where the curve reaches display white
    toe: float = 0.01                # flare/toe: deepens the blacks (0 = none)
    inset: float = 0.15              # 0..0.5: tone runs per channel in primaries pulled this far
                                     # toward white, so saturated highlights go smoothly to white
    hue_preserve: float = 0.6        # 0..1: 1 keeps every scene hue through the curve


@dataclass(frozen=True, slots=True, kw_only=True)
class Saturation:
    """Chroma scaling at constant lightness and hue (Oklab)."""
    amount: float = 1.0              # 1 = unchanged, 0 = grey, 1.3 = vivid
    vibrance: float = 0.0            # extra gain for muted colours, fading out for vivid ones


@dataclass(frozen=True, slots=True, kw_only=True)
class HueAdjust:
    """One hue-selective adjustment (a ``[[hue]]`` entry; a look may have several)."""
    hue: float | str = 0.0           # centre: Oklab hue in degrees, or a name (see HUE_NAMES)
    width: float = 40.0              # half width in degrees of the smooth (raised-cosine) window
    saturation: float = 1.0          # chroma gain at the centre
    shift: float = 0.0               # hue rotation at the centre, degrees
    lightness: float = 0.0           # relative lightness change at the centre (-0.1 = 10 % darker)


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitTone:
    """Tint the shadows and the highlights (also tones monochrome looks)."""
    shadows_hue: float | str = 230.0     # Oklab hue of the shadow tint, degrees or name
    shadows: float = 0.0                 # shadow tint strength (Oklab chroma, 0.02 = subtle)
    highlights_hue: float | str = 70.0   # Oklab hue of the highlight tint
    highlights: float = 0.0              # highlight tint strength
    balance: float = 0.0                 # -1..1: moves the shadow/highlight split darker/lighter


@dataclass(frozen=True, slots=True, kw_only=True)
class BlackPoint:
    """Lift the black to a matte floor, as a faded print."""
    level: float = 0.0               # display-encoded (sRGB scale) value of black, 0..0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    """How display light is fitted into the output space."""
    gamut_compression: float = 0.8   # 0 = hard clip; else the distance from grey (0.5..0.95)
                                     # beyond which out-of-gamut colours are compressed smoothly
    space: str = ""                  # "" = the space asked for; "vlog" = always V-Log/V-Gamut


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedLut:
    """An existing .cube/.vlt LUT as the look's colour transform."""
    file: str = ""                   # path, relative to the look file's folder
    input_space: str = "vlog"        # what the LUT expects: vlog | rec709 | srgb
    output_space: str = "srgb"       # what the LUT produces: srgb | rec709 | display-p3 | rec2020 | vlog


@dataclass(frozen=True, slots=True, kw_only=True)
class Grain:
    """Film-like grain on the finished picture (spatial step)."""
    amount: float = 0.0              # standard deviation in display code (0.02 = visible)
    size: float = 1.5                # grain size in pixels of a 6000-pixel-wide picture
    chroma: float = 0.0              # 0 = grey grain, 1 = independent per channel


@dataclass(frozen=True, slots=True, kw_only=True)
class Vignette:
    """Darker corners, as a fast lens wide open (spatial step)."""
    amount: float = 0.0              # stops of darkening in the corners (negative brightens)
    midpoint: float = 0.5            # 0..1: radius (half diagonal = 1) where the falloff starts


# Colour steps in the order they run, by their TOML table name.
STEPS: dict[str, type] = {
    "exposure": Exposure,
    "monochrome": Monochrome,
    "tone": Tone,
    "saturation": Saturation,
    "hue": HueAdjust,                # a list: [[hue]] tables
    "split_tone": SplitTone,
    "black": BlackPoint,
    "lut": ImportedLut,
    "output": Output,
}
SPATIAL_STEPS: dict[str, type] = {"vignette": Vignette, "grain": Grain}

# Channel transmissions (R, G, B) of the classic black-and-white filters, as seen by a
# panchromatic emulsion on linear Rec.2020 light: Wratten 8 (yellow), 21 (orange),
# 25 (red), 58 (green), 47 (blue), reduced to three broad bands.
MONO_FILTERS: dict[str, tuple[float, float, float]] = {
    "none": (1.0, 1.0, 1.0),
    "yellow": (1.0, 0.92, 0.30),
    "orange": (1.0, 0.60, 0.10),
    "red": (1.0, 0.22, 0.04),
    "green": (0.45, 1.0, 0.35),
    "blue": (0.30, 0.55, 1.0),
}

# Oklab hue angles (degrees) of named colours: the pure sRGB primaries and secondaries,
# orange = sRGB (1, 0.5, 0), purple = sRGB (0.5, 0, 1), skin = the mean of the ColorChecker's
# dark and light skin patches (42 and 38 degrees), sky = its blue sky patch, foliage likewise.
HUE_NAMES: dict[str, float] = {
    "red": 29.2, "skin": 40.0, "orange": 52.8, "yellow": 109.8, "foliage": 126.0,
    "green": 142.5, "cyan": 194.8, "sky": 252.8, "blue": 264.1, "purple": 293.8,
    "magenta": 328.4,
}


def hue_degrees(value: float | str, where: str) -> float:
    if isinstance(value, str):
        key = value.strip().lower()
        if key not in HUE_NAMES:
            raise ParameterError(f"{where}: unknown hue name '{value}'; use degrees or one of: "
                                 + ", ".join(HUE_NAMES))
        return HUE_NAMES[key]
    return float(value) % 360.0


# Allowed ranges of numeric fields: (min, max); checked when a look is loaded.
RANGES: dict[tuple[type, str], tuple[float, float]] = {
    (Exposure, "ev"): (-10, 10),
    (Monochrome, "strength"): (0, 1),
    (Tone, "contrast"): (0.5, 3.0),
    (Tone, "grey"): (0.02, 0.6),
    (Tone, "white"): (0.5, 12.0),
    (Tone, "toe"): (0.0, 0.2),
    (Tone, "inset"): (0.0, 0.5),
    (Tone, "hue_preserve"): (0.0, 1.0),
    (Saturation, "amount"): (0.0, 3.0),
    (Saturation, "vibrance"): (-1.0, 2.0),
    (HueAdjust, "width"): (5.0, 180.0),
    (HueAdjust, "saturation"): (0.0, 3.0),
    (HueAdjust, "shift"): (-90.0, 90.0),
    (HueAdjust, "lightness"): (-0.5, 0.5),
    (SplitTone, "shadows"): (0.0, 0.2),
    (SplitTone, "highlights"): (0.0, 0.2),
    (SplitTone, "balance"): (-1.0, 1.0),
    (BlackPoint, "level"): (0.0, 0.25),
    (Output, "gamut_compression"): (0.0, 0.99),
    (Grain, "amount"): (0.0, 0.3),
    (Grain, "size"): (0.3, 20.0),
    (Grain, "chroma"): (0.0, 1.0),
    (Vignette, "amount"): (-3.0, 3.0),
    (Vignette, "midpoint"): (0.0, 1.0),
}
CHOICES: dict[tuple[type, str], tuple[str, ...]] = {
    (Monochrome, "filter"): tuple(MONO_FILTERS),
    (Output, "space"): ("", "vlog"),
    (ImportedLut, "input_space"): ("vlog", "rec709", "srgb"),
    (ImportedLut, "output_space"): ("srgb", "rec709", "display-p3", "rec2020", "vlog"),
}


def build_step(cls: type, values: dict, where: str):
    """A step dataclass from a TOML table; unknown keys, wrong types and ranges refused."""
    if not isinstance(values, dict):
        raise ParameterError(f"{where}: expected a table of parameters")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ParameterError(f"{where}: unknown parameter '{unknown[0]}'; "
                             f"parameters: {', '.join(fields)}")
    kwargs = {}
    for name, value in values.items():
        default = fields[name].default
        label = f"{where}.{name}"
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, float) and "str" in str(fields[name].type):
            ok = isinstance(value, (int, float, str)) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ParameterError(f"{label}: expected a {type(default).__name__}, got {value!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
            if not math.isfinite(value):
                raise ParameterError(f"{label}: must be a finite number")
            lo_hi = RANGES.get((cls, name))
            if lo_hi and not lo_hi[0] <= value <= lo_hi[1]:
                raise ParameterError(f"{label} = {value:g} is outside {lo_hi[0]:g}..{lo_hi[1]:g}")
        elif isinstance(value, str):
            choices = CHOICES.get((cls, name))
            if choices is not None and value.lower() not in choices:
                raise ParameterError(f"{label}: unknown value '{value}'; choose one of: "
                                     + ", ".join(c or '""' for c in choices))
            if choices is not None:
                value = value.lower()
            if name.endswith("hue"):
                hue_degrees(value, label)
        kwargs[name] = value
    return cls(**kwargs)


def step_to_dict(step) -> dict:
    """Every field of a step (defaults included), for digests and ``look show``."""
    return {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
