"""``lsquared lenses [SEARCH]``: the lenses lensfun's database can correct."""

from __future__ import annotations

import typer

from .common import DEBUG_OPTION, console


def _range(lo: float, hi: float, fmt: str = "{:g}") -> str:
    if not lo and not hi:
        return ""
    if not hi or abs(hi - lo) < 1e-6:
        return fmt.format(lo or hi)
    return f"{fmt.format(lo)}-{fmt.format(hi)}"


def lenses_command(
    search: str | None = typer.Argument(None, help="Show only lenses whose maker, model or mount contains this text (case-insensitive)."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """List the lenses lensfun's database knows: the names --lens accepts, and what each can correct."""
    from rich.table import Table

    from ..ops.lens import lens_label, search_lenses

    found = search_lenses(search)
    if not found:
        console.print(f"no lens in lensfun's database matches '{search}'")
        raise typer.Exit(1)
    table = Table(title=f"{len(found)} lenses" + (f" matching '{search}'" if search else ""), title_justify="left")
    for col in ("Lens (--lens)", "Mounts", "Focal mm", "f/", "Crop", "Dist", "TCA", "Vign"):
        table.add_column(col, no_wrap=col not in ("Lens (--lens)", "Mounts"))
    mark = {True: "[green]yes[/green]", False: "-"}
    for lens in found:
        table.add_row(lens_label(lens), ", ".join(lens.mounts), _range(lens.min_focal, lens.max_focal),
                      _range(lens.min_aperture, lens.max_aperture, "{:.1f}"), f"{lens.crop_factor:g}",
                      mark[bool(lens.calib_distortion)], mark[bool(lens.calib_tca)], mark[bool(lens.calib_vignetting)])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("lenses")(lenses_command)
