"""Recipe: every parameter of a develop, and its TOML sidecar form.

A Recipe is a frozen dataclass of the operations' own frozen params dataclasses; the defaults
live only in those dataclasses.  ``to_toml``/``from_toml`` are derived from the fields by
introspection (darktable's params-as-schema, without its per-module files), so a new
parameter appears in the recipe, the CLI and the docs without further code.

A recipe written after a develop holds the *resolved* values (e.g. the white balance neutral
that ``auto`` estimated, the look's digest), so ``--recipe`` replays the develop bit for bit.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from ..color.spaces import INPUT_SPACES, OUTPUT_SPACES
from ..errors import InputError, ParameterError
from ..ops.demosaic import DemosaicParams
from ..ops.params import (ColorParams, DenoiseParams, ExposureParams, HighlightParams, LensParams, SharpenParams,
                          WhiteBalanceParams)
from ..schema import check_params, param

OUTPUT_FORMATS = ("jpeg", "tiff", "png", "heif", "avif", "jpg", "tif", "heic")   # io.image.FORMATS and aliases
EIGHT_BIT_FORMATS = ("jpeg", "jpg", "avif")

RECIPE_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class LookParams:
    name: str = param("standard", "a built-in or user look name, or a path to a look/LUT file")
    lut_size: int | None = param(None, "grid points of the compiled LUT (None: the look's default)", 2, 144)
    digest: str | None = param(None, "resolved: the look definition's hash (informational)")
    seed: int = param(0, "seed of the look's spatial steps (grain)", 0, 2**63 - 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputParams:
    format: str | None = param(None, "file format (None: from the file suffix)", choices=OUTPUT_FORMATS)
    quality: int | None = param(None, "encoder quality (None: the format's default)", 1, 100)
    space: str = param("srgb", "colour space of the picture (rec709: to match video)",
                       choices=(*OUTPUT_SPACES, "rec709"))
    bit_depth: int | None = param(None, "bits per channel (None: 16 for TIFF, else 8)", 8, 8, also=(16,))


@dataclass(frozen=True, slots=True, kw_only=True)
class InputParams:
    space: str | None = param(None, "colour space of a rendered input image (None: its ICC profile)",
                              choices=INPUT_SPACES)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipe:
    white_balance: WhiteBalanceParams = field(default_factory=WhiteBalanceParams)
    highlights: HighlightParams = field(default_factory=HighlightParams)
    denoise: DenoiseParams = field(default_factory=DenoiseParams)
    demosaic: DemosaicParams = field(default_factory=DemosaicParams)
    lens: LensParams = field(default_factory=LensParams)
    sharpen: SharpenParams = field(default_factory=SharpenParams)
    color: ColorParams = field(default_factory=ColorParams)
    exposure: ExposureParams = field(default_factory=ExposureParams)
    look: LookParams = field(default_factory=LookParams)
    output: OutputParams = field(default_factory=OutputParams)
    input: InputParams = field(default_factory=InputParams)

    def __post_init__(self) -> None:
        # the one place where a recipe's values are checked, however it was built (CLI, file,
        # API): every field against the range or choices its dataclass declares, then the few
        # rules that tie two fields together
        for f in dataclasses.fields(self):
            check_params(getattr(self, f.name), f.name)
        fmt, depth = (self.output.format or "").lower(), self.output.bit_depth
        if depth == 16 and fmt in EIGHT_BIT_FORMATS:
            raise ParameterError(f"{fmt.upper()} holds 8 bits per channel; for 16 bits use --format png or tiff "
                                 "(or heif, 10 bits)")
        if self.white_balance.mode == "kelvin" and self.white_balance.temperature is None \
                and self.white_balance.neutral is None:
            raise ParameterError("white_balance.mode = kelvin needs white_balance.temperature")

    def replace(self, **changes: Any) -> "Recipe":
        return dataclasses.replace(self, **changes)

    def with_overrides(self, **overrides: Any) -> "Recipe":
        """Apply ``section__field=value`` or ``section=Params`` overrides (None values are skipped)."""
        recipe = self
        for key, value in overrides.items():
            if value is None:
                continue
            section, _, name = key.partition("__")
            if section not in RECIPE_SECTIONS:
                raise ParameterError(f"unknown recipe section '{section}'; choose one of: "
                                     f"{', '.join(RECIPE_SECTIONS)}")
            current = getattr(recipe, section)
            if not name:
                recipe = dataclasses.replace(recipe, **{section: value})
                continue
            if name not in {f.name for f in dataclasses.fields(current)}:
                raise ParameterError(f"unknown recipe field '{section}.{name}'")
            recipe = dataclasses.replace(recipe, **{section: dataclasses.replace(current, **{name: value})})
        return recipe


RECIPE_SECTIONS = tuple(f.name for f in dataclasses.fields(Recipe))


def _section_types() -> dict[str, type]:
    hints = typing.get_type_hints(Recipe)
    return {name: hints[name] for name in RECIPE_SECTIONS}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def recipe_to_dict(recipe: Recipe) -> dict[str, Any]:
    out: dict[str, Any] = {"version": RECIPE_VERSION}
    for name in RECIPE_SECTIONS:
        params = getattr(recipe, name)
        section = {f.name: _plain(getattr(params, f.name)) for f in dataclasses.fields(params)
                   if getattr(params, f.name) is not None}
        out[name] = section
    return out


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check/convert a TOML value against a field's type hint."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except ParameterError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is tuple:
        if not isinstance(value, list):
            raise ParameterError(f"recipe value {where} must be a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], where) for v in value)
        if len(value) != len(args):
            raise ParameterError(f"recipe value {where} must have {len(args)} entries")
        return tuple(_coerce(v, a, where) for v, a in zip(value, args))
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"recipe value {where} must be a number, not {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"recipe value {where} must be an integer, not {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"recipe value {where} must be true or false, not {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ParameterError(f"recipe value {where} must be a string, not {value!r}")
        return value
    return value


def recipe_from_dict(data: dict[str, Any]) -> Recipe:
    version = data.get("version", RECIPE_VERSION)
    if not isinstance(version, int) or version > RECIPE_VERSION:
        raise ParameterError(f"recipe version {version!r} is newer than this lsquared understands "
                             f"({RECIPE_VERSION}); upgrade lsquared")
    sections = {}
    types_ = _section_types()
    for key, value in data.items():
        if key in ("version", "source"):
            continue
        if key not in types_:
            raise ParameterError(f"unknown recipe section [{key}]; expected one of: {', '.join(RECIPE_SECTIONS)}")
        if not isinstance(value, dict):
            raise ParameterError(f"recipe entry '{key}' must be a [section]")
        cls = types_[key]
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for fname, fvalue in value.items():
            if fname not in hints:
                raise ParameterError(f"unknown recipe field '{key}.{fname}'")
            kwargs[fname] = _coerce(fvalue, hints[fname], f"{key}.{fname}")
        sections[key] = cls(**kwargs)
    return Recipe(**sections)


def recipe_to_toml(recipe: Recipe, *, source: str | None = None) -> str:
    data = recipe_to_dict(recipe)
    if source:
        data = {"version": data.pop("version"), "source": {"path": source}, **data}
    header = "# lsquared develop recipe: replay with `lsquared develop INPUT --recipe THIS_FILE`\n"
    return header + tomli_w.dumps(data)


def load_recipe(path: str | Path) -> Recipe:
    path = Path(path)
    if not path.is_file():
        raise InputError("recipe file not found" if not path.exists() else "recipe is not a file",
                         path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a valid TOML recipe ({exc})", path=path) from None
    try:
        return recipe_from_dict(data)
    except ParameterError as exc:
        raise ParameterError(str(exc), path=path) from None


def write_recipe(recipe: Recipe, path: str | Path, *, source: str | None = None) -> Path:
    from ..io.atomic import atomic_write_bytes

    return atomic_write_bytes(Path(path), recipe_to_toml(recipe, source=source).encode("utf-8"),
                              overwrite=True)
