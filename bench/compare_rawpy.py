"""Side by side at 100 %: a real camera file developed by lsquared and by rawpy's default.

    python bench/compare_rawpy.py [FILE] [-o docs/compare-lsquared-vs-rawpy.png]

Default FILE: ../shared/data/raw/canon-550d-magiclantern-2mp.dng (a real Canon EOS 550D raw
frame with a ColorChecker, out-of-focus lights and blown highlights).  Columns:

  rawpy default   rawpy.postprocess() with its defaults (LibRaw: AHD demosaic, camera white
                  balance off (daylight multipliers), automatic brightening, sRGB, 8-bit)
  lsquared        lsquared.develop(FILE) with its defaults (as-shot white balance, standard
                  look, highlight reconstruction, auto denoise, capture sharpening)
  lsquared, same brightness
                  the same with the exposure moved so its median luminance over the frame
                  matches rawpy's (rawpy brightens automatically, lsquared does not), so
                  detail, noise and highlights can be compared at the same level

Rows are 100 % crops (no resampling) of regions of interest, picked by position in the frame
(fractions of width and height, so another file still gets sensible crops).  Writes the PNG
atomically and prints what it did.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw"
DEFAULT_FILE = SHARED / "canon-550d-magiclantern-2mp.dng"

# (label, centre x, centre y as fractions of the frame) of 100 % crops
REGIONS = [
    ("chart text,\npatch edges", 0.74, 0.70),
    ("bright light\n(highlights)", 0.23, 0.36),
    ("grey patches\n(noise)", 0.50, 0.84),
]
CROP = 256


def luminance(img: np.ndarray) -> np.ndarray:
    lin = (img.astype(np.float64) / 255.0) ** 2.2
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def develop_all(path: Path):
    import rawpy

    from lsquared.pipeline.run import develop

    with rawpy.imread(str(path)) as raw:
        ref = raw.postprocess()
    ours = develop(path)
    ev = float(np.log2(np.median(luminance(ref)) / max(np.median(luminance(np.asarray(ours))), 1e-6)))
    matched = develop(path, exposure=round(ev, 2))
    return [("rawpy postprocess() default", ref), ("lsquared develop() default", np.asarray(ours)),
            (f"lsquared, {ev:+.2f} EV (rawpy's brightness)", np.asarray(matched))], ours


def crop(img: np.ndarray, fx: float, fy: float) -> np.ndarray:
    h, w = img.shape[:2]
    size = min(CROP, h, w)
    x0 = int(np.clip(fx * w - size / 2, 0, w - size))
    y0 = int(np.clip(fy * h - size / 2, 0, h - size))
    return img[y0:y0 + size, x0:x0 + size]


def sheet(columns, title: str):
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=15)
    except TypeError:                                   # Pillow < 10.1
        font = ImageFont.load_default()
    pad, head, side = 8, 46, 110
    size = min(CROP, *columns[0][1].shape[:2])
    width = side + len(columns) * (size + pad) + pad
    height = head + len(REGIONS) * (size + pad) + pad
    out = Image.new("RGB", (width, height), (32, 32, 32))
    draw = ImageDraw.Draw(out)
    draw.text((pad, 4), title, fill=(235, 235, 235), font=font)
    for c, (label, _) in enumerate(columns):
        draw.text((side + pad + c * (size + pad), 24), label, fill=(235, 235, 235), font=font)
    for r, (label, fx, fy) in enumerate(REGIONS):
        y = head + r * (size + pad)
        for i, line in enumerate(label.split("\n")):
            draw.text((pad, y + 4 + 18 * i), line, fill=(200, 200, 200), font=font)
        for c, (_, img) in enumerate(columns):
            out.paste(Image.fromarray(np.ascontiguousarray(crop(img, fx, fy))), (side + pad + c * (size + pad), y))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "compare-lsquared-vs-rawpy.png")
    args = parser.parse_args(argv)
    if not args.file.exists():
        print(f"no such file: {args.file} (the shared data set lives in ../shared)", file=sys.stderr)
        return 1
    columns, ours = develop_all(args.file)
    title = f"{args.file.name}: 100 % crops ({CROP} x {CROP} px)"
    img = sheet(columns, title)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    img.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, args.output)
    r = ours.recipe
    print(f"wrote {args.output} ({img.size[0]} x {img.size[1]})")
    print(f"lsquared recipe: look {r.look.name}, highlights {r.highlights.mode}, denoise luma {r.denoise.luma} "
          f"chroma {r.denoise.chroma} (noise {r.denoise.profile_source}: S={r.denoise.profile[0]:.3g}, "
          f"O={r.denoise.profile[1]:.3g}), sharpen {r.sharpen.amount}, lens {r.lens.lens or 'none'}")
    for note in ours.warnings:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
