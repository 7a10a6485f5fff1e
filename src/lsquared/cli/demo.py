"""``lsquared demo``: the built-in sample, end to end, with no downloads.

A colour chart of known spectral colours, a grey wedge and fine detail are shot by the
simulated camera (lsquared.synth) and written as a real DNG; that file is then developed
like any camera file, in every built-in look, and the neutral rendering is measured against
the chart's known colours.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from .common import DEBUG_OPTION, console, err_console


def _parse_size(text: str) -> tuple[int, int]:
    from ..errors import ParameterError

    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ParameterError(f"--size must look like 1800x1200, not '{text}'") from None
    if not (64 <= w <= 12000 and 64 <= h <= 12000):
        raise ParameterError(f"--size {text} is outside 64..12000 pixels per side")
    return w, h


def demo_command(
    output: Path = typer.Option(Path("lsquared-demo"), "-o", "--output", help="Folder for the demo's files (created if missing)."),
    size: str = typer.Option("1800x1200", "--size", help="Sensor size of the simulated camera, WIDTHxHEIGHT."),
    illuminant: str = typer.Option("D65", "--illuminant", help="Light on the scene: D65, D50, A (tungsten), F2, ... or a temperature in kelvin."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Synthesize a scene with known colours, write it as a DNG and develop it in every look."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from ..errors import OutputError
    from ..looks import LOOKS
    from ..looks.preview import contact_sheet
    from ..pipeline.run import develop, save
    from ..synth.demo import make_demo_raw
    from ..synth.truth import evaluate_chart

    width, height = _parse_size(size)
    light: str | float = float(illuminant) if illuminant.replace(".", "", 1).isdigit() else illuminant
    if output.exists() and not output.is_dir():
        raise OutputError("exists and is not a folder", path=output)
    output.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    raw_path = output / "lsquared-demo.dng"
    with err_console.status("simulating the camera: spectral scene -> sensor -> DNG"):
        info = make_demo_raw(raw_path, size=(width, height), illuminant=light)
    console.print(f"[bold]scene[/bold]  {info.describe()}")
    console.print(f"[bold]raw[/bold]    {raw_path}")

    looks = list(LOOKS)
    results: list[tuple[str, Path, float]] = []
    progress = Progress(TextColumn("[bold]developing"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), console=err_console, transient=True)
    neutral_picture = None
    with progress:
        task = progress.add_task("", total=len(looks))
        for name in looks:
            progress.update(task, description=name)
            t = time.perf_counter()
            picture = develop(raw_path, look=name)
            path = save(picture, output / f"demo-{name}.jpg", overwrite=True, sidecar=(name == "standard"))
            results.append((name, path, time.perf_counter() - t))
            if name == "neutral":
                neutral_picture = picture
            progress.advance(task)
    with err_console.status("contact sheet of every look"):
        sheet = contact_sheet(raw_path, output / "looks.jpg", looks=looks, width=600)

    table = Table(title="lsquared demo: the same raw in every built-in look", title_justify="left")
    table.add_column("look")
    table.add_column("picture")
    table.add_column("time", justify="right")
    for name, path, seconds in results:
        table.add_row(name, str(path), f"{seconds:.2f} s")
    console.print(table)
    if neutral_picture is not None:
        score = evaluate_chart(neutral_picture, info.patches, space=neutral_picture.space)
        console.print(f"[bold]colour accuracy[/bold] of the neutral look against the chart's known colours: "
                      f"mean CIEDE2000 {score.mean:.2f}, max {score.max:.2f} (24 patches)")
    console.print(f"[bold]contact sheet[/bold] {sheet}")
    console.print(f"[bold]recipe[/bold] {output / 'demo-standard.jpg.toml'}  "
                  f"(replay: lsquared develop {raw_path} --recipe {output / 'demo-standard.jpg.toml'} -o again.jpg)")
    console.print(f"done in {time.perf_counter() - start:.1f} s; results in {output.resolve()}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
