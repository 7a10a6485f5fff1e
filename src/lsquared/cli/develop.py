"""``lsquared develop``: raw files (or rendered images) to finished pictures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from ..errors import LsquaredError, OutputError
from ..io.atomic import refuse_input_as_output
from ..ops.demosaic import DemosaicParams
from ..ops.params import (WHITE_BALANCE_PRESETS as WB_PRESETS, DenoiseParams, ExposureParams, HighlightParams,
                          LensParams, SharpenParams, WhiteBalanceParams)
from ..pipeline.recipe import InputParams, LookParams, OutputParams, Recipe
from .common import DEBUG_OPTION, choices_text, console, default_of, err_console, shown_default

FORMAT_SUFFIX = {"jpeg": ".jpg", "tiff": ".tif", "png": ".png", "heif": ".heic", "avif": ".avif"}
SUFFIX_FORMAT = {".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff", ".png": "png",
                 ".heic": "heif", ".heif": "heif", ".avif": "avif"}


def _output_paths(inputs: list[Path], out: Optional[Path], fmt: str) -> list[Path]:
    """One output path per input: OUT itself for a single input with a file name, else OUT/<stem>.<ext>."""
    suffix = FORMAT_SUFFIX[fmt]
    if len(inputs) == 1 and out is not None and not out.is_dir() and out.suffix:
        return [out]
    folder = out if out is not None else Path.cwd()
    if len(inputs) > 1 and out is not None and not out.is_dir() \
            and (out.exists() or out.suffix.lower() in SUFFIX_FORMAT):
        raise OutputError("several inputs need an output folder, not a file name", path=out,
                          hint="give -o a folder (created if missing), or develop one input at a time")
    stems = [p.stem.lower() for p in inputs]
    paths = []
    for p in inputs:
        name = p.stem if stems.count(p.stem.lower()) == 1 else p.name   # a.rw2 and a.dng -> a.rw2.jpg
        paths.append(folder / f"{name}{suffix}")
    return paths


def develop_command(
    inputs: list[Path] = typer.Argument(..., metavar="INPUT", help="Raw files (DNG, RW2, CR2, NEF, ARW, any format LibRaw reads) or rendered JPEG/PNG/TIFF/HEIF images."),
    output_text: Optional[str] = typer.Option(None, "-o", "--output", metavar="PATH", help="Output file (one input) or folder (several inputs; created if missing)." + shown_default("the current folder")),
    look: Optional[str] = typer.Option(None, "--look", metavar="LOOK", help="A look by name (see 'lsquared look list') or a look/LUT file (.toml, .cube, .vlt)." + shown_default(default_of(LookParams, "name"))),
    wb: Optional[str] = typer.Option(None, "--wb", metavar="MODE|K", help=f"White balance: as-shot, auto (estimated from the picture), a preset ({', '.join(WB_PRESETS)}) or a temperature in kelvin (e.g. 5500)." + shown_default(default_of(WhiteBalanceParams, "mode"))),
    tint: Optional[float] = typer.Option(None, "--tint", metavar="TINT", help=f"Tint for --wb presets and temperatures, + magenta, - green ({choices_text(WhiteBalanceParams, 'tint')})." + shown_default(default_of(WhiteBalanceParams, "tint"))),
    exposure: Optional[str] = typer.Option(None, "--exposure", metavar="EV|auto", help=f"Exposure compensation in stops ({choices_text(ExposureParams, 'ev')}, e.g. +0.7), auto (measured from the picture, highlights kept) or auto+EV." + shown_default("0, plus the file's baseline exposure")),
    demosaic: Optional[str] = typer.Option(None, "--demosaic", metavar="METHOD", help=f"Demosaic method: {choices_text(DemosaicParams, 'method')}." + shown_default(default_of(DemosaicParams, "method"))),
    highlights: Optional[str] = typer.Option(None, "--highlights", metavar="MODE", help=f"Clipped highlights: {choices_text(HighlightParams, 'mode')}." + shown_default(default_of(HighlightParams, "mode"))),
    denoise: Optional[str] = typer.Option(None, "--denoise", metavar="auto|off|S", help=f"Noise reduction: auto (from the sensor's measured noise), off, or a strength {choices_text(DenoiseParams, 'luma')} (1 = nominal)." + shown_default(default_of(DenoiseParams, "mode"))),
    lens: Optional[str] = typer.Option(None, "--lens", metavar="auto|off|LENS", help="Lens corrections: auto (the file's lens), off, or a lens name from 'lsquared lenses'." + shown_default(default_of(LensParams, "mode"))),
    focal_length: Optional[float] = typer.Option(None, "--focal-length", metavar="MM", help=f"Focal length in mm for lens corrections ({choices_text(LensParams, 'focal_length')})." + shown_default("the file's")),
    aperture: Optional[float] = typer.Option(None, "--aperture", metavar="F", help=f"F-number for vignetting correction ({choices_text(LensParams, 'aperture')})." + shown_default("the file's")),
    sharpen: Optional[str] = typer.Option(None, "--sharpen", metavar="AMOUNT|off", help=f"Capture sharpening: an amount {choices_text(SharpenParams, 'amount')} (0.5 usual, 1 strong) or off." + shown_default("the look's")),
    fmt: Optional[str] = typer.Option(None, "--format", metavar="FORMAT", help=f"Output format: {', '.join(FORMAT_SUFFIX)}." + shown_default("from the output's suffix, else jpeg")),
    quality: Optional[int] = typer.Option(None, "--quality", metavar="Q", help=f"Encoder quality {choices_text(OutputParams, 'quality')} (JPEG, HEIF, AVIF)." + shown_default("the format's")),
    bit_depth: Optional[int] = typer.Option(None, "--bit-depth", metavar="BITS", help="8 or 16 bits per channel (16: PNG, TIFF; HEIF as 10)." + shown_default("16 for TIFF, else 8")),
    output_space: Optional[str] = typer.Option(None, "--output-space", metavar="SPACE", help=f"Colour space of the picture: {choices_text(OutputParams, 'space')} (rec709 to match video)." + shown_default(default_of(OutputParams, "space"))),
    input_space: Optional[str] = typer.Option(None, "--input-space", metavar="SPACE", help=f"Colour space of a rendered input image: {choices_text(InputParams, 'space')}." + shown_default("from its ICC profile, else srgb")),
    recipe_file: Optional[Path] = typer.Option(None, "--recipe", metavar="FILE", help="Read every parameter from a recipe (TOML); options given here override it."),
    sidecar: bool = typer.Option(True, "--sidecar/--no-sidecar", help="Write the full recipe beside each output as <output>.toml."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files (never an input)."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Develop camera RAW files (or rendered images) into finished pictures."""
    from ..color.spaces import INPUT_SPACES, OUTPUT_SPACES, SPACES
    from ..errors import ParameterError
    from ..pipeline.recipe import load_recipe
    from ..pipeline.run import apply_overrides, develop, save

    if output_text is not None and not output_text.strip():
        raise ParameterError("-o/--output is empty; give a file name, or a folder for several inputs")
    output = Path(output_text) if output_text is not None else None
    base = load_recipe(recipe_file) if recipe_file else Recipe()
    choices = (*OUTPUT_SPACES, "rec709")
    if output_space is not None and (output_space not in SPACES or SPACES.validate(output_space) not in choices):
        raise ParameterError(f"unknown output space '{output_space}'; choose one of: {', '.join(choices)}")
    if input_space is not None and (input_space not in SPACES or SPACES.validate(input_space) not in INPUT_SPACES):
        raise ParameterError(f"unknown input space '{input_space}'; choose one of: {', '.join(INPUT_SPACES)}")
    if fmt is not None and fmt.lower() not in FORMAT_SUFFIX and fmt.lower() not in ("jpg", "tif", "heic"):
        raise ParameterError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMAT_SUFFIX)}")
    fmt = {"jpg": "jpeg", "tif": "tiff", "heic": "heif"}.get((fmt or "").lower(), (fmt or "").lower()) or None
    if fmt is None and output is not None and len(inputs) == 1 and output.suffix.lower() in SUFFIX_FORMAT:
        fmt = SUFFIX_FORMAT[output.suffix.lower()]
    if output is not None and output.suffix and not output.is_dir() and len(inputs) == 1 \
            and output.suffix.lower() not in SUFFIX_FORMAT:
        raise ParameterError(f"unknown output suffix '{output.suffix}'; use .jpg, .tif, .png, .heic or .avif")
    fmt = fmt or base.output.format or "jpeg"
    recipe = apply_overrides(
        base, look=look, wb=wb, tint=tint, exposure=exposure, demosaic=demosaic, highlights=highlights,
        denoise=denoise, lens=lens, focal_length=focal_length, aperture=aperture, sharpen=sharpen,
        format=fmt, quality=quality, bit_depth=bit_depth,
        output_space=SPACES.validate(output_space) if output_space else None,
        input_space=SPACES.validate(input_space) if input_space else None)
    # validate names before any work, so a typo fails at once
    _validate(recipe)

    outputs = _output_paths(inputs, output, fmt)
    if len(inputs) > 1 and output is not None and not output.exists():
        output.mkdir(parents=True)
    failures: list[str] = []
    many = len(inputs) > 1
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("[bold]developing"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), TextColumn("{task.description}"),
                        console=err_console, transient=True, disable=not many)
    with progress:
        task = progress.add_task("", total=len(inputs))
        for src, dst in zip(inputs, outputs):
            progress.update(task, description=src.name)
            start = time.perf_counter()
            try:
                refuse_input_as_output(dst, inputs)
                if dst.exists() and not overwrite:
                    raise OutputError("already exists", path=dst, hint="use --overwrite to replace it")
                picture = develop(src, recipe)
                written = save(picture, dst, overwrite=overwrite, sidecar=sidecar)
            except Exception as exc:
                # several inputs: every failure is reported and the rest still developed; an
                # unexpected exception is a bug, shown in full with --debug
                from .main import debug_enabled

                if not many or (not isinstance(exc, LsquaredError) and debug_enabled()):
                    raise
                if isinstance(exc, LsquaredError):
                    failures.append(exc.one_line() if exc.path else f"{src}: {exc.one_line()}")
                else:
                    failures.append(f"{src}: internal error ({type(exc).__name__}: {exc}); "
                                    "a bug: rerun it alone with --debug and report the traceback")
                err_console.print(f"[red]failed[/red] {failures[-1]}", markup=True, highlight=False)
            else:
                for note in picture.warnings:
                    err_console.print(f"[yellow]note[/yellow] {note}", highlight=False)
                console.print(f"{src} -> {written}  ({time.perf_counter() - start:.2f} s)", highlight=False)
            progress.advance(task)
    if failures:
        err_console.print(f"lsquared: error: {len(failures)} of {len(inputs)} inputs failed:", highlight=False)
        for line in failures:
            err_console.print(f"  {line}", highlight=False, markup=False)
        raise typer.Exit(1)


def _validate(recipe: Recipe) -> None:
    from ..looks import resolve_look
    from ..ops.demosaic import DEMOSAIC_METHODS
    from ..ops.params import HIGHLIGHT_METHODS

    DEMOSAIC_METHODS.validate(recipe.demosaic.method)
    HIGHLIGHT_METHODS.validate(recipe.highlights.mode)
    resolve_look(recipe.look.name)


def register(app: typer.Typer) -> None:
    app.command("develop", no_args_is_help=True)(develop_command)
