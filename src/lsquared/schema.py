"""Parameters as schema: one helper to declare a dataclass field's documentation, range and
choices, and one check that enforces them (darktable's params introspection, in a few lines).

``param(default, doc, lo, hi, choices=...)`` puts the declaration in the field's metadata;
``check_params(obj, where)`` checks every declared field of a params dataclass and raises a
``ParameterError`` that names the field, the value and what is allowed.  The Recipe runs it
on every section when it is built (from the CLI, a recipe file or the API alike), the look
steps run it on each step, and help texts and docs list the same ranges and choices
(``describe``).  ``choices`` may be a tuple or a zero-argument callable returning the names
(a registry's ``names``), so that a registry's contents are read when checked, not copied.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

from .errors import ParameterError

Choices = tuple[str, ...] | Callable[[], Any] | None


def param(default: Any, doc: str, lo: float | None = None, hi: float | None = None, *,
          choices: Choices = None, also: tuple[float, ...] = ()):
    """A params field: its default, one line of documentation, its range (``lo``..``hi``, with
    single extra values in ``also``, e.g. 0 = automatic) or its choices."""
    meta: dict[str, Any] = {"doc": doc}
    if lo is not None:
        meta["range"] = (lo, hi)
    if also:
        meta["also"] = tuple(also)
    if choices is not None:
        meta["choices"] = choices
    return dataclasses.field(default=default, metadata=meta)


def choices_of_field(f: dataclasses.Field) -> tuple[str, ...] | None:
    choices = f.metadata.get("choices")
    if callable(choices):
        choices = tuple(choices())
    return choices


def _key(text: str) -> str:
    return text.strip().lower().replace("_", "-")


def _check_value(value: Any, f: dataclasses.Field, label: str) -> None:
    if value is None:
        return
    if isinstance(value, tuple):
        for v in value:
            _check_value(v, f, label)
        return
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ParameterError(f"{label} = {value!r}: must be a finite number")
        rng = f.metadata.get("range")
        if rng and not rng[0] <= value <= rng[1] and value not in f.metadata.get("also", ()):
            extra = "".join(f" or {a:g}" for a in f.metadata.get("also", ()))
            raise ParameterError(f"{label} = {value:g} is outside {rng[0]:g}..{rng[1]:g}{extra}")
        return
    if isinstance(value, str):
        choices = choices_of_field(f)
        if choices is not None and _key(value) not in {_key(c) for c in choices}:
            raise ParameterError(f"{label}: unknown value '{value}'; choose one of: "
                                 + ", ".join(c or '""' for c in choices))


def check_params(obj: Any, where: str, label: Callable[[str], str] | None = None) -> Any:
    """Check every declared field of the params dataclass ``obj``; returns ``obj``.  Messages
    name the field ``where.name``, or ``label(name)`` (a command line's option, e.g. --crf)."""
    for f in dataclasses.fields(obj):
        if f.metadata:
            _check_value(getattr(obj, f.name), f, label(f.name) if label else f"{where}.{f.name}")
    return obj


def describe(cls: type, name: str) -> str:
    """'one of: a, b, c' or 'lo..hi' for help texts, from the field's declaration."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    choices = choices_of_field(f)
    if choices is not None:
        return ", ".join(c or '""' for c in choices)
    rng = f.metadata.get("range")
    if rng:
        return f"{rng[0]:g}..{rng[1]:g}"
    return ""
