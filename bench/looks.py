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
    from lsquared.looks.preview import analytic_scene, vlog_from_linear_srgb

    from lsquared.synth.kodak import load_kodak, tiled

    images = load_kodak(KODAK)
    if not images:
        return np.resize(analytic_scene(480, 720), (height, width, 3)).astype(np.float32)
    lin = transfer.srgb_decode(tiled(images, height, width))
    return vlog_from_linear_srgb(lin.reshape(-1, 3)).reshape(height, width, 3).astype(np.float32)


def timed(fn, runs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of all threads): medians of ``runs`` after a warm-up."""
    fn()                                         # warm-up (and numba compile)
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def pillow_lut(table: np.ndarray):
    from PIL import ImageFilter

    n = table.shape[0]
    flat = np.ascontiguousarray(np.clip(table, 0, 1).transpose(2, 1, 0, 3)).reshape(-1)   # red fastest
    return ImageFilter.Color3DLUT(n, flat.tolist())


def ffmpeg_seconds_per_frame(frame: np.ndarray, cube: Path, runs: int) -> tuple[float, float] | None:
    """ffmpeg's lut3d on raw rgb24 frames: (time for 1 + k frames - time for 1) / k, median;
    wall and CPU (of the child process) seconds."""
    import resource

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    h, w = frame.shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frame.rgb"
        raw.write_bytes(frame.tobytes())

        def run(loops: int) -> np.ndarray:
            cmd = [ffmpeg, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                   "-stream_loop", str(loops), "-i", str(raw),
                   "-vf", f"lut3d=file={cube}:interp=tetrahedral", "-f", "null", "-"]
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            return np.array([time.perf_counter() - t0,
                             r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime])
        k = 10
        run(0)
        per = np.array([(run(k) - run(0)) / k for _ in range(max(3, runs // 2))])
        return float(np.median(per[:, 0])), float(np.median(per[:, 1]))


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
    rows.append(("24 MP float32, lsquared", 24.0, *timed(lambda: lut.apply(still, out=out_f), args.runs)))

    frame = source_picture(2160, 3840)
    f8 = (frame * 255 + 0.5).astype(np.uint8)
    mp = f8.shape[0] * f8.shape[1] / 1e6
    out8 = np.empty_like(f8)
    packed = lut3d.pack_table(lut.table, 255.0, 0.5)
    codes = lut3d.code_tables(lut.size, 256, 256)
    per_frame = timed(lambda: lut3d.apply_lut3d_codes(f8, packed, lut.size, *codes, 255, out8), args.runs)
    rows.append(("4K 8-bit, lsquared per frame", mp, *per_frame))
    t0 = time.perf_counter()
    dense = lut3d.dense_table_u8(lut.table)
    build = time.perf_counter() - t0
    video = timed(lambda: lut3d.apply_dense_u8(f8, dense, out8), args.runs)
    rows.append((f"4K 8-bit, lsquared video (dense table built once: {build:.2f} s)", mp, *video))

    from PIL import Image
    pil_img = Image.fromarray(f8)
    flt = pillow_lut(lut.table)
    pil = timed(lambda: pil_img.filter(flt), max(3, args.runs // 2))
    rows.append(("4K 8-bit, Pillow Color3DLUT (trilinear)", mp, *pil))

    with tempfile.TemporaryDirectory() as tmp:
        cube = Path(tmp) / "look.cube"
        export_look(look, cube, "cube")
        ff = ffmpeg_seconds_per_frame(f8, cube, args.runs)
    if ff is not None:
        rows.append(("4K 8-bit, ffmpeg lut3d (tetrahedral, its own threads)", mp, *ff))

    f10 = (frame * 1023 + 0.5).astype(np.uint16)
    out10 = np.empty_like(f10)
    rows.append(("4K 10-bit, lsquared", mp, *timed(lambda: lut.apply(f10, bits=10, out=out10), args.runs)))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"look '{look.name}', {lut.size}^3 LUT, {os.cpu_count()} CPUs, load average {load:.1f}, "
          f"median of {args.runs} runs after a warm-up")
    print("MP/s: wall clock; MP/CPU-s: megapixels per second of CPU time over all threads, which a")
    print("busy machine disturbs less (a parallel kernel on n idle cores gives up to n times it)")
    print(f"{'case':<62} {'MP/s':>8} {'ms':>8} {'MP/CPU-s':>9}")
    for name, mpx, wall, cpu in rows:
        print(f"{name:<62} {mpx / wall:8.1f} {wall * 1000:8.1f} {mpx / cpu if cpu else float('nan'):9.1f}")
    print(f"8-bit per frame vs Pillow {pil[0] / per_frame[0]:.1f}x, vs ffmpeg "
          f"{ff[0] / per_frame[0] if ff else float('nan'):.1f}x faster (wall); video path vs Pillow "
          f"{pil[0] / video[0]:.1f}x, vs ffmpeg {ff[0] / video[0] if ff else float('nan'):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
