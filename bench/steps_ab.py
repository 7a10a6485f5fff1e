"""Develop steps of one batch worker, old code against new, alternating in the same run.

    git worktree add /tmp/old HEAD~3                  # the code to compare against
    python bench/steps_ab.py --old /tmp/old [--new .] [--steps denoise,sharpen] [--rounds 3] [--runs 5] [--threads 1]

Each case is a worker process configured as ``lsquared batch`` configures its workers
(``configure_worker(threads=1)``: kernels on one numba thread, the buffer pool) that develops
the 24 MP shared raw ``--runs`` times after one warm-up (kernel loads), in-process, and reports
per step the wall time ``Picture.timings`` gives and the process CPU time spent inside the same
stopwatch.  Processes alternate old, new, new, old ... for ``--rounds`` rounds, so both see the
same machine; the table has medians over all runs (and minima), and the change in the medians.
Each process imports the package from its checkout's ``src`` (checked), so both trees must have
their kernels compiled or compile them in the warm-up.  On one thread a step's wall time is its
CPU time on an idle core; on a shared machine the load average, printed before and after,
says how far to trust the difference.  ``--threads N`` runs the kernels on N threads instead
(a develop as the CLI runs it).  Every develop's picture is hashed, and the last line says
whether old and new made the same picture bit for bit (what a speed change must keep).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runinfo import footer, header  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RAW = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw" / "synthetic-fullframe-24mp.dng"

WORKER = r"""
import hashlib, json, os, sys, time
from contextlib import contextmanager
src = sys.argv[1]
sys.path.insert(0, src)
import lsquared
assert os.path.realpath(lsquared.__file__).startswith(os.path.realpath(src)), lsquared.__file__
from lsquared.batch.task import configure_worker
configure_worker(threads=int(sys.argv[4]))
import lsquared.pipeline.run as run

cpu = {}

class Stopwatch(run._Stopwatch):                  # the pipeline's stopwatch, with CPU time beside
    @contextmanager
    def __call__(self, stage):
        c0 = time.process_time()
        with super().__call__(stage):
            yield
        cpu[stage] = cpu.get(stage, 0.0) + time.process_time() - c0

run._Stopwatch = Stopwatch
rows = []
for i in range(int(sys.argv[3]) + 1):
    cpu.clear()
    picture = run.develop(sys.argv[2])
    if i:
        rows.append({"wall": dict(picture.timings), "cpu": dict(cpu),
                     "sha256": hashlib.sha256(picture.tobytes()).hexdigest()})
print(json.dumps(rows))
"""


def worker(tree: Path, raw: Path, runs: int, threads: int) -> list[dict]:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-c", WORKER, str(tree / "src"), str(raw), str(runs), str(threads)],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"worker on {tree} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def tree_commit(tree: Path) -> str:
    r = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    return (r.stdout.strip() or "?") + ("+dirty" if dirty else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="checkout of the code to compare against")
    ap.add_argument("--new", type=Path, default=REPO, help="checkout of the new code (default: this one)")
    ap.add_argument("--steps", default="denoise,sharpen", help="comma-separated step names of Picture.timings")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5, help="develops per process after the warm-up")
    ap.add_argument("--file", type=Path, default=RAW)
    ap.add_argument("--threads", type=int, default=1, help="kernel threads (1: as a batch worker)")
    args = ap.parse_args()
    if not args.file.exists():
        raise SystemExit(f"{args.file} not found (set LSQUARED_SHARED)")
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    for name, tree in trees.items():
        if not (tree / "src" / "lsquared").is_dir():
            raise SystemExit(f"--{name} {tree}: not a checkout of lsquared (no src/lsquared)")
    print(header("bench/steps_ab.py", f"in-process, per step of develop(), one worker process per case, "
                                      f"{args.threads} thread(s), {args.runs} develops after a warm-up, {args.rounds} rounds alternating"))
    print(f"# file {args.file.name}; old = {trees['old']} ({tree_commit(trees['old'])}), "
          f"new = {trees['new']} ({tree_commit(trees['new'])})")
    rows: dict[str, list[dict]] = {"old": [], "new": []}
    for r in range(args.rounds):
        for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
            rows[name] += worker(trees[name], args.file, args.runs, args.threads)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]

    def med(name: str, kind: str, step: str) -> float:
        return statistics.median(row[kind][step] for row in rows[name])

    def least(name: str, kind: str, step: str) -> float:
        return min(row[kind][step] for row in rows[name])

    print(f"| step | old wall, s | new wall, s | old CPU, s | new CPU, s | change (CPU median) |  "
          f"(medians of {len(rows['old'])} runs; min in brackets)")
    print("|---|---:|---:|---:|---:|---:|")
    for step in steps + ["all steps"]:
        if step == "all steps":
            for name in rows:
                for row in rows[name]:
                    for kind in ("wall", "cpu"):
                        row[kind]["all steps"] = sum(v for k, v in row[kind].items() if k != "all steps")
        cells = [f"{med(n, k, step):.3f} ({least(n, k, step):.3f})" for k in ("wall", "cpu") for n in ("old", "new")]
        change = 100 * (med("new", "cpu", step) / med("old", "cpu", step) - 1)
        print(f"| {step} | {' | '.join(cells)} | {change:+.0f} % |")
    pictures = {name: {row["sha256"] for row in rows[name]} for name in rows}
    same = pictures["old"] == pictures["new"] and len(pictures["old"]) == 1
    print(f"# pictures: old and new {'identical bit for bit' if same else 'DIFFER'} "
          f"(sha256 {', '.join(sorted(h[:12] for h in pictures['old'] | pictures['new']))})")
    print(footer())


if __name__ == "__main__":
    main()
