"""Video grading speed and memory: lsquared against ffmpeg's lut3d filter, in the same run.

    python bench/video.py                      # 1080p and 2160p, 8 and 10 bit, 10 s clips
    python bench/video.py --quick              # 2 s clips, one run each: a smoke test
    python bench/video.py --sizes 1080 --bits 8 --seconds 4 --runs 5

For each clip (testsrc2 with temporal noise, so that neither the encoder nor the LUT sees
flat colour; H.264 4:2:0, 8 or 10 bit, tagged V-Log so that the look's own LUT applies) it
reports medians of ``--runs`` runs, in frames per second:
  decode   PyAV decoding alone (threaded), the floor of any pipeline here;
  look     the fused Y'CbCr -> LUT -> Y'CbCr kernel alone, on frames already decoded;
  lsquared decode + look + encode (``grade_video``, x264 with ``--preset``/``--crf``);
  ffmpeg   ``ffmpeg -vf lut3d=<the same LUT as .cube>:interp=tetrahedral`` with the same
           encoder settings (ffmpeg converts Y'CbCr to planar RGB and back with swscale);
and the peak resident memory of lsquared's whole process for a short and a long clip of
the same size (``--memory-seconds``), which should be about the same: frames stream through.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = {1080: (1920, 1080), 2160: (3840, 2160), 720: (1280, 720), 360: (640, 360)}


def make_clip(path: Path, size: int, bits: int, seconds: float) -> Path:
    if path.exists():
        return path
    w, h = SIZES[size]
    pix = "yuv420p" if bits == 8 else "yuv420p10le"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size={w}x{h}:rate=25:duration={seconds},noise=alls=6:allf=t",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", pix,
                    "-metadata:s:v:0", "comment=V-Log", str(path)], check=True)
    return path


def decode_fps(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        t = time.perf_counter()
        n = sum(1 for _ in c.decode(s))
    return n / (time.perf_counter() - t)


def look_fps(path: Path, table: np.ndarray, frames: int, passes: int) -> tuple[float, float]:
    """The kernel alone on ``frames`` decoded frames: (median fps of ``passes`` passes, CPU
    milliseconds per frame summed over all threads, which a loaded machine inflates less)."""
    import av

    from lsquared.io.video import VideoReader, output_format
    from lsquared.video.grade import FrameGrader, input_coding, output_coding

    with VideoReader(path) as reader:
        info = reader.info
        coding = input_coding(reader)
        pix = output_format("h264", info.subsampling, info.bit_depth)
        grader = FrameGrader(table, input_space="vlog", in_coding=coding, in_subsampling=info.subsampling,
                             out_coding=output_coding(coding, info.height, pix), out_subsampling=(1, 1))
        decoded = []
        for kind, item in reader.items():
            if kind == "frame":
                decoded.append(tuple(np.array(p) for p in item.planes))
                if len(decoded) == frames:
                    break
    out_frame = av.VideoFrame(info.width, info.height, pix)
    from lsquared.io.video import plane_arrays

    out = plane_arrays(out_frame, np.uint8 if info.bit_depth <= 8 else np.uint16)
    grader(decoded[0], out, info.width, info.height)             # compile / warm up
    rates, cpu = [], []
    for _ in range(passes):
        t, c = time.perf_counter(), time.process_time()
        for planes in decoded:
            grader(planes, out, info.width, info.height)
        rates.append(len(decoded) / (time.perf_counter() - t))
        cpu.append((time.process_time() - c) / len(decoded) * 1000)
    return statistics.median(rates), statistics.median(cpu)


LSQ_RUN = """
import json, resource, sys, time
import numpy as np
from lsquared.video import GradeParams, grade_video
table = np.load(sys.argv[3])
t = time.perf_counter()
r = grade_video(sys.argv[1], sys.argv[2], table, GradeParams(input_space="vlog", codec="h264",
                crf=float(sys.argv[4]), preset=sys.argv[5], overwrite=True))
