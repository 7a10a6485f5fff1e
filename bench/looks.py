"""Benchmark: applying a look's 3D LUT (tetrahedral) to stills and video frames.

    python bench/looks.py [--runs 7] [--look standard]

Prints megapixels per second (median of several runs after a warm-up) for:
  - a 24-megapixel float32 image (6000 x 4000), lsquared's float kernel;
  - an 8-bit 3840 x 2160 frame: lsquared per frame (tetrahedral with per-code tables), lsquared
    for video (a dense table of every 8-bit triple, built once: its build time is printed),
    Pillow's ImageFilter.Color3DLUT (trilinear) and ffmpeg's lut3d filter (tetrahedral, its own
    threads), all on the same frame;
  - a 10-bit 3840 x 2160 frame (uint16), lsquared.
Pictures are Kodak images (../shared/data/kodak) tiled to size and encoded as V-Log, so the
colours are those of real photographs; without the data a smooth synthetic scene is used.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KODAK = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "kodak"


def source_picture(height: int, width: int) -> np.ndarray:
    """float32 V-Log/V-Gamut picture (H, W, 3) from tiled Kodak images (linearized sRGB)."""
    from lsquared.color import transfer
    from lsquared.looks.preview import _vlog_from_linear_srgb, test_scene

    files = sorted(KODAK.glob("kodim*.png"))
    if not files:
        return np.resize(test_scene(480, 720), (height, width, 3)).astype(np.float32)
    from PIL import Image
    tiles = [np.asarray(Image.open(f).convert("RGB").resize((768, 512)), np.float32) / 255 for f in files[:12]]
    row = np.concatenate(tiles[:8], axis=1)
    mosaic = np.concatenate([row, np.roll(row, 768 * 3, axis=1)], axis=0)
    reps = (-(-height // mosaic.shape[0]), -(-width // mosaic.shape[1]), 1)
    lin = transfer.srgb_decode(np.tile(mosaic, reps)[:height, :width])
    return _vlog_from_linear_srgb(lin.reshape(-1, 3)).reshape(height, width, 3).astype(np.float32)


def timed(fn, runs: int) -> float:
    fn()                                         # warm-up (and numba compile)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pillow_lut(table: np.ndarray):
    from PIL import ImageFilter

    n = table.shape[0]
    flat = np.ascontiguousarray(np.clip(table, 0, 1).transpose(2, 1, 0, 3)).reshape(-1)   # red fastest
    return ImageFilter.Color3DLUT(n, flat.tolist())


def ffmpeg_seconds_per_frame(frame: np.ndarray, cube: Path, runs: int) -> float | None:
    """ffmpeg's lut3d on raw rgb24 frames: (time for 1 + k frames - time for 1) / k, median."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    h, w = frame.shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frame.rgb"
        raw.write_bytes(frame.tobytes())

        def run(loops: int) -> float:
            cmd = [ffmpeg, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                   "-stream_loop", str(loops), "-i", str(raw),
                   "-vf", f"lut3d=file={cube}:interp=tetrahedral", "-f", "null", "-"]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            return time.perf_counter() - t0
        k = 10
        run(0)
        per = [(run(k) - run(0)) / k for _ in range(max(3, runs // 2))]
        return statistics.median(per)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--look", default="standard")
    args = ap.parse_args(argv)

    from lsquared.kernels import lut3d
    from lsquared.looks import compile_look, resolve_look
    from lsquared.looks.export import export_look

    look = resolve_look(args.look)
    lut = compile_look(look)
    rows = []

    still = source_picture(4000, 6000)
    out_f = np.empty_like(still)
    t = timed(lambda: lut.apply(still, out=out_f), args.runs)
    rows.append(("24 MP float32, lsquared", 24.0 / t, t))

    frame = source_picture(2160, 3840)
    f8 = (frame * 255 + 0.5).astype(np.uint8)
    mp = f8.shape[0] * f8.shape[1] / 1e6
    out8 = np.empty_like(f8)
    packed = lut3d.pack_table(lut.table, 255.0, 0.5)
    codes = lut3d.code_tables(lut.size, 256, 256)
    t = timed(lambda: lut3d.apply_lut3d_codes(f8, packed, lut.size, *codes, 255, out8), args.runs)
    rows.append(("4K 8-bit, lsquared per frame", mp / t, t))
    t0 = time.perf_counter()
    dense = lut3d.dense_table_u8(lut.table)
    build = time.perf_counter() - t0
    t = timed(lambda: lut3d.apply_dense_u8(f8, dense, out8), args.runs)
    rows.append((f"4K 8-bit, lsquared video (dense table, built once in {build:.2f} s)", mp / t, t))
    ours8 = t

    from PIL import Image
    pil_img = Image.fromarray(f8)
    flt = pillow_lut(lut.table)
    t = timed(lambda: pil_img.filter(flt), max(3, args.runs // 2))
    rows.append(("4K 8-bit, Pillow Color3DLUT (trilinear)", mp / t, t))
    pil_t = t

    with tempfile.TemporaryDirectory() as tmp:
        cube = Path(tmp) / "look.cube"
        export_look(look, cube, "cube")
        t = ffmpeg_seconds_per_frame(f8, cube, args.runs)
    ff_t = t
    if t is not None:
        rows.append(("4K 8-bit, ffmpeg lut3d (tetrahedral)", mp / t, t))

    f10 = (frame * 1023 + 0.5).astype(np.uint16)
    out10 = np.empty_like(f10)
    t = timed(lambda: lut.apply(f10, bits=10, out=out10), args.runs)
    rows.append(("4K 10-bit, lsquared", mp / t, t))

    print(f"look '{look.name}', {lut.size}^3 LUT, {os.cpu_count()} CPUs visible, "
          f"median of {args.runs} runs after a warm-up")
    print(f"{'case':<66} {'MP/s':>8} {'ms':>8}")
    for name, mps, sec in rows:
        print(f"{name:<66} {mps:8.1f} {sec * 1000:8.1f}")
    print(f"lsquared video vs Pillow: {pil_t / ours8:.1f}x faster"
          + (f"; vs ffmpeg lut3d: {ff_t / ours8:.1f}x faster" if ff_t else ""))


if __name__ == "__main__":
    sys.exit(main())
