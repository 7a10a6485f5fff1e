"""The steps a look is made of: one frozen dataclass per step, whose defaults are the schema.

A look file (TOML) has one table per step, named as in ``STEPS``; a missing table means the
step is off.  The steps run in the order of ``STEPS`` (colour steps, compiled into the 3D
LUT), then the spatial steps (``SPATIAL_STEPS``) on the finished picture.  Each field carries
its documentation and range (``param``): validation, ``lsquared look show --reference`` and
the tables of docs/looks.md (``parameter_reference``) are derived from them.

Hue angles are Oklab hue angles in degrees (Ottosson 2020), where hue is the same at every
exposure; a hue may also be given by name (``HUE_NAMES``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..errors import ParameterError
from ..schema import param

GREY = 0.18                       # scene middle grey (V-Log 0.4233)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exposure:
    """Exposure offset applied to scene light before everything else."""
    ev: float = param(0.0, "stops; +1 doubles the scene light", -10, 10)


@dataclass(frozen=True, slots=True, kw_only=True)
class Monochrome:
    """Black and white from a panchromatic film with an optional colour filter in front."""
    filter: str = param("none", "the filter in front of the lens (transmissions: table below)",
                        choices=("none", "yellow", "orange", "red", "green", "blue"))
    strength: float = param(1.0, "how much of the filter (0 = plain panchromatic)", 0, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tone:
    """Scene light to display light: a smooth S-curve with toe and highlight roll-off."""
    contrast: float = param(1.2, "curve exponent: 1 = soft, 1.4 = punchy", 0.5, 3.0)
    grey: float = param(0.18, "display light of scene middle grey (0.18 = sRGB 118/255)", 0.02, 0.6)
    white: float = param(3.0, "stops above middle grey where the curve reaches (99 % of) display white",
                         0.5, 12.0)
    toe: float = param(0.01, "flare/toe: deepens the blacks (0 = none)", 0.0, 0.2)
    inset: float = param(0.15, "the curve runs per channel in the output primaries pulled this far "
                         "toward white, so saturated highlights go smoothly to white", 0.0, 0.5)
    hue_preserve: float = param(0.6, "blend toward the same curve at constant channel ratios, "
                                "which keeps scene hues (1 = fully)", 0.0, 1.0)


def tone_curve_constants(tone: Tone) -> tuple[float, float]:
    """(m, s) of f(x) = m (x/(x+s))^p so that grey -> tone.grey and white -> display 1.

    With g0, h1 the pre-toe values that the toe y = f^2/(f+t) maps to ``grey`` and 1:
    the ratio f(W)/f(0.18) = (W (0.18+s) / (0.18 (W+s)))^p = h1/g0 solves in closed form.
    Beside Tone rather than in render.py: reading a look checks that its contrast and white
    agree, and reading (``look list``) imports no numpy."""
    t, p = tone.toe, tone.contrast
    g0 = (tone.grey + math.sqrt(tone.grey ** 2 + 4 * t * tone.grey)) / 2
    h1 = (1 + math.sqrt(1 + 4 * t)) / 2
    w = GREY * 2.0 ** tone.white
    q = (h1 / g0) ** (1 / p)
    if not 1.0 < q < w / GREY:
        raise ParameterError(f"tone: contrast {p:g} is too low to lift grey {tone.grey:g} to white "
                             f"{tone.white:g} stops above it; raise contrast or white")
    s = GREY * w * (q - 1) / (w - GREY * q)
    m = g0 / (GREY / (GREY + s)) ** p
    return m, s


@dataclass(frozen=True, slots=True, kw_only=True)
class Saturation:
    """Chroma scaling of scene colours at constant lightness and hue (Oklab)."""
    amount: float = param(1.0, "1 = unchanged, 0 = grey, 1.3 = vivid", 0.0, 3.0)
    vibrance: float = param(0.0, "extra gain for muted colours, fading out for vivid ones", -1.0, 2.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class HueAdjust:
    """One hue-selective adjustment (a ``[[hue]]`` entry; a look may have several)."""
    hue: float | str = param(0.0, "centre: Oklab hue in degrees, or a hue name (table below)")
    width: float = param(40.0, "half width in degrees of the smooth (raised-cosine) window", 5.0, 180.0)
    saturation: float = param(1.0, "chroma gain at the centre", 0.0, 3.0)
    shift: float = param(0.0, "hue rotation at the centre, degrees", -90.0, 90.0)
    lightness: float = param(0.0, "relative lightness change at the centre (-0.1 = 10 % darker)",
                             -0.5, 0.5)


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitTone:
    """Tint the shadows and the highlights of the display picture (also tones monochrome)."""
    shadows_hue: float | str = param(230.0, "Oklab hue of the shadow tint, degrees or name")
    shadows: float = param(0.0, "shadow tint strength (Oklab chroma; 0.02 = subtle)", 0.0, 0.2)
    highlights_hue: float | str = param(70.0, "Oklab hue of the highlight tint, degrees or name")
    highlights: float = param(0.0, "highlight tint strength", 0.0, 0.2)
    balance: float = param(0.0, "moves the shadow/highlight split darker (-) or lighter (+)", -1.0, 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class BlackPoint:
    """Lift the black to a matte floor, as a faded print."""
    level: float = param(0.0, "display-encoded (sRGB scale) value of black", 0.0, 0.25)


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    """How scene colours are fitted into the output space."""
    gamut_compression: float = param(0.8, "0 = hard clip (neutral); else the distance from grey "
                                     "beyond which out-of-gamut colours are compressed smoothly", 0.0, 0.99)
    space: str = param("", "\"\" = the space asked for; \"vlog\" = always V-Log/V-Gamut",
                       choices=("", "vlog"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedLut:
    """An existing .cube/.vlt LUT as the look's colour transform."""
    file: str = param("", "path, relative to the look file's folder")
    input_space: str = param("vlog", "what the LUT expects", choices=("vlog", "rec709", "srgb"))
    output_space: str = param("srgb", "what the LUT produces (rec709: video code values for a "
                              "BT.1886 display)",
                              choices=("srgb", "rec709", "display-p3", "rec2020", "vlog"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Grain:
    """Film-like grain on the finished picture (spatial step)."""
    amount: float = param(0.0, "standard deviation in display code at mid grey (0.02 = visible)",
                          0.0, 0.3)
    size: float = param(1.5, "grain size in pixels of a 6000-pixel-wide picture", 0.3, 20.0)
    chroma: float = param(0.0, "0 = grey grain, 1 = independent per channel", 0.0, 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Vignette:
    """Darker corners, as a fast lens wide open (spatial step)."""
    amount: float = param(0.0, "stops of darkening in the corners (negative brightens)", -3.0, 3.0)
    midpoint: float = param(0.5, "radius (half diagonal = 1) where the falloff starts", 0.0, 1.0)


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
            lo_hi = fields[name].metadata.get("range")
            if lo_hi and not lo_hi[0] <= value <= lo_hi[1]:
                raise ParameterError(f"{label} = {value:g} is outside {lo_hi[0]:g}..{lo_hi[1]:g}")
        elif isinstance(value, str):
            choices = fields[name].metadata.get("choices")
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


def choices_of(cls: type, name: str) -> tuple[str, ...]:
    return next(f for f in dataclasses.fields(cls) if f.name == name).metadata["choices"]


def parameter_reference() -> str:
    """Markdown tables of every step and parameter, from the dataclasses (docs/looks.md)."""
    out = []
    for key, cls in {**STEPS, **SPATIAL_STEPS}.items():
        table = f"[[{key}]]" if key == "hue" else f"[{key}]"
        out.append(f"#### `{table}`: {cls.__doc__.strip()}\n")
        out.append("| parameter | default | range | meaning |\n|---|---|---|---|")
        for f in dataclasses.fields(cls):
            rng = f.metadata.get("range")
            choices = f.metadata.get("choices")
            allowed = (f"{rng[0]:g} .. {rng[1]:g}" if rng else
                       ", ".join(f"`{c}`" if c else '`""`' for c in choices) if choices else "")
            out.append(f"| `{f.name}` | `{f.default!r}` | {allowed} | {f.metadata['doc']} |")
        out.append("")
    out.append("#### Hue names: Oklab hue angles a hue may be given by\n")
    out.append("| name | hue (degrees) |\n|---|---|")
    out += [f"| `{name}` | {deg:g} |" for name, deg in HUE_NAMES.items()]
    out.append("\n#### Monochrome filters: channel transmissions (R, G, B) on linear Rec.2020 light\n")
    out.append("| filter | R | G | B |\n|---|---|---|---|")
    out += [f"| `{name}` | {r:g} | {g:g} | {b:g} |" for name, (r, g, b) in MONO_FILTERS.items()]
    out.append("")
    return "\n".join(out)