wall = time.perf_counter() - t
print(json.dumps({"frames": r.frames, "seconds": wall,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def lsquared_run(src: Path, out: Path, table_file: Path, crf: float, preset: str) -> dict:
    res = subprocess.run([sys.executable, "-c", LSQ_RUN, str(src), str(out), str(table_file), str(crf), preset],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"lsquared run on {src.name} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def ffmpeg_run(src: Path, out: Path, cube: Path, crf: float, preset: str, pix: str, frames: int) -> dict:
    t = time.perf_counter()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(src),
                    "-vf", f"lut3d=file={cube}:interp=tetrahedral", "-c:v", "libx264", "-preset", preset,
                    "-crf", str(crf), "-pix_fmt", pix, "-an", str(out)], check=True)
    return {"frames": frames, "seconds": time.perf_counter() - t}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1080,2160", help="clip heights: 360, 720, 1080, 2160")
    ap.add_argument("--bits", default="8,10")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2 s clips, one run, no memory check")
    ap.add_argument("--look", default="standard")
    ap.add_argument("--preset", default="veryfast", help="x264 preset for both pipelines")
    ap.add_argument("--crf", type=float, default=18)
    ap.add_argument("--memory-seconds", default="10,120",
                    help="short,long clip at 640x360 for peak RSS; 'none' to skip")
    ap.add_argument("--look-only", action="store_true", help="only decode and the look step")
    ap.add_argument("--workdir", type=Path, default=None, help="keep clips here (default: a temp folder)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.runs = 2.0, 1
    for tool in ("ffmpeg",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")

    from lsquared.io.lutfile import write_cube
    from lsquared.video.grade import prepare_look

    work = args.workdir or Path(tempfile.mkdtemp(prefix="lsquared-bench-video-"))
    work.mkdir(parents=True, exist_ok=True)
    look = prepare_look(args.look)
    table_file = work / "look.npy"
    np.save(table_file, look.table)
    cube = work / "look.cube"
    write_cube(cube, look.table, title=args.look)
    print(f"# lsquared video benchmark: look {args.look} ({look.table.shape[0]}^3), x264 preset {args.preset} "
          f"crf {args.crf:g}, {os.cpu_count()} cores, {args.seconds:g} s clips, median of {args.runs}")
    print("| clip | decode fps | look fps | lsquared fps | ffmpeg lut3d fps | lsquared / ffmpeg | lsquared peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    looks = []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            for bits in [int(b) for b in args.bits.split(",")]:
                src = make_clip(work / f"src_{size}p_{bits}bit_{args.seconds:g}s.mp4", size, bits, args.seconds)
                pix = "yuv420p" if bits == 8 else "yuv420p10le"
                dec = statistics.median(decode_fps(src) for _ in range(args.runs))
                lk, lk_cpu = look_fps(src, look.table, frames=8 if size >= 2160 else 24, passes=max(3, args.runs))
                looks.append((size, bits, lk, lk_cpu))
                if args.look_only:
                    continue
                ours, theirs, rss = [], [], []
                for _ in range(args.runs):
                    r = lsquared_run(src, work / "out_lsq.mp4", table_file, args.crf, args.preset)
                    ours.append(r["frames"] / r["seconds"])
                    rss.append(r["rss_mb"])
                    f = ffmpeg_run(src, work / "out_ffmpeg.mp4", cube, args.crf, args.preset, pix, r["frames"])
                    theirs.append(f["frames"] / f["seconds"])
                a, b = statistics.median(ours), statistics.median(theirs)
                print(f"| {SIZES[size][0]}x{SIZES[size][1]} {bits}-bit | {dec:.1f} | {lk:.1f} | {a:.1f} | "
                      f"{b:.1f} | {a / b:.2f} | {max(rss):.0f} MB |", flush=True)
        print()
        print("| look step alone | fps | CPU ms per frame (all threads) | fps that CPU time allows on 2 cores |")
        print("|---|---:|---:|---:|")
        for size, bits, lk, lk_cpu in looks:
            print(f"| {SIZES[size][0]}x{SIZES[size][1]} {bits}-bit | {lk:.1f} | {lk_cpu:.1f} | {2000 / lk_cpu:.0f} |")
        if not args.quick and not args.look_only and args.memory_seconds != "none":
            short, long_ = (float(s) for s in args.memory_seconds.split(","))
            rows = []
            for secs in (short, long_):
                src = make_clip(work / f"mem_360p_{secs:g}s.mp4", 360, 8, secs)
                r = lsquared_run(src, work / "out_mem.mp4", table_file, args.crf, "ultrafast")
                rows.append((secs, r["frames"], r["rss_mb"]))
            print()
            print("| memory check (640x360, 8-bit) | frames | peak RSS |")
            print("|---|---:|---:|")
            for secs, frames, mb in rows:
                print(f"| {secs:g} s clip | {frames} | {mb:.0f} MB |")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
