"""The look model as JSON schema data, generated from the step dataclasses' own field metadata.

``look_schema()`` lists every step of ``steps.STEPS`` and ``steps.SPATIAL_STEPS`` in running
order, each parameter with its name, kind, default, range, choices and documentation, taken
from the ``param`` declarations in looks/steps.py.  The lab's editor (share/static/lab.js)
builds its controls from this, so a new step or parameter appears there without editing the
page; ``HUE_NAMES`` and the kinds let it draw hue selectors for hue parameters.
"""

from __future__ import annotations

import dataclasses

from ..schema import choices_of_field
from .model import DEFAULT_SIZE, SIZES
from .steps import HUE_NAMES, SPATIAL_STEPS, STEPS


def _kind(f: dataclasses.Field) -> str:
    """'hue' (degrees or a hue name), 'choice', 'bool', 'number' or 'text'."""
    default = f.default
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, float) and "str" in str(f.type):
        return "hue"
    if isinstance(default, (int, float)):
        return "number"
    if choices_of_field(f) is not None:
        return "choice"
    return "text"


def parameter_schema(f: dataclasses.Field) -> dict:
    rng = f.metadata.get("range")
    kind = _kind(f)
    entry = {"name": f.name, "kind": kind, "default": f.default, "doc": f.metadata["doc"]}
    if rng is not None:
        entry["range"] = [float(rng[0]), float(rng[1])]
    elif kind == "hue":
        entry["range"] = [0.0, 360.0]
    choices = choices_of_field(f)
    if choices is not None:
        entry["choices"] = list(choices)
    return entry


def look_schema() -> dict:
    """Every step (colour steps in running order, then spatial) with every parameter."""
    steps = []
    for key, cls in STEPS.items():
        steps.append(_step(key, cls, colour=True))
    for key, cls in SPATIAL_STEPS.items():
        steps.append(_step(key, cls, colour=False))
    return {"steps": steps, "hue_names": dict(HUE_NAMES),
            "size": {"default": DEFAULT_SIZE, "range": list(SIZES)}}


def _step(key: str, cls: type, *, colour: bool) -> dict:
    return {"key": key, "title": key.replace("_", " "), "doc": (cls.__doc__ or "").strip(),
            "list": key == "hue", "colour": colour,
            # these two steps depend on files or the output asked for, not on sliders
            "editable": key not in ("lut",),
            "params": [parameter_schema(f) for f in dataclasses.fields(cls)]}
