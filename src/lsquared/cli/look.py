"""``lsquared look``: list, show, export, import and preview looks."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import OutputError, ParameterError
from ..io.atomic import refuse_input_as_output
from ..color.spaces import INPUT_SPACES, OUTPUT_SPACES
from ..looks.steps import ImportedLut
from .common import choices_text, default_of, shown_default

DIR_OPTION = typer.Option(None, "--dir", help="Also look for user looks in this folder (repeatable).")
FORMATS = {"cube": ".cube", "vlt": ".vlt", "haldclut": ".png"}


def register(app: typer.Typer) -> None:
    look_app = typer.Typer(help="Looks: list, show, export as .cube/.vlt/HaldCLUT, import LUTs, preview.",
                           no_args_is_help=True)
    look_app.command("list")(list_command)
    look_app.command("show")(show_command)
    look_app.command("export")(export_command)
    look_app.command("import")(import_command)
    look_app.command("preview")(preview_command)
    app.add_typer(look_app, name="look")


def list_command(dirs: Optional[list[Path]] = DIR_OPTION,
                 reference: bool = typer.Option(False, "--reference",
                                                help="Print every step and parameter a look file can use.")) -> None:
    """List the built-in looks and your own (in the config folder and --dir folders)."""
    from rich.table import Table

    from ..looks import available_looks, resolve_look, user_looks_dir
    from .common import console

    if reference:
        from ..looks.steps import parameter_reference
        console.print(parameter_reference(), markup=False)
        return

    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("look")
    table.add_column("from")
    table.add_column("description")
    for name, source in available_looks(dirs or ()).items():
        try:
            description = resolve_look(name, search_dirs=dirs or ()).description
        except Exception as exc:          # a broken user look is listed, not fatal
            description = f"[red]unreadable: {exc}[/red]"
        table.add_row(name, "built-in" if source == "builtin" else source, description)
    console.print(table)
    console.print(f"\nUser looks folder: {user_looks_dir()}")


def show_command(name: str = typer.Argument(..., help="Look name or .toml/.cube/.vlt file."),
                 dirs: Optional[list[Path]] = DIR_OPTION,
                 swatch: bool = typer.Option(True, "--swatch/--no-swatch", help="Show a colour preview.")) -> None:
    """Show a look's steps and parameters, and a preview swatch in the terminal."""
    from ..looks import resolve_look
    from ..looks.steps import STEPS, SPATIAL_STEPS
    from .common import console

    look = resolve_look(name, search_dirs=dirs or ())
    console.print(f"[bold]{look.name}[/bold]  {look.description}")
    console.print(f"from {look.source or 'builtin'}   digest {look.digest}   LUT size {look.size}"
                  + ("   monochrome" if look.monochrome_output else ""))
    d = look.definition()
    for key in list(STEPS) + list(SPATIAL_STEPS):
        if key not in d:
            continue
        entries = d[key] if isinstance(d[key], list) else [d[key]]
        for entry in entries:
            params = "  ".join(f"{k}={_fmt(v)}" for k, v in entry.items() if v != "")   # "" = unset
            console.print(f"  [cyan]{key:<11}[/cyan] {params}")
    if swatch:
        _print_swatch(look, console)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else repr(v) if isinstance(v, str) else str(v)


def _print_swatch(look, console) -> None:
    """Rows: a grey ramp from -6 to +4 stops around middle grey, then colour patches
    (a ColorChecker's first 18) at three exposures, through the look, as truecolor cells."""
    import numpy as np
    from rich.text import Text

    from ..looks import sample_look
    from ..looks.preview import swatch_scene

    rows = swatch_scene()
    out = np.clip(sample_look(look, rows.reshape(-1, 3), "srgb"), 0, 1).reshape(rows.shape)
    codes = np.rint(out * 255).astype(int)
    for row in codes:
        text = Text()
        for r, g, b in row:
            text.append("  ", style=f"on rgb({r},{g},{b})")
        console.print(text)


def export_command(
    name: str = typer.Argument(..., help="Look name or .toml/.cube/.vlt file."),
    fmt: str = typer.Option("cube", "--format", metavar="FORMAT", help=f"LUT file format: {', '.join(FORMATS)}."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    size: Optional[int] = typer.Option(None, "--size", metavar="N", help="Grid points per axis." + shown_default("the look's (33), 17 for vlt, 64 for haldclut")),
    output_space: str = typer.Option("srgb", "--output-space", metavar="SPACE", help=f"What the LUT produces: {', '.join((*OUTPUT_SPACES, 'rec709', 'vlog'))} (rec709: video)."),
    input_space: Optional[str] = typer.Option(None, "--input-space", metavar="SPACE", help=f"What the LUT takes: {', '.join(INPUT_SPACES)}." + shown_default("vlog; srgb for haldclut")),
    dirs: Optional[list[Path]] = DIR_OPTION,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file."),
) -> None:
    """Export a look as a .cube, Panasonic .vlt or HaldCLUT PNG file."""
    from ..looks import resolve_look
    from ..looks.export import export_look
    from .common import console

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ParameterError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    refuse_input_as_output(output, [name])
    if output.exists() and not overwrite:
        raise OutputError("exists; use --overwrite to replace it", path=output)
    look = resolve_look(name, search_dirs=dirs or ())
    refuse_input_as_output(output, [look.source] if getattr(look, "source", None) else [])
    written = export_look(look, output, fmt, size=size, output_space=output_space, input_space=input_space)
    console.print(f"wrote {written}")


def import_command(
    file: Path = typer.Argument(..., help="A .cube (1D or 3D) or .vlt file."),
    name: str = typer.Option(..., "--name", help="Name of the new look (letters, digits, - and _)."),
    input_space: str = typer.Option(default_of(ImportedLut, "input_space"), "--input-space", metavar="SPACE", help=f"What the LUT takes: {choices_text(ImportedLut, 'input_space')}."),
    output_space: str = typer.Option(default_of(ImportedLut, "output_space"), "--output-space", metavar="SPACE", help=f"What it produces: {choices_text(ImportedLut, 'output_space')}."),
    description: str = typer.Option("", "--description", help="One line about the look."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a user look of that name."),
) -> None:
    """Make a LUT file a look of your own (copied into the user looks folder)."""
    from ..looks.export import import_lut
    from .common import console

    path = import_lut(file, name, input_space=input_space, output_space=output_space,
                      description=description, overwrite=overwrite)
    console.print(f"imported look '{name}' -> {path}")


def preview_command(
    input: Path = typer.Argument(..., help="A raw file or an image (JPEG/PNG/TIFF)."),
    output: Path = typer.Option(..., "-o", "--output", help="Contact sheet to write (.jpg or .png)."),
    looks: Optional[str] = typer.Option(None, "--looks", metavar="LOOKS", help="Comma-separated looks." + shown_default("all")),
    width: int = typer.Option(480, "--width", min=64, max=4000, help="Width of each picture."),
    input_space: Optional[str] = typer.Option(None, "--input-space", help="Colour space of an image input (srgb, display-p3, rec709, rec2020, vlog)."),
    dirs: Optional[list[Path]] = DIR_OPTION,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file."),
) -> None:
    """Render one picture in every look as a labelled contact sheet."""
    from ..looks.preview import contact_sheet
    from .common import console

    refuse_input_as_output(output, [input])
    if output.exists() and not overwrite:
        raise OutputError("exists; use --overwrite to replace it", path=output)
    names = [n.strip() for n in looks.split(",") if n.strip()] if looks else None
    written = contact_sheet(input, output, looks=names, width=width, input_space=input_space,
                            search_dirs=dirs or ())
    console.print(f"wrote {written}")
