"""Looks to files and files to looks: export as .cube/.vlt/HaldCLUT, import a LUT as a look."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import tomli_w

from ..errors import OutputError, ParameterError
from ..io import lutfile
from ..io.atomic import atomic_write_bytes
from .compile import compile_look, sample_look
from .library import LOOKS, resolve_look, user_looks_dir
from .model import Look
from .steps import ImportedLut, choices_of

EXPORT_DEFAULT_SIZE = {"vlt": 17, "haldclut": 64}


def export_look(look: Look, path: str | os.PathLike, fmt: str, *, size: int | None = None,
                output_space: str = "srgb", input_space: str | None = None) -> Path:
    """Write ``look`` as a LUT file: ``fmt`` cube | vlt | haldclut.

    The LUT takes V-Log/V-Gamut (``input_space`` "vlog") unless asked otherwise; a HaldCLUT
    defaults to sRGB input, since RawTherapee and darktable apply it to sRGB pictures.
    Spatial steps (grain, vignette) depend on the pixel's position and are not in the file."""
    path = Path(path)
    if fmt == "cube":
        lut = compile_look(look, output_space, size, input_space=input_space or "vlog")
        in_name = "V-Log/V-Gamut" if lut.input_space == "vlog" else lut.input_space
        comments = (f"lsquared look '{look.name}' (digest {look.digest})",
                    f"input: {in_name}; output: {lut.output_space} display-encoded",
                    "apply with tetrahedral interpolation")
        lutfile.write_cube(path, lut.table, title=look.name, comments=comments)
    elif fmt == "vlt":
        # the .vlt's own node positions: 0, 256, ..., 3840, 4095 of 4095
        n = size or EXPORT_DEFAULT_SIZE["vlt"]
        if not 2 <= n <= 65:
            raise ParameterError(f"a .vlt holds 2..65 points per axis (cameras want 17), not {n}")
        axis = lutfile.vlt_nodes(n)
        r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
        table = sample_look(look, np.stack([r, g, b], -1), output_space, input_space or "vlog")
        lutfile.write_vlt(path, table)      # source "": the camera wants a file name or nothing
    elif fmt == "haldclut":
        n = size or EXPORT_DEFAULT_SIZE["haldclut"]
        try:
            lutfile.haldclut_level(n)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
        lut = compile_look(look, output_space, n, input_space=input_space or "srgb")
        lutfile.write_haldclut(path, lut.table)
    else:
        raise ParameterError(f"unknown LUT format '{fmt}'; choose one of: cube, vlt, haldclut")
    return path


def valid_look_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name):
        raise ParameterError(f"look name '{name}' must be letters, digits, '-' and '_' (64 at most)")
    if name.lower().replace("_", "-") in LOOKS:
        raise ParameterError(f"'{name}' is a built-in look; choose another name")
    return name


def import_lut(file: str | os.PathLike, name: str, *, input_space: str = "vlog",
               output_space: str = "srgb", description: str = "", overwrite: bool = False,
               folder: str | os.PathLike | None = None) -> Path:
    """Copy a .cube/.vlt into the user looks folder as look ``name`` (NAME.toml + the LUT).

    The LUT is read (and so validated) first; nothing is written if it is malformed."""
    valid_look_name(name)
    for value, field in ((input_space, "input_space"), (output_space, "output_space")):
        if value not in choices_of(ImportedLut, field):
            raise ParameterError(f"unknown {field.replace('_', ' ')} '{value}'; choose one of: "
                                 + ", ".join(choices_of(ImportedLut, field)))
    src = Path(file)
    if src.suffix.lower() not in (".cube", ".vlt"):
        raise ParameterError(f"{src}: import takes a .cube or .vlt file")
    data = lutfile.read_lut(src)
    dest = Path(folder) if folder is not None else user_looks_dir()
    dest.mkdir(parents=True, exist_ok=True)
    toml_path = dest / f"{name}.toml"
    lut_path = dest / f"{name}{src.suffix.lower()}"
    if (toml_path.exists() or lut_path.exists()) and not overwrite:
        raise OutputError(f"a user look named '{name}' exists; use --overwrite to replace it",
                          path=toml_path)
    definition = {"name": name,
                  "description": description or f"imported from {src.name}"
                                 + (f" ({data.title})" if data.title else ""),
                  "lut": {"file": lut_path.name, "input_space": input_space,
                          "output_space": output_space}}
    lut_bytes = src.read_bytes()
    atomic_write_bytes(lut_path, lut_bytes, overwrite=True, inputs=(src,))
    atomic_write_bytes(toml_path, tomli_w.dumps(definition).encode(), overwrite=True)
    resolve_look(toml_path)               # it loads: the file and its TOML agree
    return toml_path
