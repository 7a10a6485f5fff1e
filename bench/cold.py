"""Whole-process benchmark: what a user running one command sees, against a rawpy process.

    python bench/cold.py [--runs 5] [--files canon-550d-magiclantern-2mp.dng synthetic-fullframe-24mp.dng
                                              synthetic-monochrome-60mp.dng] [--no-warm]

Every figure is a whole process, timed from its start to its exit: interpreter start,
imports, numba loading its cached kernels, the work, the exit.  One warm-up round first (so
numba's cache is warm, as on a user's second run; the first run after an install compiles),
then --runs rounds; within a round every case runs lsquared then its peer, alternately:

  lsquared --help             vs  python -c pass (the interpreter alone: the floor)
  lsquared develop --help     vs  python -c pass (a command's help: its module and its options' schema)
  lsquared look list          vs  python -c pass
  lsquared info FILE          vs  python: rawpy.imread(FILE) + sizes, colour description, white balance
  lsquared develop FILE -o x  vs  python: rawpy.imread + postprocess() + Pillow JPEG (quality 92)

(develop: the default recipe, JPEG at its default quality 92, the sidecar recipe written as a
user gets it).  Peak memory is each child's maximum resident set and CPU its user + system
time (os.wait4's rusage): on a loaded machine CPU seconds move less than wall seconds.
Unless --no-warm, each file is also developed in-process in one child (develop + save,
median of --runs after a warm-up): the difference to the whole process is what a fresh
process pays.  That child also times, in order, the phases a fresh process goes through:
the CLI's imports, pydantic (typer coerces a command's options with it), the pipeline's
imports, numba's import, numba's one-time start-up (its CPU target, started as the CLI starts
it: without numba's BLAS probe, kernels/startup.py; then the first call of a small cached
kernel: the OpenMP threads), then the first develop against the warm ones
(the kernels' cache loads, first touch of memory).  The machine is shared: the ratio
measured in the same run is the figure to trust; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runinfo import footer, header       # bench scripts run as ``python bench/NAME.py``

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw"
DEFAULT_FILES = ["canon-550d-magiclantern-2mp.dng", "synthetic-fullframe-24mp.dng", "synthetic-monochrome-60mp.dng"]
QUALITY = 92                      # lsquared's default JPEG quality; the peer saves at the same

RAWPY_INFO = """
import sys, rawpy
with rawpy.imread(sys.argv[1]) as raw:
    print(raw.sizes.width, raw.sizes.height, raw.color_desc.decode(), list(raw.camera_whitebalance))
"""
RAWPY_DEVELOP = """
import sys, numpy as np, rawpy
from PIL import Image
with rawpy.imread(sys.argv[1]) as raw:
    rgb = raw.postprocess()
Image.fromarray(np.ascontiguousarray(rgb.squeeze())).save(sys.argv[2], quality=int(sys.argv[3]))
"""
# numba's start-up alone, in a fresh process: a small cached kernel's first call, with numba's
# BLAS probe (how any process starts numba) or with the probe held off (kernels/startup.py:
# how the CLI and lsquared's workers start it); printed as (wall s, CPU s) from interpreter start
NUMBA_START = """
import sys, time
import numpy as np, numba
if sys.argv[1] == "held":
    from lsquared.kernels.startup import start_numba_target
    start_numba_target()
from lsquared.kernels.scale import scale_planes
a = np.ones((4, 4, 3), np.float32)
scale_planes(a, np.ones(3, np.float32), np.empty_like(a))
print(time.perf_counter(), time.process_time())
"""

IN_PROCESS = """
import json, statistics, sys, time
clock = lambda: (time.perf_counter(), time.process_time())
marks = [clock()]
from lsquared.cli import main as cli          # what the command imports before it runs
cli._register_commands(("develop",))   # a develop imports only its own command module
marks.append(clock())
import typer._adapters                        # pydantic: typer coerces a command's options with it
marks.append(clock())
from lsquared.pipeline.run import develop, save
marks.append(clock())
import numba
marks.append(clock())
import numpy as np
from lsquared.kernels.startup import start_numba_target   # as the CLI starts numba (no BLAS probe)
start_numba_target()
from lsquared.kernels.scale import scale_planes   # a tiny cached kernel: the rest of the start-up
a = np.ones((4, 4, 3), np.float32)
scale_planes(a, np.ones(3, np.float32), np.empty_like(a))
marks.append(clock())
runs = []
for i in range(int(sys.argv[3]) + 1):
    t0 = clock()
    save(develop(sys.argv[1]), sys.argv[2], quality=int(sys.argv[4]), overwrite=True)
    t1 = clock()
    runs.append((t1[0] - t0[0], t1[1] - t0[1]))
