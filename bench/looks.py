"""Benchmark: applying a look's 3D LUT (tetrahedral) to stills and video frames.

    python bench/looks.py [--runs 7] [--look standard]

IN-PROCESS: every case is timed inside this process (ffmpeg as the difference of two whole
ffmpeg processes, one of 1 + k frames and one of 1, so its start-up cancels), after one
untimed warm-up each; the cases alternate round by round (one run of each per round), so a
busy machine disturbs them alike.  Prints megapixels per second (medians) for:
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

from runinfo import footer, header

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


def alternating(cases: dict, runs: int, self_timed=()) -> dict[str, tuple[float, float]]:
    """{name: fn}: medians of (wall seconds, CPU seconds of all threads) over ``runs`` rounds,
    each round running every case once, in turn (the order rotated every round), after one
    untimed warm-up each (numba compiles).  The cases named in ``self_timed`` measure
    themselves and return their own (wall, cpu)."""
    for fn in cases.values():
        fn()
    names = list(cases)
    times: dict[str, list] = {n: [] for n in names}
    for r in range(runs):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            c0, t0 = time.process_time(), time.perf_counter()
            own = cases[name]()
            times[name].append(own if name in self_timed else (time.perf_counter() - t0, time.process_time() - c0))
    return {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for n, v in times.items()}


def pillow_lut(table: np.ndarray):
    from PIL import ImageFilter

    n = table.shape[0]
    flat = np.ascontiguousarray(np.clip(table, 0, 1).transpose(2, 1, 0, 3)).reshape(-1)   # red fastest
    return ImageFilter.Color3DLUT(n, flat.tolist())


def ffmpeg_per_frame(frame: np.ndarray, cube: Path, tmp: Path):
    """A callable giving ffmpeg lut3d's (wall, CPU) seconds per frame on raw rgb24 frames:
    (time for 1 + k frames - time for 1) / k, each a whole ffmpeg process (its start-up
    cancels); None without ffmpeg."""
    import resource

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    h, w = frame.shape[:2]
    raw = tmp / "frame.rgb"
    raw.write_bytes(frame.tobytes())
    k = 10

    def run(loops: int) -> np.ndarray:
        cmd = [ffmpeg, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
               "-stream_loop", str(loops), "-i", str(raw),
               "-vf", f"lut3d=file={cube}:interp=tetrahedral", "-f", "null", "-"]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return np.array([time.perf_counter() - t0, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime])

    def per_frame() -> tuple[float, float]:
        wall, cpu = (run(k) - run(0)) / k
        return float(wall), float(cpu)
    return per_frame


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--look", default="standard")
    args = ap.parse_args(argv)

    from lsquared.kernels import lut3d
    from lsquared.looks import compile_look, resolve_look
    from lsquared.looks.export import export_look

    print(header("bench/looks.py " + " ".join(sys.argv[1:] if argv is None else argv),
                 f"in-process (ffmpeg: two whole processes, start-up subtracted); cases alternate round "
                 f"by round; medians of {args.runs} after a warm-up"))
    look = resolve_look(args.look)
    lut = compile_look(look)

    still = source_picture(4000, 6000)
    out_f = np.empty_like(still)
    frame = source_picture(2160, 3840)
    f8 = (frame * 255 + 0.5).astype(np.uint8)
    f10 = (frame * 1023 + 0.5).astype(np.uint16)
    mp4k = f8.shape[0] * f8.shape[1] / 1e6
    out8 = np.empty_like(f8)
    out10 = np.empty_like(f10)
    packed = lut3d.pack_table(lut.table, 255.0, 0.5)
    codes = lut3d.code_tables(lut.size, 256, 256)
    t0 = time.perf_counter()
    dense = lut3d.dense_table_u8(lut.table)
    build = time.perf_counter() - t0

    from PIL import Image
    pil_img = Image.fromarray(f8)
    flt = pillow_lut(lut.table)
    per_frame = "4K 8-bit, lsquared per frame"
    video = f"4K 8-bit, lsquared video (dense table, built once: {build:.2f} s)"
    pillow = "4K 8-bit, Pillow Color3DLUT (trilinear, one thread)"
    ffmpeg = "4K 8-bit, ffmpeg lut3d (tetrahedral, its own threads)"
    cases = {
        "24 MP float32, lsquared": lambda: lut.apply(still, out=out_f),
        per_frame: lambda: lut3d.apply_lut3d_codes(f8, packed, lut.size, *codes, 255, out8),
        video: lambda: lut3d.apply_dense_u8(f8, dense, out8),
        pillow: lambda: pil_img.filter(flt),
        "4K 10-bit, lsquared": lambda: lut.apply(f10, bits=10, out=out10),
    }
    megapixels = {name: mp4k for name in cases}
    megapixels["24 MP float32, lsquared"] = still.shape[0] * still.shape[1] / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        cube = Path(tmp) / "look.cube"
        export_look(look, cube, "cube")
        ff = ffmpeg_per_frame(f8, cube, Path(tmp))
        if ff is not None:
            cases[ffmpeg] = ff
            megapixels[ffmpeg] = mp4k
        results = alternating(cases, args.runs, self_timed=(ffmpeg,))

    print(f"look '{look.name}', {lut.size}^3 LUT; MP/s: wall clock; MP/CPU-s: megapixels per second of CPU")
    print("time over all threads, which a busy machine disturbs less (a parallel kernel on n idle cores")
    print("gives up to n times it)\n")
    print("| case | MP/s | ms | MP/CPU-s |")
    print("|---|---:|---:|---:|")
    for name, (wall, cpu) in results.items():
        mpx = megapixels[name]
        print(f"| {name} | {mpx / wall:.1f} | {wall * 1000:.1f} | {mpx / cpu if cpu else float('nan'):.1f} |")
    ratio = lambda a, b: results[a][0] / results[b][0] if a in results else float("nan")   # noqa: E731
    print(f"\n8-bit per frame: {ratio(pillow, per_frame):.1f}x Pillow, {ratio(ffmpeg, per_frame):.1f}x ffmpeg; "
          f"video path: {ratio(pillow, video):.1f}x Pillow, {ratio(ffmpeg, video):.1f}x ffmpeg (wall, same run)")
    print(footer())


if __name__ == "__main__":
    sys.exit(main())
