"""Develop benchmark: a raw file to a JPEG, stage by stage, against rawpy in the same run.

    python bench/develop.py [--runs 7] [--files synthetic-fullframe-24mp.dng synthetic-monochrome-60mp.dng]
                            [--set demosaic=gbtf --set denoise=off ...] [--no-peer]

IN-PROCESS and WARM: for each file two child processes are started, one for lsquared and one
for the peer; each has imported everything and done one untimed run (numba's kernels loaded
or compiled, the file's pages cached) before the timed runs.  What is timed:
  lsquared: open_raw + develop (default recipe: auto demosaic, standard look) + save to JPEG
            (``Picture.timings`` per stage, the JPEG save and the total);
  peer:     rawpy.imread + postprocess() (LibRaw's defaults: AHD demosaic, camera matrix,
            sRGB, 8 bit) + Pillow JPEG save at the same quality.
The two alternate run by run (ours then the peer's, then the other way round), so both see
the same machine load; medians of --runs.  This is the speed of the work inside a running
program (the API, a batch worker); what a user waits for when running the command, start-up
included, is bench/cold.py's whole-process figure.  Peak memory is each child's maximum
resident set (ru_maxrss), interpreter and libraries included.
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

from runinfo import footer, header

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw"
QUALITY = 92


def _lsquared_run(path: str, out: Path, overrides: dict) -> tuple[dict, tuple]:
    import lsquared
    from lsquared.pipeline.run import save

    t0 = time.perf_counter()
    picture = lsquared.develop(path, **overrides)
    t1 = time.perf_counter()
    save(picture, out, quality=QUALITY, overwrite=True)
    t2 = time.perf_counter()
    stages = dict(picture.timings)
    stages["encode JPEG"] = t2 - t1
    stages["total"] = t2 - t0
    return stages, tuple(picture.shape)


def _rawpy_run(path: str, out: Path, overrides: dict) -> tuple[dict, tuple]:
    import numpy as np
    import rawpy
    from PIL import Image

    t0 = time.perf_counter()
    with rawpy.imread(path) as raw:
        t1 = time.perf_counter()
        rgb = raw.postprocess()
    t2 = time.perf_counter()
    Image.fromarray(np.ascontiguousarray(rgb.squeeze())).save(out, quality=QUALITY)   # monochrome: (H, W, 1)
    t3 = time.perf_counter()
    return {"decode": t1 - t0, "postprocess": t2 - t1, "encode JPEG": t3 - t2, "total": t3 - t0}, tuple(rgb.shape)


def _worker(kind: str, path: str, overrides: dict, conn) -> None:
    """One run per "run" message (the first is the warm-up), answers its stage times; on
    "stop" answers the peak memory and the picture's shape."""
    run = _lsquared_run if kind == "lsquared" else _rawpy_run
    shape = ()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jpg"
        while conn.recv() == "run":
            stages, shape = run(path, out, overrides)
            conn.send(stages)
    conn.send({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "shape": shape})


class _Child:
    def __init__(self, kind: str, path: Path, overrides: dict):
        ctx = mp.get_context("spawn")
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(kind, str(path), overrides, theirs))
        self.proc.start()
        self.kind, self.rows = kind, []

    def ask(self, message: str) -> dict:
        self.conn.send(message)
        while not self.conn.poll(5):     # a child that dies (killed, crashed) must not hang the bench
            if not self.proc.is_alive():
                raise SystemExit(f"{self.kind} child exited with {self.proc.exitcode}")
        return self.conn.recv()

    def stop(self) -> dict:
        result = self.ask("stop")
        self.proc.join()
        return result


def _medians(rows: list[dict]) -> dict[str, float]:
    keys = list(rows[0])
    return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys}


def _table(title: str, column: str, med: dict[str, float], peak_mb: float) -> str:
    lines = [title, "", f"| stage | {column}, s |", "|---|---:|"]
    lines += [f"| {stage} | {seconds:.3f} |" for stage, seconds in med.items()]
    lines.append(f"| peak memory | {peak_mb:.0f} MB |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--files", nargs="*", default=["synthetic-fullframe-24mp.dng", "synthetic-monochrome-60mp.dng"])
    ap.add_argument("--no-peer", action="store_true", help="skip rawpy")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a develop override, e.g. --set demosaic=gbtf --set denoise=off (repeatable)")
    args = ap.parse_args()

    print(header("bench/develop.py " + " ".join(sys.argv[1:]),
                 "in-process, warm (one untimed run per child first); lsquared and rawpy alternate run by run; "
                 f"medians of {args.runs}"))
    overrides = dict(item.split("=", 1) for item in args.set)
    for name in args.files:
        path = RAW_DIR / name
        if not path.exists():
            print(f"skip {path}: not found")
            continue
        children = [_Child("lsquared", path, overrides)] + ([] if args.no_peer else [_Child("rawpy", path, {})])
        for child in children:
            child.ask("run")                                  # warm-up, not timed
        for r in range(args.runs):
            for child in (children if r % 2 == 0 else children[::-1]):
                child.rows.append(child.ask("run"))
        ends = [child.stop() for child in children]
        ours, med = ends[0], _medians(children[0].rows)
        settings = " ".join(args.set) or "default recipe"
        print()
        print(_table(f"{name}: {ours['shape'][1]}x{ours['shape'][0]} to JPEG q{QUALITY}, {settings}",
                     "lsquared", med, ours["peak_mb"]))
        if len(children) > 1:
            pmed = _medians(children[1].rows)
            print()
            print(_table("peer, same run: rawpy postprocess() (AHD) + Pillow JPEG", "rawpy", pmed, ends[1]["peak_mb"]))
            print(f"\nlsquared {med['total']:.3f} s, rawpy {pmed['total']:.3f} s: "
                  f"lsquared {pmed['total'] / med['total']:.2f}x as fast (in-process, warm)")
        sys.stdout.flush()
    print(footer())


if __name__ == "__main__":
    main()
