"""develop: a camera RAW (or a rendered image) to a finished picture; save: the picture to a file.

The order of the steps is the block diagram of DESIGN.md:

  raw:   levels -> white balance -> highlights -> denoise -> demosaic -> lens -> sharpen ->
         [camera -> V-Gamut, exposure, V-Log, look LUT, quantize: one fused pass]
         -> look's spatial steps -> orientation
  image: decode transfer -> [image space -> V-Gamut, exposure, V-Log, look LUT, quantize]

Every step is a pure function from lsquared.ops; this module only chains them, resolves the
recipe (white balance neutral, look digest) and records how long each step took.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, ParameterError
from ..frame import Encoding, Exif, Frame
from ..ops.color import camera_to_working_matrix, image_to_working_matrix
from ..ops.demosaic import demosaic
from ..ops.denoise import denoise, parse_denoise
from ..ops.exposure import exposure_gain, parse_exposure, resolve_exposure
from ..ops.highlights import highlights
from ..ops.lens import lens, parse_lens
from ..ops.levels import levels
from ..orientation import orient
from ..ops.sharpen import parse_sharpen, resolve_sharpen, sharpen
from ..ops.white_balance import parse_white_balance, white_balance
from .recipe import Recipe

REFERENCE_LOOK = "standard"     # the default look: what "as bright as the camera's picture" is measured with
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif", ".avif", ".webp"}
_FLAT_OVERRIDES = {
    "look": "look__name",
    "lut_size": "look__lut_size",
    "demosaic": "demosaic__method",
    "highlights": "highlights__mode",
    "focal_length": "lens__focal_length",
    "aperture": "lens__aperture",
    "format": "output__format",
    "quality": "output__quality",
    "output_space": "output__space",
    "bit_depth": "output__bit_depth",
    "input_space": "input__space",
}


class Picture(np.ndarray):
    """A developed picture: an (H, W, 3) uint8/uint16 array, or (H, W) where the develop is
    grey (a neutral look, ops.grey), display-encoded in ``space``,
    carrying what ``save`` needs (EXIF, colour space) and how it was made (the resolved recipe,
    the time each step took, warnings)."""

    exif: Exif
    space: str
    recipe: Recipe
    source: str
    timings: dict[str, float]
    warnings: tuple[str, ...]

    def __new__(cls, pixels: np.ndarray, *, exif: Exif, space: str, recipe: Recipe, source: str,
                timings: dict[str, float], warnings: tuple[str, ...] = ()):
        obj = np.asarray(pixels).view(cls)
        obj.exif, obj.space, obj.recipe, obj.source = exif, space, recipe, source
        obj.timings, obj.warnings = timings, warnings
        return obj

    def __array_finalize__(self, obj):
        if obj is None:
            return
        for name, default in (("exif", Exif()), ("space", "srgb"), ("recipe", None), ("source", ""),
                              ("timings", {}), ("warnings", ())):
            setattr(self, name, getattr(obj, name, default))


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        yield
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def apply_overrides(recipe: Recipe | None, **overrides: Any) -> Recipe:
    """A recipe with keyword overrides: flat names (look=, exposure=, wb=, demosaic=, ...) or
    ``section__field=value``; None values are ignored."""
    recipe = recipe or Recipe()
    wb = overrides.pop("wb", None)
    tint = overrides.pop("tint", None)
    if wb is not None:
        recipe = recipe.replace(white_balance=parse_white_balance(str(wb), tint or 0.0))
    elif tint is not None:
        recipe = recipe.with_overrides(white_balance__tint=float(tint))
    exposure = overrides.pop("exposure", None)       # stops, "auto" or "auto+0.5"
    if exposure is not None:                         # re-measured if auto; baseline kept
        parsed = parse_exposure(str(exposure))
        recipe = recipe.replace(exposure=dataclasses.replace(recipe.exposure, ev=parsed.ev, auto=parsed.auto,
                                                             auto_ev=None))
    for section, parse in (("denoise", parse_denoise), ("lens", parse_lens), ("sharpen", parse_sharpen)):
        value = overrides.pop(section, None)      # "auto" | "off" | a strength / lens name / amount
        if value is not None:
            recipe = recipe.replace(**{section: parse(str(value)) if isinstance(value, (str, int, float)) else value})
    mapped: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in _FLAT_OVERRIDES:
            mapped[_FLAT_OVERRIDES[key]] = value
        elif "__" in key:
            mapped[key] = value
        else:
            raise ParameterError(f"unknown develop option '{key}'")
    return recipe.with_overrides(**mapped)


def is_rendered_image(path: Path) -> bool:
    """A JPEG/PNG/TIFF/... picture rather than a raw file (a DNG is TIFF-based: check its tags)."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return False
    if path.suffix.lower() in (".tif", ".tiff"):
        try:
            import tifffile

            with tifffile.TiffFile(path) as tif:
                return 50706 not in tif.pages[0].tags       # DNGVersion
        except Exception:
            return True
    return True


