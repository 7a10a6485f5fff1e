"""The Look: a named, declarative list of steps, loaded from TOML, with inheritance.

A look file::

    name = "portrait"
    description = "Soft contrast, gentle skin."
    inherits = "standard"            # start from another look and change a few steps
    [tone]
    contrast = 1.1                   # only the parameters you name change
    [[hue]]                          # a [[hue]] list replaces the parent's list
    hue = "skin"
    saturation = 0.9
    grain = false                    # a step set to false is removed

Its ``digest`` hashes everything that changes pixels (not the name or description), so a
recipe can record which look it used and a LUT cache can be keyed by it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParameterError
from .steps import (SPATIAL_STEPS, STEPS, BlackPoint, Exposure, Grain, HueAdjust, ImportedLut,
                    Monochrome, Output, Saturation, SplitTone, Tone, Vignette, build_step,
                    step_to_dict, tone_curve_constants)

DEFAULT_SIZE = 33
SIZES = (2, 129)                     # accepted LUT sizes (compile time grows as N^3)
_META_KEYS = ("name", "description", "inherits", "size")


@dataclass(frozen=True, slots=True, kw_only=True)
class Look:
    name: str
    description: str = ""
    size: int = DEFAULT_SIZE                 # default LUT size when compiled
    exposure: Exposure | None = None
    monochrome: Monochrome | None = None
    tone: Tone | None = None
    saturation: Saturation | None = None
    hue: tuple[HueAdjust, ...] = ()
    split_tone: SplitTone | None = None
    black: BlackPoint | None = None
    lut: ImportedLut | None = None
    output: Output = Output()
    vignette: Vignette | None = None
    grain: Grain | None = None
    source: str = field(default="", compare=False)        # "builtin", or the file it came from
    lut_data: object = field(default=None, compare=False, repr=False)   # io.lutfile.LutData
    lut_sha256: str = ""                                   # content hash of the imported LUT

    @property
    def spatial(self) -> tuple:
        """The spatial steps (vignette, then grain) that are switched on."""
        steps = []
        if self.vignette is not None and self.vignette.amount != 0.0:
            steps.append(self.vignette)
        if self.grain is not None and self.grain.amount > 0.0:
            steps.append(self.grain)
        return tuple(steps)

    @property
    def monochrome_output(self) -> bool:
        """True when every output pixel is neutral (R = G = B exactly)."""
        if self.monochrome is None or self.lut is not None:
            return False
        st = self.split_tone
        return st is None or (st.shadows == 0.0 and st.highlights == 0.0)

    def definition(self) -> dict:
        """Every step with all its parameters (defaults included), in TOML form."""
        d: dict = {"size": self.size}
        for key in STEPS:
            value = getattr(self, key)
            if key == "hue":
                if value:
                    d["hue"] = [step_to_dict(h) for h in value]
            elif value is not None:
                d[key] = step_to_dict(value)
        for key in SPATIAL_STEPS:
            value = getattr(self, key)
            if value is not None:
                d[key] = step_to_dict(value)
        return d

    @property
    def digest(self) -> str:
        """Stable hash of what the look does to pixels (16 hex digits)."""
        d = self.definition()
        if "lut" in d:
            d["lut"] = {k: v for k, v in d["lut"].items() if k != "file"}
            d["lut"]["sha256"] = self.lut_sha256
        text = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_toml_dict(self) -> dict:
        return {"name": self.name, "description": self.description, **self.definition()}


def merge_definitions(parent: dict, child: dict) -> dict:
    """Child TOML over a parent's definition: tables merge key by key, lists replace,
    ``step = false`` removes a step."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in parent.items()}
    for key, value in child.items():
        if key in ("name", "description", "inherits"):
            continue
        if value is False:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def look_from_definition(name: str, description: str, d: dict, *, where: str,
                         base_dir: Path | None = None, source: str = "") -> Look:
    """Build a Look from a (merged) definition dict; every value is validated."""
    known = set(STEPS) | set(SPATIAL_STEPS) | set(_META_KEYS)
    unknown = sorted(k for k in d if k not in known)
    if unknown:
        raise ParameterError(f"{where}: unknown step '{unknown[0]}'; steps: "
                             + ", ".join(list(STEPS) + list(SPATIAL_STEPS)))
    kwargs: dict = {"name": name, "description": description, "source": source}
    size = d.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)
                             or not SIZES[0] <= size <= SIZES[1]):
        raise ParameterError(f"{where}: size must be an integer in {SIZES[0]}..{SIZES[1]}, got {size!r}")
    for key, cls in {**STEPS, **SPATIAL_STEPS}.items():
        value = d.get(key)
        if value is None or value is False:
            continue
        if key == "hue":
            entries = value if isinstance(value, list) else [value]
            kwargs["hue"] = tuple(build_step(HueAdjust, e, f"{where}: hue[{i}]")
                                  for i, e in enumerate(entries))
        else:
            kwargs[key] = build_step(cls, value, f"{where}: [{key}]")
    if kwargs.get("tone") is not None:
        try:
            tone_curve_constants(kwargs["tone"])        # contrast and white must agree
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
    lut = kwargs.get("lut")
    if lut is not None:
        clash = [k for k in ("monochrome", "tone", "saturation", "hue", "split_tone", "black")
                 if kwargs.get(k)]
        if clash:
            raise ParameterError(f"{where}: a look with [lut] cannot also have [{clash[0]}] "
                                 "(make a LUT look, or a parametric one)")
        kwargs.update(_load_lut(lut, where, base_dir))
        if size is None:
            size = native_size(kwargs["lut_data"])
    kwargs["size"] = size or DEFAULT_SIZE
    return Look(**kwargs)


def native_size(data) -> int:
    """Compile size for an imported LUT: its own grid when that grid is ours (the nodes then
    coincide and the table is reproduced exactly), else 33; 65 for 1D-only LUTs, whose curves
    the 3D grid must sample finely."""
    if data.table3d is None:
        return 65
    if data.table1d is None and data.unit_domain and SIZES[0] <= data.size <= SIZES[1]:
        return data.size
    return DEFAULT_SIZE


def _load_lut(lut: ImportedLut, where: str, base_dir: Path | None) -> dict:
    from ..io.lutfile import read_lut

    if not lut.file:
        raise ParameterError(f"{where}: [lut] needs file = \"NAME.cube\"")
    path = Path(lut.file).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    data = read_lut(path)
    return {"lut_data": data, "lut_sha256": data.sha256}