phases = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:])]
warm = (statistics.median(r[0] for r in runs[1:]), statistics.median(r[1] for r in runs[1:]))
print(json.dumps({"phases": phases, "first": runs[0], "warm": warm}))
"""


def run_process(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of one child process; output discarded."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {proc.returncode}:\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024      # Linux: kilobytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--files", nargs="*", default=DEFAULT_FILES)
    ap.add_argument("--no-warm", action="store_true", help="skip the in-process develop timings")
    args = ap.parse_args()
    py = sys.executable
    lsquared = str(Path(py).with_name("lsquared"))
    if not Path(lsquared).exists():
        raise SystemExit(f"{lsquared} not found: install lsquared into this interpreter's environment")
    files = []
    for name in args.files:
        path = RAW_DIR / name
        if path.exists():
            files.append(path)
        else:
            print(f"skip {path}: not found")
    tmp = Path(tempfile.mkdtemp(prefix="lsquared-cold-"))
    # (label, our argv, peer label, peer argv)
    floor = [py, "-c", "pass"]
    cases = [("lsquared --help", [lsquared, "--help"], "python -c pass", floor),
             ("lsquared develop --help", [lsquared, "develop", "--help"], "python -c pass", floor),
             ("lsquared look list", [lsquared, "look", "list"], "python -c pass", floor)]
    if files:
        cases.append((f"lsquared info {files[0].name}", [lsquared, "info", str(files[0])],
                      "rawpy open + metadata", [py, "-c", RAWPY_INFO, str(files[0])]))
    for path in files:
        cases.append((f"lsquared develop {path.name}",
                      [lsquared, "develop", str(path), "-o", str(tmp / f"{path.stem}.jpg"), "--overwrite"],
                      "rawpy postprocess + Pillow JPEG",
                      [py, "-c", RAWPY_DEVELOP, str(path), str(tmp / f"{path.stem}-rawpy.jpg"), str(QUALITY)]))

    print(header("bench/cold.py", "whole-process (each command a fresh process, start to exit), and one "
                 "in-process child per file for the warm develop"), flush=True)
    times = {label: ([], [], [], [], [], []) for label, *_ in cases}   # ours s, CPU s, MB; the peer's
    for round_ in range(args.runs + 1):                            # round 0: the warm-up
        for label, ours, _, peer in cases:
            ours_run = run_process(ours)
            peer_run = run_process(peer)
            if round_:
                for series, value in zip(times[label], ours_run + peer_run):
                    series.append(value)
    warm = {}
    if not args.no_warm:
        for path in files:
            out = subprocess.run([py, "-c", IN_PROCESS, str(path), str(tmp / f"{path.stem}-warm.jpg"),
                                  str(args.runs), str(QUALITY)], capture_output=True, text=True)
            if out.returncode == 0:
                warm[path.name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"# medians of {args.runs} runs after one warm-up round, lsquared and peer alternating")
    print()
    print("| command | lsquared, s | CPU s | peak MB | peer | peer, s | CPU s | peak MB | peer / lsquared |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    med = statistics.median
    for label, _, peer_label, _ in cases:
        t, cpu, mb, pt, pcpu, pmb = times[label]
        print(f"| `{label}` | {med(t):.3f} | {med(cpu):.2f} | {max(mb):.0f} | {peer_label} | {med(pt):.3f} | "
              f"{med(pcpu):.2f} | {max(pmb):.0f} | {med(pt) / med(t):.2f}x |")
    if warm:
        print()
        print("In-process (one long-lived process: develop + save, median of the runs after the first), "
              "and where a fresh process's extra time goes (wall s / CPU s):")
        print()
        print("| file | whole process | in-process warm | whole - warm | interpreter | CLI imports "
              "| pydantic (typer) | pipeline imports | import numba | numba start-up "
              "| first develop - warm (kernel loads, first touch) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        floor_t, floor_cpu = (med(v) for v in (times[cases[0][0]][3], times[cases[0][0]][4]))
        for path in files:
            if path.name not in warm:
                continue
            w = warm[path.name]
            whole = [med(v) for v in times[f"lsquared develop {path.name}"][:2]]
            cell = lambda pair: f"{pair[0]:.3f} / {pair[1]:.2f}"
            extra = (whole[0] - w["warm"][0], whole[1] - w["warm"][1])
            first = (w["first"][0] - w["warm"][0], w["first"][1] - w["warm"][1])
            print(f"| {path.name} | {cell(whole)} | {cell(w['warm'])} | {cell(extra)} | "
                  f"{cell((floor_t, floor_cpu))} | " + " | ".join(cell(p) for p in w["phases"]) +
                  f" | {cell(first)} |")
    start_rows = {"probe": ([], []), "held": ([], [])}
    for round_ in range(args.runs + 1):                # round 0: the warm-up; alternating
        for mode in start_rows:
            wall, cpu, _ = run_process([py, "-c", NUMBA_START, mode])
            if round_:
                start_rows[mode][0].append(wall)
                start_rows[mode][1].append(cpu)
    print()
    print("numba's start-up, whole process (`import numpy, numba` and a small cached kernel's first call; "
          f"medians of {args.runs}, alternating):")
    print()
    print("| numba started | wall s | CPU s |")
    print("|---|---:|---:|")
    labels = {"probe": "as numba starts by itself (its BLAS probe imports scipy.linalg when scipy is installed)",
              "held": "as lsquared's CLI and workers start it (kernels/startup.py: the probe held off)"}
    for mode, (walls, cpus) in start_rows.items():
        print(f"| {labels[mode]} | {med(walls):.3f} | {med(cpus):.2f} |")
    print(footer())
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