def output_dtype(recipe: Recipe) -> np.dtype:
    depth = recipe.output.bit_depth
    if depth is None:
        depth = 16 if (recipe.output.format or "").lower() in ("tiff", "tif") else 8
    if depth not in (8, 16):
        raise ParameterError(f"output bit depth must be 8 or 16, not {depth}")
    return np.dtype(np.uint8 if depth == 8 else np.uint16)


def _compile_look(recipe: Recipe, watch: _Stopwatch):
    from ..looks import compile_look, resolve_look

    with watch("look compile"):
        look = resolve_look(recipe.look.name)
        lut = compile_look(look, output_space=recipe.output.space, size=recipe.look.lut_size)
    recipe = recipe.replace(look=dataclasses.replace(recipe.look, digest=look.digest))
    return look, lut, recipe


def _finish(linear: np.ndarray, matrix: np.ndarray, look, lut, recipe: Recipe, orientation: int,
            watch: _Stopwatch) -> np.ndarray:
    """The fused tail, the look's spatial steps, orientation."""
    from ..kernels.tail import render

    dtype = output_dtype(recipe)
    spatial = getattr(look, "spatial", ())
    with watch("color + look"):
        if spatial:
            from ..looks import apply_spatial

            display = render(linear, matrix, lut.table, np.float32)
            display = apply_spatial(display, look, seed=recipe.look.seed)
            scale = np.iinfo(dtype).max
            pixels = (np.clip(display, 0.0, 1.0) * scale + 0.5).astype(dtype)
        else:
            pixels = render(linear, matrix, lut.table, dtype)
    with watch("orient"):
        pixels = np.ascontiguousarray(orient(pixels, orientation))
    return pixels


def _grey_if_neutral(pixels: np.ndarray, lut, *, mono_input: bool) -> np.ndarray:
    """One channel (the luma) where the compiled look maps every input this develop can feed it
    to R = G = B (ops.grey): monochrome looks, any neutral look on a monochrome sensor."""
    from ..ops.grey import lut_is_neutral, to_grey

    if pixels.ndim != 3 or lut.output_space == "vlog" or not lut_is_neutral(lut.table, diagonal_only=mono_input):
        return pixels
    return to_grey(pixels, lut.output_space)


def develop_frame(frame: Frame, recipe: Recipe | None = None) -> Picture:
    """Develop a Frame from ``open_raw`` (Encoding.RAW) with a recipe."""
    recipe = recipe or Recipe()
    watch = _Stopwatch()
    look, lut, recipe = _compile_look(recipe, watch)
    with watch("levels"):
        frame = levels(frame)
    with watch("white balance"):
        frame, wb = white_balance(frame, recipe.white_balance)
    recipe = recipe.replace(white_balance=wb)
    with watch("highlights"):
        frame = highlights(frame, recipe.highlights)
    with watch("denoise"):
        frame, dn = denoise(frame, recipe.denoise)
    recipe = recipe.replace(denoise=dn)
    if frame.meta.encoding is Encoding.CFA:
        with watch("demosaic"):
            frame = demosaic(frame, recipe.demosaic)
    with watch("lens"):
        frame, lp = lens(frame, recipe.lens)
    recipe = recipe.replace(lens=lp, sharpen=resolve_sharpen(recipe.sharpen, recipe.look.name))
    with watch("sharpen"):
        frame = sharpen(frame, recipe.sharpen, in_place=True)    # every array after levels is ours
    matrix = camera_to_working_matrix(frame.meta, wb.neutral, recipe.color)
    with watch("exposure"):
        recipe = recipe.replace(exposure=resolve_exposure(frame.data, matrix, recipe.exposure, lut.table))
        recipe = recipe.replace(exposure=_resolve_baseline(frame, matrix, recipe.exposure))
    matrix = matrix * exposure_gain(frame.meta, recipe.exposure)
    pixels = _finish(frame.data, matrix, look, lut, recipe, frame.meta.orientation, watch)
    pixels = _grey_if_neutral(pixels, lut, mono_input=frame.data.ndim == 2)
    return Picture(pixels, exif=frame.meta.exif, space=lut.output_space, recipe=recipe,
                   source=frame.meta.source, timings=watch.timings, warnings=frame.meta.warnings)


