"""Finding looks: the built-in ones, the user's (XDG config folder), folders named by the
caller, and look or LUT files given by path.

Built-in names are reserved: a user file named ``standard.toml`` does not shadow the
built-in ``standard`` (a recipe that says ``standard`` means the same thing everywhere).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..errors import InputError, LutFormatError, ParameterError
from ..registry import Registry, canonical
from .model import Look, look_from_definition, merge_definitions

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
BUILTIN_ORDER = ("standard", "vivid", "natural", "classic", "contemporary", "portrait",
                 "landscape", "monochrome", "monochrome-deep", "monochrome-soft", "selenium",
                 "cinema-flat", "cinema-vivid", "rec709", "vlog", "neutral")
LOOK_SUFFIXES = (".toml", ".cube", ".vlt")
LUT_SUFFIXES = (".cube", ".vlt", ".png", ".tif", ".tiff")

LOOKS: Registry[Path] = Registry("look")
for _name in BUILTIN_ORDER:
    if (BUILTIN_DIR / f"{_name}.toml").exists():
        LOOKS.register(_name, BUILTIN_DIR / f"{_name}.toml")

_LOADED: dict[tuple, Look] = {}


def user_looks_dir() -> Path:
    """Where ``look import`` puts looks: $XDG_CONFIG_HOME/lsquared/looks (platformdirs)."""
    import platformdirs
    return Path(platformdirs.user_config_dir("lsquared")) / "looks"


def look_dirs(search_dirs=()) -> list[Path]:
    return [Path(d).expanduser() for d in search_dirs] + [user_looks_dir()]


def user_looks(search_dirs=()) -> dict[str, Path]:
    """User looks by name (first folder wins), built-in names excluded."""
    found: dict[str, Path] = {}
    for folder in look_dirs(search_dirs):
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            name = canonical(p.stem)
            if p.suffix.lower() in LOOK_SUFFIXES and p.is_file() and name not in LOOKS \
                    and name not in found:
                # a LUT that a .toml beside it wraps is not a look of its own
                if p.suffix.lower() != ".toml" and (p.with_suffix(".toml")).exists():
                    continue
                found[name] = p
    return found


def available_looks(search_dirs=()) -> dict[str, str]:
    """Every look name -> where it comes from ("builtin" or a file path)."""
    names = {name: "builtin" for name in LOOKS}
    names.update({name: str(p) for name, p in user_looks(search_dirs).items()})
    return names


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or "/" in spec or Path(spec).suffix.lower() in LOOK_SUFFIXES + LUT_SUFFIXES


def resolve_look(spec: Look | str | os.PathLike, search_dirs=()) -> Look:
    """A Look from a built-in or user look name, or a path to a .toml/.cube/.vlt file.

    Unknown names raise ParameterError listing the choices; bad files LutFormatError (LUTs,
    TOML syntax) or ParameterError (bad step values)."""
    if isinstance(spec, Look):
        return spec
    if isinstance(spec, os.PathLike) or _looks_like_path(str(spec)):
        path = Path(spec).expanduser()
        if not path.exists():
            raise InputError("no such look file", path=path,
                             hint="give a look name (lsquared look list) or an existing file")
        return load_look_file(path, search_dirs=search_dirs)
    name = canonical(str(spec))
    if name in LOOKS:
        return load_look_file(LOOKS[name], search_dirs=search_dirs, builtin=True)
    user = user_looks(search_dirs)
    if name in user:
        return load_look_file(user[name], search_dirs=search_dirs)
    choices = ", ".join(list(LOOKS) + sorted(user))
    raise ParameterError(f"unknown look '{spec}'; choose one of: {choices} (or give a .toml/.cube/.vlt file)")


def load_look_file(path: Path, *, search_dirs=(), builtin: bool = False, _chain: tuple = ()) -> Look:
    path = Path(path)
    if not path.is_file():
        raise InputError("not a file", path=path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, tuple(map(str, search_dirs)))
    if key in _LOADED:
        return _LOADED[key]
    suffix = path.suffix.lower()
    if suffix == ".toml":
        look = _load_toml(path, search_dirs=search_dirs, builtin=builtin, chain=_chain)
    elif suffix in LUT_SUFFIXES:
        look = look_from_definition(path.stem, f"imported from {path.name}",
                                    {"lut": {"file": str(path.resolve())}},
                                    where=str(path), source=str(path))
    else:
        raise InputError(f"unknown look file type '{path.suffix}'; use .toml, .cube or .vlt", path=path)
    _LOADED[key] = look
    return look


def _load_toml(path: Path, *, search_dirs, builtin: bool, chain: tuple) -> Look:
    if path.stat().st_size > 1 << 20:
        raise LutFormatError("look file larger than 1 MiB; not a look", path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise LutFormatError("not a text file", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise LutFormatError(f"invalid TOML: {exc}", path=path) from None
    where = str(path) if not builtin else f"built-in look {path.stem}"
    name = data.get("name", path.stem)
    description = data.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise ParameterError(f"{where}: name and description must be strings")
    parent_spec = data.get("inherits")
    definition: dict = {}
    if parent_spec is not None:
        if not isinstance(parent_spec, str):
            raise ParameterError(f"{where}: inherits must be a look name or file")
        if canonical(parent_spec) in chain or canonical(name) == canonical(parent_spec):
            raise ParameterError(f"{where}: inheritance loop through '{parent_spec}'")
        parent_path = _parent_path(parent_spec, path, search_dirs)
        parent = load_look_file(parent_path, search_dirs=search_dirs,
                                builtin=parent_path.parent == BUILTIN_DIR,
                                _chain=chain + (canonical(name),))
        definition = parent.definition()
        if parent.lut is not None:
            definition["lut"] = {**definition["lut"], "file": str(_lut_abspath(parent))}
    definition = merge_definitions(definition, data)
    return look_from_definition(name, description, definition, where=where,
                                base_dir=path.parent, source="builtin" if builtin else str(path))


def _parent_path(spec: str, child: Path, search_dirs) -> Path:
    if _looks_like_path(spec):
        p = Path(spec).expanduser()
        return p if p.is_absolute() else child.parent / p
    name = canonical(spec)
    if name in LOOKS:
        return LOOKS[name]
    user = user_looks(tuple(search_dirs) + (child.parent,))
    if name in user:
        return user[name]
    raise ParameterError(f"{child}: inherits unknown look '{spec}'; choose one of: "
                         + ", ".join(list(LOOKS) + sorted(user)))


def _lut_abspath(look: Look) -> Path:
    p = Path(look.lut.file)
    if not p.is_absolute() and look.source not in ("", "builtin"):
        p = Path(look.source).parent / p
    return p
