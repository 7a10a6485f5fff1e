"""Benchmark: the ``auto`` demosaic kernel of the working tree against the same kernel at an older commit.

    python bench/demosaic_auto_ab.py [--old REV] [--runs 9] [--threads 1]

The four kernel files of the auto demosaic (demosaic_common, demosaic_gbtf, demosaic_mlri,
demosaic_auto) are taken from ``--old`` with ``git show`` into a package in the temp folder
(numba caches it there), so that old and new run in one process on the same mosaic: the 24 MP
DNG of ../shared/data/raw (black-subtracted, scaled to white = 1).  In-process, the kernel call
only (the (H, W, 3) output allocated once per call by numpy, as the op layer does); runs
alternate old/new, new/old; median and minimum of ``--runs`` after one warm-up call each
(which compiles a cold cache).  ``--threads`` > 1 splits the tile rows into spans on the pool
as ops/demosaic/_mosaic.py does, the same split for both.  The outputs are compared bit for bit.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = ("demosaic_common", "demosaic_gbtf", "demosaic_mlri", "demosaic_auto")
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data"


def old_package(rev: str) -> str:
    """Write the kernel files at ``rev`` into <tmp>/lsquared_auto_ab/k_<sha>/ and return the
    package name (sys.path gets the parent)."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    root = Path(tempfile.gettempdir()) / "lsquared_auto_ab"
    pkg = root / f"k_{sha}"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").touch()
    for name in FILES:
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{sha}:src/lsquared/kernels/{name}.py"],
                              capture_output=True, text=True, check=True).stdout
        path = pkg / f"{name}.py"
        if not path.exists() or path.read_text() != text:     # keep the mtime, so numba's cache holds
            path.write_text(text)
    sys.path.insert(0, str(root))
    return pkg.name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", default="HEAD", help="commit of the old kernel (default HEAD: the working tree's changes)")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)

    import numpy as np
    from runinfo import footer, header

    from lsquared.io.raw import open_raw
    from lsquared.kernels import demosaic_auto as new
    from lsquared.kernels.threads import map_tasks
    from lsquared.ops.demosaic._mosaic import check_mosaic

    old = importlib.import_module(old_package(args.old) + ".demosaic_auto")
    common = importlib.import_module(old.__name__.rsplit(".", 1)[0] + ".demosaic_common")
    if (common.TILE_H, common.TILE_W) != (new.TILE_H, new.TILE_W):
        sys.exit("the two commits tile differently; the tile ranges would not match")

    frame = open_raw(SHARED / "raw" / "synthetic-fullframe-24mp.dng")
    black = np.float32(frame.meta.black[0])
    mosaic = (frame.data.astype(np.float32) - black) / (np.float32(frame.meta.white) - black)
    a, ry, rx = check_mosaic(mosaic, frame.meta.cfa)
    h, w = a.shape
    nty, ntx = -(-h // new.TILE_H), -(-w // new.TILE_W)
    per = -(-nty // (2 * args.threads))

    def run(kernel):
        out = np.empty((h, w, 3), dtype=np.float32)
        if args.threads <= 1:
            kernel(a, ry, rx, out, 0, nty * ntx)
        else:
            map_tasks(lambda row: kernel(a, ry, rx, out, row * ntx, min(row + per, nty) * ntx), range(0, nty, per))
        return out

    head = header("bench/demosaic_auto_ab.py", f"in-process, the kernel call on a {w}x{h} mosaic "
                  f"({frame.meta.cfa}), {args.threads} thread(s), old and new alternating")   # load at the start
    kernels = {f"old ({args.old})": old.demosaic_auto_tiles, "new (working tree)": new.demosaic_auto_tiles}
    first = [run(k) for k in kernels.values()]
    same = np.array_equal(first[0].view(np.uint32), first[1].view(np.uint32))
    del first
    times = {name: [] for name in kernels}
    for i in range(args.runs):
        for name in (list(kernels) if i % 2 == 0 else list(kernels)[::-1]):
            w0, c0 = time.perf_counter(), time.process_time()
            run(kernels[name])
            times[name].append((time.perf_counter() - w0, time.process_time() - c0))

    print(head)
    print(f"# outputs bit-identical: {same}")
    print("| kernel | wall median, s | wall min, s | CPU median, s | MP/s (wall median) |")
    print("|---|---:|---:|---:|---:|")
    for name, t in times.items():
        wm = statistics.median(x[0] for x in t)
        print(f"| {name} | {wm:.3f} | {min(x[0] for x in t):.3f} | {statistics.median(x[1] for x in t):.3f} "
              f"| {a.size / 1e6 / wm:.1f} |")
    print(footer())


if __name__ == "__main__":
    main()
