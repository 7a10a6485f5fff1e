"""``lsquared info FILE``: what a raw file holds, for a photographer and for an engineer.

Reads metadata only (``io.raw.read_metadata``: no pixels are decoded), prints a table, or
JSON with ``--json``.  The as-shot white balance is also given as a correlated colour
temperature and tint, found through the camera's colour matrix with the DNG colour model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ..frame import FrameMeta, SensorLayout

if TYPE_CHECKING:
    import numpy as np
from .common import DEBUG_OPTION, console

# EXIF LightSource codes (EXIF 2.32 tag 0x9208), as DNG CalibrationIlluminant uses them
LIGHT_SOURCES = {0: "unknown", 1: "daylight", 2: "fluorescent", 3: "tungsten", 4: "flash", 9: "fine weather",
                 10: "cloudy", 11: "shade", 12: "daylight fluorescent", 13: "day white fluorescent",
                 14: "cool white fluorescent", 15: "white fluorescent", 16: "warm white fluorescent",
                 17: "standard light A", 18: "standard light B", 19: "standard light C", 20: "D55", 21: "D65",
                 22: "D75", 23: "D50", 24: "ISO studio tungsten", 255: "other"}
ORIENTATIONS = {1: "normal", 2: "mirrored left-right", 3: "rotated 180°", 4: "mirrored top-bottom",
                5: "mirrored, rotated 90° counter-clockwise", 6: "rotated 90° clockwise",
                7: "mirrored, rotated 90° clockwise", 8: "rotated 90° counter-clockwise"}


def format_exposure_time(seconds: float | None) -> str | None:
    """1/250 s, 0.8 s, 30 s: how cameras show shutter speeds."""
    if not seconds:
        return None
    if seconds < 0.5:
        return f"1/{round(1.0 / seconds)} s"
    return f"{seconds:.1f}".rstrip("0").rstrip(".") + " s"


def format_f_number(f_number: float | None) -> str | None:
    return f"f/{f_number:.1f}".rstrip("0").rstrip(".") if f_number else None


def white_balance_summary(meta: FrameMeta) -> dict[str, Any]:
    """As-shot neutral, the multipliers that make it grey, and its temperature and tint."""
    import numpy as np     # here, not at the top: ``info --help`` needs no numpy

    neutral = np.asarray(meta.as_shot_neutral, dtype=np.float64)
    out: dict[str, Any] = {"neutral": neutral.tolist(),
                           "multipliers": (neutral[1] / neutral).tolist()}
    if meta.camera_color.has_matrix and meta.layout is not SensorLayout.MONO:
        from ..color.dng_model import neutral_to_xy
        from ..color.temperature import xy_to_temperature

        try:
            xy = neutral_to_xy(meta.camera_color, neutral)
            kelvin, tint = xy_to_temperature(xy)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            return out
        if all(math.isfinite(v) for v in (*xy, kelvin, tint)):
            out.update(white_xy=list(xy), kelvin=kelvin, tint=tint)
    return out


def _matrices(meta: FrameMeta) -> list[tuple[str, np.ndarray]]:
    import numpy as np

    c = meta.camera_color
    out = []
    for name, pair in (("ColorMatrix", c.color_matrix), ("ForwardMatrix", c.forward_matrix),
                       ("CameraCalibration", c.camera_calibration)):
        for i, m in enumerate(pair):
            if m is not None:
                ill = c.illuminant[i]
                out.append((f"{name}{i + 1} ({LIGHT_SOURCES.get(ill, ill)})", np.asarray(m, dtype=np.float64)))
    return out


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def info_dict(path: Path, meta: FrameMeta) -> dict[str, Any]:
    """Everything ``info`` shows, as plain JSON-able values."""
    ex = meta.exif
    c = meta.camera_color
    extra = dict(meta.extra)
    return _jsonable({
        "file": str(path),
        "format": extra.pop("format", None),
        "decoder": extra.pop("decoder", None),
        "make": ex.make, "model": ex.model, "serial_number": ex.serial_number,
        "lens_make": ex.lens_make, "lens_model": ex.lens_model,
        "exposure_time": ex.exposure_time, "f_number": ex.f_number, "iso": ex.iso,
        "focal_length": ex.focal_length, "datetime_original": ex.datetime_original,
        "software": ex.software, "artist": ex.artist, "copyright": ex.copyright,
        "raw_size": list(meta.raw_size), "visible_size": extra.pop("visible_size", None),
        "layout": meta.layout.value, "cfa": meta.cfa, "bits_per_sample": meta.bits_per_sample,
        "black": list(meta.black), "white": meta.white,
        "linearization_table": meta.linearization is not None,
        "white_balance": white_balance_summary(meta),
        "camera_color": {
            "source": c.source, "illuminants": list(c.illuminant), "color_matrix": list(c.color_matrix),
            "forward_matrix": list(c.forward_matrix), "camera_calibration": list(c.camera_calibration),
            "analog_balance": c.analog_balance,
        },
        "baseline_exposure": meta.baseline_exposure,
        "orientation": meta.orientation,
        "warnings": list(meta.warnings),
        "extra": extra,
    })


def _size(hw) -> str:
    return f"{hw[1]} x {hw[0]}" if hw else "?"


def _levels_text(meta: FrameMeta) -> str:
    if meta.layout is SensorLayout.BAYER and meta.cfa:
        black = ", ".join(f"{ch} {b:g}" for ch, b in zip(meta.cfa, meta.black))
    elif meta.layout is SensorLayout.MONO:
        black = ", ".join(f"{b:g}" for b in meta.black) if len(set(meta.black)) > 1 else f"{meta.black[0]:g}"
    else:
        black = ", ".join(f"{ch} {b:g}" for ch, b in zip("RGB", meta.black[:3]))
    return f"black {black}; white {meta.white:g}"


def info_table(path: Path, meta: FrameMeta) -> Table:
    ex = meta.exif
    table = Table(title=str(path), show_header=False, box=None, pad_edge=False, title_justify="left")
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()

    def row(name: str, value) -> None:
        if value not in (None, "", []):
            table.add_row(name, str(value))

    row("Camera", camera_name(ex.make, ex.model))
    row("Serial number", ex.serial_number)
    row("Lens", " ".join(v for v in (ex.lens_make, ex.lens_model) if v))
    exposure = ", ".join(v for v in (format_exposure_time(ex.exposure_time), format_f_number(ex.f_number)) if v)
    row("Exposure", exposure)
    row("ISO", f"{ex.iso:g}" if ex.iso else None)
    row("Focal length", f"{ex.focal_length:g} mm" if ex.focal_length else None)
    row("Date taken", ex.datetime_original)
    row("Software", ex.software)
    row("Artist", ex.artist)
    row("Copyright", ex.copyright)
    row("Format", f"{meta.extra.get('format', '?')}, {meta.extra['compression']}"
        if "compression" in meta.extra else meta.extra.get("format"))
    row("Decoder", meta.extra.get("decoder"))
    row("Raw size", _size(meta.raw_size))
    visible = meta.extra.get("visible_size")
    origin = meta.extra.get("visible_origin") or meta.extra.get("margins")
    row("Visible size", f"{_size(visible)}" + (f" at row {origin[0]}, column {origin[1]}" if origin else ""))
    layout = {SensorLayout.BAYER: f"Bayer {meta.cfa}", SensorLayout.MONO: "monochrome (no colour filter)",
              SensorLayout.LINEAR_RGB: "linear RGB (3 samples per pixel)",
              SensorLayout.FALLBACK: "fallback: LibRaw demosaics"}[meta.layout]
    row("Sensor", f"{layout}, {meta.bits_per_sample} bits")
    row("Levels", _levels_text(meta) + (", linearization table" if meta.linearization is not None else ""))
    if meta.layout is not SensorLayout.MONO:
        wb = white_balance_summary(meta)
        n, m = wb["neutral"], wb["multipliers"]
        text = f"neutral R {n[0]:.4f} G {n[1]:.4f} B {n[2]:.4f}; multipliers R {m[0]:.4f} G {m[1]:.4f} B {m[2]:.4f}"
        if "kelvin" in wb:
            text += f"; {wb['kelvin']:.0f} K, tint {wb['tint']:+.1f}"
        row("As-shot white", text)
    c = meta.camera_color
    row("Colour matrix from", {"dng": "the DNG's own tags", "libraw": "LibRaw's table (XYZ to camera, D65)",
                               "none": "nowhere: none known"}.get(c.source, c.source))
    for name, matrix in _matrices(meta):
        row(name, "\n".join("  ".join(f"{v:+.4f}" for v in r) for r in matrix))
    if c.analog_balance is not None:
        row("AnalogBalance", "  ".join(f"{v:.4f}" for v in c.analog_balance))
    if meta.baseline_exposure:
        row("Baseline exposure", f"{meta.baseline_exposure:+.2f} EV")
    row("Orientation", f"{meta.orientation} ({ORIENTATIONS.get(meta.orientation, '?')})")
    for w in meta.warnings:
        table.add_row("[yellow]Warning[/yellow]", w)
    return table


def info_command(
    file: Path = typer.Argument(..., help="A camera RAW file (DNG, RW2, CR2, NEF, ARW, ... anything LibRaw reads)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines instead of a table."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Show a raw file's camera, exposure, sensor layout, levels, white balance and colour matrices."""
    from ..io.raw import read_metadata

    meta = read_metadata(file)
    if as_json:
        typer.echo(json.dumps(info_dict(file, meta), indent=2, ensure_ascii=False))
    else:
        console.print(info_table(file, meta))


def register(app: typer.Typer) -> None:
    app.command("info", no_args_is_help=True)(info_command)


def camera_name(make: str | None, model: str | None) -> str:
    """"Canon" + "Canon EOS 550D" reads "Canon EOS 550D", not "Canon Canon EOS 550D"."""
    if make and model and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(v for v in (make, model) if v) or "unknown"
