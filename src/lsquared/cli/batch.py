"""``lsquared batch``: develop folders of raw files on every core, or on a Dask cluster;
resumable (a manifest in the output folder), with a contact-sheet report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import DEBUG_OPTION, console, err_console

# a per-file peak of about 32 bytes per pixel plus the interpreter and libraries (measured:
# 765 MB for 24 MP, 1.4 GB for the 60 MP monochrome file, docs/benchmarks.md)
PEAK_BYTES_PER_PIXEL = 32
PEAK_BASE_BYTES = 200 << 20


def batch_command(
    sources: list[Path] = typer.Argument(..., metavar="SRC...", help="Raw files or folders of them (and rendered pictures)."),
    output: Path = typer.Option(..., "-o", "--output", help="Output folder (created if missing); holds the manifest that makes the batch resumable."),
    look: Optional[str] = typer.Option(None, "--look", help="Look name or look/LUT file. [default: the recipe's, else standard]"),
    recipe_file: Optional[Path] = typer.Option(None, "--recipe", help="Batch recipe (TOML, as develop's). A <input>.toml beside an input overrides it for that file."),
    fmt: Optional[str] = typer.Option(None, "--format", help="jpeg, tiff, png, heif or avif. [default: jpeg]"),
    quality: Optional[int] = typer.Option(None, "--quality", min=1, max=100, help="Encoder quality 1-100."),
    name: str = typer.Option("{stem}.{ext}", "--name", help="Output file name: {stem}, {name}, {suffix}, {look}, {ext}."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include subfolders (mirrored in the output folder)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", min=1, help="Local worker processes. [default: one per core, fewer if memory is short]"),
    memory: Optional[float] = typer.Option(None, "--memory", min=0.1, help="Memory in GB the local workers may use together; fewer workers if a file's peak times the workers exceeds it. [default: the memory available now]"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="A Dask scheduler (tcp://HOST:PORT) to run on; paths must be the same on every worker."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write an HTML contact sheet (thumbnails, EXIF, times, failures)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be done; write nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary on stdout at the end."),
    sidecar: bool = typer.Option(True, "--sidecar/--no-sidecar", help="Write each output's recipe beside it as <output>.toml."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing files in the output folder that this batch did not write."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Try again files that failed before although nothing changed."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Develop many files: every core (or a Dask cluster), resumable, errors never stop the batch."""
    from ..batch.manifest import Manifest
    from ..batch.plan import check_name_template, collect_inputs, plan_batch
    from ..errors import OutputError, ParameterError
    from ..pipeline.recipe import Recipe, load_recipe
    from ..pipeline.run import apply_overrides
    from .develop import FORMAT_SUFFIX, _validate

    base = load_recipe(recipe_file) if recipe_file else Recipe()
    if fmt is not None:
        fmt = {"jpg": "jpeg", "tif": "tiff", "heic": "heif"}.get(fmt.lower(), fmt.lower())
        if fmt not in FORMAT_SUFFIX:
            raise ParameterError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMAT_SUFFIX)}")
    base = apply_overrides(base, look=look, format=fmt or base.output.format or "jpeg", quality=quality)
    _validate(base)

    def ext_of(recipe) -> str:
        f = (recipe.output.format or "jpeg").lower()
        if f not in FORMAT_SUFFIX:
            raise ParameterError(f"unknown output format '{f}'; choose one of: {', '.join(FORMAT_SUFFIX)}")
        return FORMAT_SUFFIX[f].lstrip(".")

    if output.exists() and not output.is_dir():
        raise OutputError("is a file; batch needs an output folder", path=output)
    check_name_template(name)                 # the command's own errors before any folder is made
    inputs = collect_inputs(sources, recursive=recursive, outdir=output)
    early: dict = {}
    if scheduler and not dry_run:            # an unreachable scheduler fails before any folder is made
        early["engine"] = _engine([], workers, memory, scheduler)
    if not dry_run:
        output.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(output, readonly=dry_run)

    def start_workers(new_inputs: list[Path]) -> None:
        """New or changed inputs: start the local workers while they are hashed."""
        if not dry_run and not scheduler:
            early["engine"] = _local_engine(new_inputs, workers, memory)
            early["engine"].start()

    try:
        try:
            items = plan_batch(sources, output, base, ext_of=ext_of, name_template=name, recursive=recursive,
                               manifest=manifest, sidecar=sidecar, overwrite=overwrite,
                               retry_failed=retry_failed, on_new_inputs=start_workers, inputs=inputs)
        except BaseException:
            if "engine" in early:
                early["engine"].close()
            raise
        if dry_run:
            _print_plan(items, as_json)
            return
        summary = _run(items, manifest, early.get("engine"), workers, memory, scheduler, as_json, debug)
        if report is not None:
            from ..batch.report import write_report

            written = write_report(report, items, manifest, summary, title=f"lsquared batch: {output.resolve()}")
            if not as_json:
                console.print(f"report: {written}", highlight=False, soft_wrap=True)
    finally:
        manifest.close()
    _print_summary(summary, as_json, debug)
    if summary.interrupted:
        raise typer.Exit(130)
    if not summary.ok:
        raise typer.Exit(1)


