"""Develop benchmark: a 24-megapixel raw to JPEG, stage by stage, against rawpy in the same run.

    python bench/develop.py [--runs 5] [--files synthetic-fullframe-24mp.dng synthetic-monochrome-60mp.dng]
                            [--set demosaic=gbtf --set denoise=off ...]

For each file, in a fresh child process each (so peak memory is the develop's own):
  lsquared: open_raw + develop (default recipe: auto demosaic, standard look) + save to JPEG,
            median time of every stage over --runs runs after one warm-up (numba compiles);
  peer:     rawpy.imread + postprocess() (LibRaw's default: AHD demosaic, camera matrix,
            sRGB, 8 bit) + Pillow JPEG save at the same quality.
Peak memory is the child's maximum resident set size (ru_maxrss), interpreter and libraries
included.  The machine is shared: quote medians, and the ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw"
QUALITY = 92


def _lsquared_runs(path: str, runs: int, queue, overrides: dict | None = None) -> None:
    import lsquared
    from lsquared.pipeline.run import save

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs + 1):
            out = Path(tmp) / f"out{i}.jpg"
            t0 = time.perf_counter()
            picture = lsquared.develop(path, **(overrides or {}))
            t1 = time.perf_counter()
            save(picture, out, quality=QUALITY)
            t2 = time.perf_counter()
            stages = dict(picture.timings)
            stages["encode JPEG"] = t2 - t1
            stages["total"] = t2 - t0
            if i > 0:                       # the first run compiles the numba kernels
                rows.append(stages)
    queue.put({"rows": rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "shape": tuple(picture.shape)})


def _rawpy_runs(path: str, runs: int, queue) -> None:
    import numpy as np
    import rawpy
    from PIL import Image

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs + 1):
            t0 = time.perf_counter()
            with rawpy.imread(path) as raw:
                t1 = time.perf_counter()
                rgb = raw.postprocess()
            t2 = time.perf_counter()
            Image.fromarray(np.ascontiguousarray(rgb.squeeze())).save(     # monochrome: (H, W, 1)
               Path(tmp) / f"p{i}.jpg", quality=QUALITY)
            t3 = time.perf_counter()
            if i > 0:
                rows.append({"decode": t1 - t0, "postprocess": t2 - t1, "encode JPEG": t3 - t2, "total": t3 - t0})
    queue.put({"rows": rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "shape": tuple(rgb.shape)})


def _in_child(target, path: Path, runs: int, *extra) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(str(path), runs, queue, *extra))
    proc.start()
    while True:                     # a child that dies (killed, crashed) must not hang the bench
        try:
            result = queue.get(timeout=5)
            break
        except Exception:
            if not proc.is_alive():
                raise SystemExit(f"{target.__name__} on {path.name}: child exited with {proc.exitcode}")
    proc.join()
    return result


def _medians(rows: list[dict]) -> dict[str, float]:
    keys = list(rows[0])
    return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--files", nargs="*", default=["synthetic-fullframe-24mp.dng", "synthetic-monochrome-60mp.dng"])
    ap.add_argument("--no-peer", action="store_true", help="skip rawpy (e.g. for the 60 MP file)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a develop override, e.g. --set demosaic=gbtf --set denoise=off (repeatable)")
    args = ap.parse_args()
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"{os.cpu_count()} CPUs, numba threads {os.environ.get('NUMBA_NUM_THREADS', 'all')}, "
                  f"{args.runs} runs each (medians), load average {os.getloadavg()[0]:.2f}")
    for name in args.files:
        path = RAW_DIR / name
        if not path.exists():
            console.print(f"[yellow]skip[/yellow] {path}: not found")
            continue
        overrides = dict(item.split("=", 1) for item in args.set)
        ours = _in_child(_lsquared_runs, path, args.runs, overrides)
        peer = None if args.no_peer else _in_child(_rawpy_runs, path, args.runs)
        med = _medians(ours["rows"])
        settings = " ".join(args.set) or "default recipe"
        table = Table(title=f"{name}: {ours['shape'][1]}x{ours['shape'][0]} to JPEG q{QUALITY}, {settings}",
                      title_justify="left")
        table.add_column("stage")
        table.add_column("lsquared (s)", justify="right")
        for stage, seconds in med.items():
            table.add_row(stage, f"{seconds:.3f}")
        table.add_row("peak memory (MB)", f"{ours['peak_mb']:.0f}")
        console.print(table)
        if peer:
            pmed = _medians(peer["rows"])
            ptable = Table(title="peer: rawpy postprocess() (AHD) + Pillow JPEG, same run", title_justify="left")
            ptable.add_column("stage")
            ptable.add_column("rawpy (s)", justify="right")
            for stage, seconds in pmed.items():
                ptable.add_row(stage, f"{seconds:.3f}")
            ptable.add_row("peak memory (MB)", f"{peer['peak_mb']:.0f}")
            console.print(ptable)
            console.print(f"[bold]lsquared is {pmed['total'] / med['total']:.2f}x faster than rawpy[/bold] "
                          f"({med['total']:.2f} s vs {pmed['total']:.2f} s, medians)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