def _resolve_baseline(frame: Frame, matrix: np.ndarray, params):
    """The camera's headroom compensation (ops.exposure.resolve_baseline), with what the file
    says of its own rendering (io.preview) and the default look's LUT to render through."""
    from ..ops.exposure import resolve_baseline

    if params.auto or not params.baseline or params.baseline_ev is not None:
        return params
    from ..io.preview import camera_rendering
    from ..looks import compile_look, resolve_look

    table = compile_look(resolve_look(REFERENCE_LOOK), output_space="srgb").table
    if frame.meta.source and Path(frame.meta.source).is_file():
        rendering = camera_rendering(frame.meta.source)
        return resolve_baseline(frame.data, matrix, params, table, rendering.preview, rendering.baseline_exposure)
    # a Frame made in memory: only what its metadata says
    return resolve_baseline(frame.data, matrix, params, table, None, frame.meta.baseline_exposure)


def develop_image(path: Path, recipe: Recipe | None = None) -> Picture:
    """Develop an already rendered picture: only the look and output steps apply."""
    from ..color.spaces import SPACES
    from ..color.transfer import decode
    from ..io.image import read_image

    recipe = recipe or Recipe()
    watch = _Stopwatch()
    look, lut, recipe = _compile_look(recipe, watch)
    with watch("decode"):
        pixels, icc_space, exif = read_image(path)
    warnings: tuple[str, ...] = ()
    space_name = recipe.input.space or icc_space
    if space_name is None:
        space_name = "srgb"
        warnings += (f"{path.name}: no ICC profile and no --input-space; assuming sRGB",)
    space = SPACES[space_name]
    with watch("linearize"):
        linear = decode(pixels, space.transfer).astype(np.float32)
    matrix = image_to_working_matrix(space.name, recipe.color)
    with watch("exposure"):
        recipe = recipe.replace(exposure=resolve_exposure(linear, matrix, recipe.exposure, lut.table))
    matrix = matrix * exposure_gain_image(recipe)
    recipe = recipe.replace(input=dataclasses.replace(recipe.input, space=space.name))
    out = _finish(linear, matrix, look, lut, recipe, 1, watch)
    out = _grey_if_neutral(out, lut, mono_input=False)
    return Picture(out, exif=exif, space=lut.output_space, recipe=recipe, source=str(path),
                   timings=watch.timings, warnings=warnings)


def exposure_gain_image(recipe: Recipe) -> float:
    from ..frame import FrameMeta

    return exposure_gain(FrameMeta(), recipe.exposure)


def develop(source: str | Path | Frame, recipe: Recipe | None = None, **overrides: Any) -> Picture:
    """Develop a raw file, a Frame from ``open_raw``, or a rendered image into a Picture.

    ``recipe`` holds every parameter (default: ``Recipe()``); keyword overrides change single
    values: ``look``, ``wb`` (as-shot | auto | a preset | kelvin), ``tint``, ``exposure`` (EV,
    ``"auto"`` or ``"auto+0.5"``),
    ``demosaic``, ``highlights``, ``denoise`` (auto | off | strength), ``lens`` (auto | off |
    a lensfun name), ``focal_length``, ``aperture``, ``sharpen`` (off | amount),
    ``output_space``, ``format``, ``quality``, ``bit_depth``, ``input_space``, or
    ``section__field`` for anything in the recipe.
    The result is an array (H, W, 3) of uint8 (uint16 for 16-bit formats) with ``.recipe``
    holding the resolved recipe that replays it exactly."""
    recipe = apply_overrides(recipe, **overrides)
    if isinstance(source, Frame):
        return develop_frame(source, recipe)
    path = Path(source)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a file", path=path)
    if is_rendered_image(path):
        return develop_image(path, recipe)
    from ..io.raw import open_raw

    watch = _Stopwatch()
    with watch("decode"):
        frame = open_raw(path)
    picture = develop_frame(frame, recipe)
    picture.timings = {**watch.timings, **picture.timings}
    return picture


def save(picture: Picture, path: str | Path, *, format: str | None = None, quality: int | None = None,
         overwrite: bool = False, sidecar: bool = False) -> Path:
    """Write a developed picture with its EXIF and the output space's ICC profile (atomically).

    With ``sidecar=True`` the resolved recipe is written beside it as ``<name>.toml``."""
    from ..io.image import write_image
    from .recipe import write_recipe

    recipe = getattr(picture, "recipe", None)
    fmt = format or (recipe.output.format if recipe else None)
    q = quality if quality is not None else (recipe.output.quality if recipe else None)
    path = Path(path)
    written = write_image(path, np.asarray(picture), format=fmt, quality=q,
                          exif=getattr(picture, "exif", None), space=getattr(picture, "space", "srgb"),
                          overwrite=overwrite)
    if sidecar and recipe is not None:
        write_recipe(recipe, sidecar_path(written), source=getattr(picture, "source", None))
    return written


def sidecar_path(output: Path) -> Path:
    return output.with_name(output.name + ".toml")
