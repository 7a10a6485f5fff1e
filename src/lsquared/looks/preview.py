"""Seeing looks: a terminal swatch, an analytic test scene, and contact sheets.

``analytic_scene`` is a V-Log/V-Gamut picture made from formulas (no files): a grey exposure
ramp from 8 stops under to 4 stops over middle grey, the 24 ColorChecker colours at three
exposures, a hue circle of saturated colours and bright saturated colours running past
white.  Tests use it to measure how looks differ; ``contact_sheet`` renders any picture in
every look.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..color import transfer
from ..color.spaces import rgb_to_rgb_matrix
from ..errors import InputError

# ColorChecker 24 in 8-bit sRGB (BabelColor's published averages), row by row.
COLORCHECKER_SRGB = np.array([
    [115, 82, 68], [194, 150, 130], [98, 122, 157], [87, 108, 67], [133, 128, 177], [103, 189, 170],
    [214, 126, 44], [80, 91, 166], [193, 90, 99], [94, 60, 108], [157, 188, 64], [224, 163, 46],
    [56, 61, 150], [70, 148, 73], [175, 54, 60], [231, 199, 31], [187, 86, 149], [8, 133, 161],
    [243, 243, 242], [200, 200, 200], [160, 160, 160], [122, 122, 121], [85, 85, 85], [52, 52, 52],
], dtype=np.float64)


def vlog_from_linear_srgb(lin: np.ndarray) -> np.ndarray:
    return transfer.vlog_encode(lin @ rgb_to_rgb_matrix("linear-srgb", "vgamut").T)


def colorchecker_linear() -> np.ndarray:
    """(24, 3) linear sRGB of the ColorChecker patches (middle grey patch ~ 0.19)."""
    return transfer.srgb_decode(COLORCHECKER_SRGB / 255.0)


def swatch_scene() -> np.ndarray:
    """(4, 20, 3) V-Log values: a grey ramp (-6..+4 stops), then 18 ColorChecker colours
    (with grey and black ends) at -1, 0 and +1 stop."""
    stops = np.linspace(-6, 4, 20)
    ramp = np.repeat((0.18 * 2.0 ** stops)[:, None], 3, axis=1)
    cc = colorchecker_linear()
    rows = [ramp]
    for ev in (-1.0, 0.0, 1.0):
        row = np.concatenate([cc[21:22], cc[:18], cc[23:24]]) * 2.0 ** ev
        rows.append(row)
    return vlog_from_linear_srgb(np.stack(rows))


def analytic_scene(height: int = 240, width: int = 480) -> np.ndarray:
    """The analytic look test scene, float32 (H, W, 3) V-Log/V-Gamut."""
    h4 = height // 4
    x = np.linspace(0.0, 1.0, width)
    # band 1: grey ramp, -8 .. +4 stops around middle grey
    ramp = np.repeat((0.18 * 2.0 ** (-8 + 12 * x))[None, :, None], h4, axis=0).repeat(3, axis=2)
    # band 2: ColorChecker at -1, 0, +1 stop (3 rows of 24 patches)
    cc = colorchecker_linear()
    idx = np.minimum((x * 24).astype(int), 23)
    rows = [np.repeat(cc[idx][None] * 2.0 ** ev, h4 // 3 + 1, axis=0) for ev in (-1, 0, 1)]
    chart = np.concatenate(rows)[:h4]
    # band 3: hue circle of saturated sRGB-gamut colours (HSV hue, S = 0.95), dark to bright
    hue = x * 6.0
    hsv = np.stack([np.clip(np.abs(hue - 3) - 1, 0, 1), np.clip(2 - np.abs(hue - 2), 0, 1),
                    np.clip(2 - np.abs(hue - 4), 0, 1)], axis=1)
    colours = 0.05 + 0.95 * hsv
    levels = 0.18 * 2.0 ** np.linspace(-3, 1.5, h4)[:, None, None]
    circle = colours[None] * levels
    # band 4: the same colours pushed from white-ish to 4 stops over: highlight roll-off
    over = colours[None] * (0.9 * 2.0 ** np.linspace(0, 4, height - 3 * h4)[:, None, None])
    lin = np.concatenate([ramp, chart, circle, over]).astype(np.float64)
    return vlog_from_linear_srgb(lin).astype(np.float32)


def vlog_picture(source: str | os.PathLike, *, input_space: str | None = None,
                 max_width: int | None = None) -> np.ndarray:
    """Any raw file or image as a float32 V-Log/V-Gamut picture, via ``develop`` with the
    ``vlog`` look (16 bit), box-downscaled to at most ``max_width`` pixels wide."""
    from ..pipeline.run import develop

    path = Path(source)
    if not path.exists():
        raise InputError("no such file", path=path)
    pic = develop(path, look="vlog", bit_depth=16, input_space=input_space)
    img = np.asarray(pic, dtype=np.float32) / 65535.0
    return downscale(img, max_width) if max_width else img


def downscale(img: np.ndarray, max_width: int) -> np.ndarray:
    """Box average by the integer factor that brings the width to at most ``max_width``."""
    f = -(-img.shape[1] // max_width)
    if f <= 1:
        return img
    h, w = img.shape[0] // f * f, img.shape[1] // f * f
    return img[:h, :w].reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3), dtype=np.float32)


def render(vlog: np.ndarray, look, *, output_space: str = "srgb", seed: int = 0) -> np.ndarray:
    """A V-Log picture through a look (LUT, then spatial steps): float32 display-encoded."""
    from .compile import compile_look
    from .spatial import apply_spatial

    lut = compile_look(look, output_space)
    return apply_spatial(lut.apply(vlog), look, seed=seed)


def contact_sheet(source, output, *, looks=None, width: int = 480, input_space=None,
                  search_dirs=(), columns: int = 4) -> Path:
    """``source`` in every look (or those named), labelled, as one JPEG/PNG."""
    from PIL import Image, ImageDraw, ImageFont

    from ..io.atomic import atomic_write
    from .library import available_looks, resolve_look

    output = Path(output)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(output.suffix.lower())
    if fmt is None:
        from ..errors import ParameterError
        raise ParameterError(f"{output}: the contact sheet is written as .jpg or .png")
    names = looks or list(available_looks(search_dirs))
    resolved = [resolve_look(n, search_dirs=search_dirs) for n in names]
    vlog = vlog_picture(source, input_space=input_space, max_width=width)
    h, w = vlog.shape[:2]
    label = max(14, w // 22)
    font = ImageFont.load_default(size=label)
    rows = -(-len(resolved) // columns)
    cols = min(columns, len(resolved))
    sheet = Image.new("RGB", (cols * (w + 8) + 8, rows * (h + label + 16) + 8), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for i, look in enumerate(resolved):
        pic = render(vlog, look)
        tile = Image.fromarray((np.clip(pic, 0, 1) * 255 + 0.5).astype(np.uint8))
        x0 = 8 + (i % cols) * (w + 8)
        y0 = 8 + (i // cols) * (h + label + 16)
        sheet.paste(tile, (x0, y0))
        draw.text((x0, y0 + h + 4), look.name, fill=(230, 230, 230), font=font)

    atomic_write(output, lambda tmp: sheet.save(tmp, format=fmt, **({"quality": 92} if fmt == "JPEG" else {})),
                 overwrite=True)
    return output