def _engine(items, workers: Optional[int], memory: Optional[float], scheduler: Optional[str]):
    if scheduler:
        from ..batch.engines import DaskEngine

        engine = DaskEngine(scheduler)
        link = engine.dashboard_link
        err_console.print(f"running on {engine.describe()}" + (f"; dashboard: {link}" if link else ""),
                          highlight=False, soft_wrap=True)
        return engine
    return _local_engine([i.source for i in items if i.action == "develop"], workers, memory)


def _local_engine(todo: list[Path], workers: Optional[int], memory: Optional[float]):
    from ..batch.engines import LocalEngine, available_memory, cpu_count

    n = min(workers or cpu_count(), max(1, len(todo)))
    peak = _peak_bytes(todo)
    budget = memory * 2**30 if memory else 0.9 * available_memory()
    fits = max(1, int(budget // peak)) if peak else n
    if fits < n:
        err_console.print(f"memory: {n} workers x ~{peak / 2**30:.2f} GB per file would not fit in "
                          f"{budget / 2**30:.1f} GB; using {fits} worker{'s' if fits > 1 else ''}",
                          highlight=False, soft_wrap=True)
        n = fits
    return LocalEngine(n)


def _peak_bytes(paths: list[Path]) -> int:
    """A develop's peak memory for the largest of these inputs (by the pixel count in the
    headers of the three largest files, a cheap read for DNGs)."""
    from ..errors import LsquaredError
    from ..io.raw import read_metadata

    pixels = 0
    for path in sorted(paths, key=lambda p: p.stat().st_size, reverse=True)[:3]:
        try:
            if path.suffix.lower() in (".dng",):
                meta = read_metadata(path)
                h, w = meta.extra.get("visible_size") or meta.extra.get("raw_size") or (0, 0)
                pixels = max(pixels, h * w)
        except (LsquaredError, ValueError, TypeError):
            continue
    if not pixels:      # not measurable cheaply: about 3 pixels per byte of a compressed raw
        pixels = max((p.stat().st_size for p in paths), default=0) * 3 // 2
    return PEAK_BASE_BYTES + PEAK_BYTES_PER_PIXEL * pixels


def _run(items, manifest, engine, workers, memory, scheduler, as_json: bool, debug: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..batch.runner import run_batch

    engine = engine or _engine(items, workers, memory, scheduler)
    todo = sum(i.action == "develop" for i in items)
    skipped = sum(i.action == "skip" for i in items)
    if not as_json:
        err_console.print(f"{len(items)} inputs: {todo} to develop, {skipped} up to date; {engine.describe()}",
                          highlight=False, soft_wrap=True)
    progress = Progress(TextColumn("[bold]developing"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TextColumn("{task.fields[failed]}"),
                        TimeRemainingColumn(), console=err_console, transient=True, disable=todo == 0)

    def on_result(result, summary) -> None:
        s = summary.seconds or 1e-9
        rate = f"{summary.developed / s:.2f} files/s {summary.megapixels / s:.0f} MP/s"
        failed = len(summary.failures)
        progress.update(bar, advance=1, rate=rate,
                        failed=f"[red]{failed} failed[/red]" if failed else "0 failed")
        if not result.ok:
            progress.console.print(f"[red]failed[/red] {result.error}", highlight=False, soft_wrap=True)
            if debug and result.detail:
                progress.console.print(result.detail, highlight=False, markup=False, soft_wrap=True)
        for note in result.warnings:
            progress.console.print(f"[yellow]note[/yellow] {note}", highlight=False, soft_wrap=True)

    try:
        with progress:
            bar = progress.add_task("", total=todo, rate="", failed="")
            return run_batch(items, engine, manifest, on_result)
    finally:
        engine.close()


def _print_plan(items, as_json: bool) -> None:
    if as_json:
        print(json.dumps([{"source": str(i.source), "output": str(i.output), "action": i.action,
                           "reason": i.reason, "error": i.error.error if i.error else None} for i in items],
                         indent=2))
        return
    for i in items:
        extra = f": {i.error.error}" if i.error else ""
        console.print(f"{i.action:13} {i.source} -> {i.output}  ({i.reason}{extra})", highlight=False, markup=False, soft_wrap=True)
    counts = {a: sum(i.action == a for i in items) for a in ("develop", "skip", "failed-before", "error")}
    console.print(f"dry run: {counts['develop']} to develop, {counts['skip']} up to date, "
                  f"{counts['failed-before'] + counts['error']} failing; nothing written", highlight=False, soft_wrap=True)


def _print_summary(summary, as_json: bool, debug: bool) -> None:
    d = summary.as_dict()
    if as_json:
        print(json.dumps(d, indent=2))
        return
    line = f"developed {d['developed']}, up to date {d['skipped']}, failed {d['failed']} in {d['seconds']:.1f} s"
    if d["developed"]:
        line += (f" ({d['files_per_s']:.2f} files/s, {d['megapixels_per_s']:.1f} MP/s, "
                 f"{d['cpu_seconds_per_file']:.2f} CPU-s per file)")
    console.print(line, highlight=False, soft_wrap=True)
    if summary.interrupted:
        err_console.print("lsquared: interrupted; run the same command again to resume", highlight=False, soft_wrap=True)
    if summary.failures:
        err_console.print(f"lsquared: error: {len(summary.failures)} of {summary.planned} inputs failed:",
                          highlight=False, soft_wrap=True)
        for f in summary.failures:
            err_console.print(f"  {f.error}", highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("batch", no_args_is_help=True)(batch_command)
