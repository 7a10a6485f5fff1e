"""Every table in README.md and docs/ in one go: the bench scripts one after another, each
alone on the machine, each one's whole output kept in ``bench/results/<date>-<commit>/``.

    python bench/run_all.py                      # all (about 60-75 minutes on 2 cores)
    python bench/run_all.py --only cold share_latency
    python bench/run_all.py --list

The scripts print their own header (date, commit, load) and peers alternate inside each
script; this runner only sequences them, refuses to start on a busy machine (a figure taken
beside someone else's work measures the other work), waits for the load to settle between
scripts, and records how long each took and the load around it in ``summary.txt``.  The
outputs are the source the docs' tables are pasted from (bench/demosaic_quality.py rewrites
its own section with ``--write-docs``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import runinfo

BENCH = Path(__file__).resolve().parent

# (name, arguments, where its tables go): the order of docs/benchmarks.md's regeneration list
SCRIPTS: list[tuple[str, list[str], str]] = [
    ("cold", ["cold.py", "--runs", "5"], "docs/benchmarks.md (whole process), README"),
    ("aot_probe", ["aot_probe.py", "--runs", "5"], "docs/benchmarks.md (whole process: ahead-of-time kernels)"),
    ("develop", ["develop.py", "--runs", "7"], "docs/benchmarks.md (develop), README"),
    ("develop_lean", ["develop.py", "--runs", "7", "--files", "synthetic-fullframe-24mp.dng", "--set",
                      "demosaic=gbtf", "--set", "denoise=off", "--set", "sharpen=off"], "docs/benchmarks.md (develop)"),
    ("decode", ["decode.py", "--runs", "7"], "docs/formats.md"),
    ("encode", ["encode.py", "--runs", "3"], "docs/formats.md"),
    ("encode_jpeg", ["encode.py", "--formats", "jpeg", "--runs", "5"], "docs/formats.md"),
    ("encode_qualities", ["encode.py", "--default-qualities", "--formats", "jpeg,heif,avif"],
     "docs/formats.md (default qualities)"),
    ("looks", ["looks.py", "--runs", "7"], "docs/benchmarks.md (looks)"),
    ("chart", ["chart.py"], "README, docs/quality.md"),
    ("quality", ["quality.py", "--runs", "5"], "docs/benchmarks.md (quality)"),
    ("compare_rawpy", ["compare_rawpy.py"], "docs/compare-lsquared-vs-rawpy.png"),
    ("brightness", ["brightness.py"], "docs/quality.md"),
    ("truncation_check_cost", ["truncation_check_cost.py", "--runs", "7"], "docs/formats.md (truncated raws)"),
    # ari is scored on the three sets but not timed on 24 MP: at ~0.05 MP/s, 5 runs would take 40 minutes
    ("demosaic_quality", ["demosaic_quality.py", "--runs", "5", "--write-docs", "--speed-methods",
                          "bilinear,malvar,menon2007,gbtf,mlri,rcd,auto"], "docs/benchmarks.md (demosaic)"),
    ("share_latency", ["share_latency.py", "--uploads", "20"], "docs/benchmarks.md, docs/share.md"),
    ("share_load", ["share_load.py"], "docs/benchmarks.md (share under load)"),
    ("share_load_postgres", ["share_load.py", "--database", "$LSQUARED_TEST_POSTGRES_URL", "--uploaders", "20",
                             "--files", "2"], "docs/benchmarks.md (share under load, PostgreSQL)"),
    ("lab_latency", ["lab_latency.py", "--moves", "30"], "docs/looks.md (the look lab), docs/share.md"),
    ("test_figures", ["test_figures.py"], "docs/formats.md, docs/looks.md, docs/share.md, README (figures a test measures)"),
    ("batch", ["batch.py", "--files", "40", "--runs", "2", "--peer-files", "6"], "docs/benchmarks.md (batch)"),
    ("batch_profile", ["batch.py", "--profile", "--runs", "4"], "docs/benchmarks.md (buffer pool)"),
    ("batch_stages", ["batch.py", "--stages", "--runs", "4"], "docs/benchmarks.md (a batch worker's steps)"),
    ("video_1080", ["video.py", "--sizes", "1080", "--seconds", "10", "--runs", "3", "--memory-seconds", "10,60"],
     "docs/video.md, README"),
    ("video_2160", ["video.py", "--sizes", "2160", "--seconds", "10", "--runs", "2", "--memory-seconds", "none"],
     "docs/video.md"),
    ("video_look_only", ["video.py", "--sizes", "1080,2160", "--seconds", "4", "--runs", "7", "--look-only"],
     "docs/video.md, README"),
    ("video_memory", ["video.py", "--sizes", "360", "--bits", "8", "--seconds", "2", "--runs", "1",
                      "--memory-seconds", "10,600"], "docs/video.md"),
]


def wait_for_quiet(limit: float, patience: float) -> float:
    """Wait (up to ``patience`` s) for the 1-minute load to drop under ``limit``; returns it."""
    end = time.monotonic() + patience
    while (now := os.getloadavg()[0]) >= limit and time.monotonic() < end:
        time.sleep(5)
    return now


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="run just these (names from --list)")
    ap.add_argument("--skip", nargs="*", default=[], help="leave these out")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out", type=Path, help="folder for the outputs (default bench/results/DATE-COMMIT)")
    ap.add_argument("--max-load", type=float, default=1.5,
                    help="refuse to start above this 1-minute load average (default 1.5)")
    ap.add_argument("--force", action="store_true", help="start even on a busy machine")
    args = ap.parse_args()
    if args.list:
        for name, argv, where in SCRIPTS:
            print(f"{name:22} python bench/{' '.join(argv):70}  -> {where}")
        return 0
    names = {n for n, _, _ in SCRIPTS}
    unknown = (set(args.only or []) | set(args.skip)) - names
    if unknown:
        print(f"run_all: unknown name(s) {', '.join(sorted(unknown))}; see --list", file=sys.stderr)
        return 2
    chosen = [s for s in SCRIPTS if (not args.only or s[0] in args.only) and s[0] not in args.skip]
    load = os.getloadavg()[0]
    if load >= args.max_load and not args.force:
        print(f"run_all: load average {load:.2f} >= {args.max_load}: the machine is busy and the figures "
              "would measure that; wait, or pass --force", file=sys.stderr)
        return 1
    out = args.out or BENCH / "results" / f"{time.strftime('%Y-%m-%d-%H%M', time.gmtime())}-{runinfo.commit()}"
    out.mkdir(parents=True, exist_ok=True)
    summary = [runinfo.header("bench/run_all.py", "see each script's own header"), ""]
    failed = []
    for name, argv, where in chosen:
        # "$VAR" arguments (the PostgreSQL URL) come from the environment; without it the entry is skipped
        if unset := [a for a in argv if a.startswith("$") and not os.environ.get(a[1:])]:
            line = f"{name:22} skipped: {', '.join(unset)} not set  -> {where}"
            print(line, flush=True)
            summary.append(line)
            continue
        argv = [os.environ[a[1:]] if a.startswith("$") else a for a in argv]
        before = wait_for_quiet(args.max_load, patience=120)
        t0 = time.monotonic()
        print(f"== {name}: python bench/{' '.join(argv)}  (load {before:.2f})", flush=True)
        with open(out / f"{name}.txt", "w") as log:
            rc = subprocess.call([sys.executable, "-u", str(BENCH / argv[0]), *argv[1:]], cwd=BENCH.parent,
                                 stdout=log, stderr=subprocess.STDOUT)
        took = time.monotonic() - t0
        line = (f"{name:22} rc={rc} {took:7.1f} s  load before {before:.2f}, after {os.getloadavg()[0]:.2f}"
                f"  -> {where}")
        print(line, flush=True)
        summary.append(line)
        if rc:
            failed.append(name)
    summary += ["", runinfo.footer()]
    (out / "summary.txt").write_text("\n".join(summary) + "\n")
    print(f"outputs in {out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
