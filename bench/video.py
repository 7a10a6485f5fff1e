"""Video grading speed and memory: lsquared against ffmpeg's lut3d filter, in the same run.

    python bench/video.py                      # 1080p and 2160p, 8 and 10 bit, 10 s clips
    python bench/video.py --quick              # 2 s clips, one run each: a smoke test
    python bench/video.py --sizes 1080 --bits 8 --seconds 4 --runs 5

For each clip (testsrc2 with temporal noise, so that neither the encoder nor the LUT sees
flat colour; H.264 4:2:0, 8 or 10 bit, tagged V-Log so that the look's own LUT applies) it
reports medians of ``--runs`` runs, in frames per second:
  decode   PyAV decoding alone (threaded), the floor of any pipeline here (in-process);
  look     the fused Y'CbCr -> LUT -> Y'CbCr kernel alone, on frames already decoded
           (in-process, after a warm-up);
  lsquared the command a user runs, ``lsquared video SRC -o OUT --look L --input-space vlog
           --codec h264 --crf C --preset P``, timed as a WHOLE PROCESS from start to exit
           (interpreter, imports, kernels loaded from numba's cache, the look compiled,
           decode + grade + x264 encode);
  ffmpeg   ``ffmpeg -i SRC -vf lut3d=<the same LUT as .cube>:interp=tetrahedral`` with the
           same encoder settings, also a WHOLE PROCESS (ffmpeg converts Y'CbCr to planar
           RGB and back with swscale), run alternately with lsquared;
and the peak resident memory of the lsquared process (os.wait4's ru_maxrss) for a short and
a long clip of the same size (``--memory-seconds``), which should be about the same: frames
stream through.  One untimed lsquared run first (numba's cache warm, as on a user's
second run).
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


def whole_process(cmd: list[str]) -> tuple[float, float]:
    """(seconds from start to exit, peak resident MB) of one process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}):\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def lsquared_cmd(src: Path, out: Path, look: str, crf: float, preset: str) -> list[str]:
    lsq = shutil.which("lsquared") or str(Path(sys.executable).with_name("lsquared"))
    return [lsq, "video", str(src), "-o", str(out), "--look", look, "--input-space", "vlog", "--codec", "h264",
            "--crf", f"{crf:g}", "--preset", preset, "--overwrite"]


def ffmpeg_cmd(src: Path, out: Path, cube: Path, crf: float, preset: str, pix: str) -> list[str]:
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(src),
            "-vf", f"lut3d=file={cube}:interp=tetrahedral", "-c:v", "libx264", "-preset", preset,
            "-crf", f"{crf:g}", "-pix_fmt", pix, "-an", str(out)]


def frame_count(path: Path) -> int:
    import av

    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(c.streams.video[0]))


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
    cube = work / "look.cube"
    write_cube(cube, look.table, title=args.look)
    print(header("bench/video.py " + " ".join(sys.argv[1:] if argv is None else argv),
                 "lsquared and ffmpeg: whole processes, alternating run by run; decode and look: in-process"))
    print(f"# look {args.look} ({look.table.shape[0]}^3), x264 preset {args.preset} crf {args.crf:g}, "
          f"{args.seconds:g} s clips, median of {args.runs}")
    print("| clip | decode fps (in-process) | look fps (in-process) | lsquared video fps (whole process) "
          "| ffmpeg lut3d fps (whole process) | lsquared / ffmpeg | lsquared peak RSS |")
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
                frames = frame_count(src)
                ours_cmd = lsquared_cmd(src, work / "out_lsq.mp4", args.look, args.crf, args.preset)
                theirs_cmd = ffmpeg_cmd(src, work / "out_ffmpeg.mp4", cube, args.crf, args.preset, pix)
                whole_process(ours_cmd)                        # untimed: numba's cache warm
                ours, theirs, rss = [], [], []
                for r in range(args.runs):
                    order = (ours_cmd, theirs_cmd) if r % 2 == 0 else (theirs_cmd, ours_cmd)
                    for cmd in order:
                        seconds, mb = whole_process(cmd)
                        if cmd is ours_cmd:
                            ours.append(frames / seconds)
                            rss.append(mb)
                        else:
                            theirs.append(frames / seconds)
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
                _, mb = whole_process(lsquared_cmd(src, work / "out_mem.mp4", args.look, args.crf, "ultrafast"))
                rows.append((secs, frame_count(src), mb))
            print()
            print("| memory check (640x360, 8-bit) | frames | peak RSS |")
            print("|---|---:|---:|")
            for secs, frames, mb in rows:
                print(f"| {secs:g} s clip | {frames} | {mb:.0f} MB |")
        print(footer())
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
