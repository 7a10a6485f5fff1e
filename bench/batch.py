"""Batch benchmark: a folder of raw files to JPEGs, whole process, against peers in the same run.

    python bench/batch.py [--files 40] [--runs 3] [--peer-files 8] [--skip-peers]
    python bench/batch.py --profile          # the buffer pool: one worker's CPU, system time
                                             # and page faults per 24 MP file, with and without
    python bench/batch.py --stages           # where one worker's time goes, step by step

The folder (made in a temporary directory, removed at the end): ``--files`` - 1 copies of
``synthetic-fullframe-24mp.dng`` with distinct bytes (8 bytes appended after the TIFF
structure, which readers ignore, so every copy has its own content hash) and the 60 MP
monochrome file last.  Each case is one whole command, timed from start to exit (process
starts, imports and kernel loads included), fresh output folder each time:

  lsquared 1 / 2 workers  ``lsquared batch SRC -o OUT --workers N`` (default recipe: as-shot
                          WB, highlight reconstruction, auto denoise, auto demosaic, the
                          standard look and its sharpening, JPEG quality 92, sidecar recipe)
  lsquared Dask           the same with ``--scheduler``: a local ``dask scheduler`` and two
                          ``MALLOC_ARENA_MAX=1 dask worker --nworkers 1 --nthreads 1 --no-nanny``, started before
                          (not timed), fresh for each run
  rawpy, 2 processes      rawpy.imread + postprocess() (LibRaw's AHD, camera matrix, sRGB) +
                          Pillow JPEG at quality 92, a spawn pool of 2 processes, each with
                          OMP_NUM_THREADS=1 (one core each, as our workers)
  darktable-cli, rawtherapee-cli
                          2 processes, each given half of the files (darktable-cli a folder,
                          rawtherapee-cli a file list: start-up paid once per process), their
                          default processing, JPEG 92; on the first ``--peer-files`` files
                          only (they are slow), rates per file.  Install with ``sudo apt-get install -y darktable
                          rawtherapee`` (Debian); a peer that is absent is skipped with a line.

Figures: wall time, files/s, MP/s (input megapixels), CPU-seconds per file (all processes of
the case: ``RUSAGE_CHILDREN`` for the local cases, the Dask processes' own CPU times), and
for lsquared the steady-state wall time per 24 MP file: the interval between the completions
of the 24 MP files after each worker's first (imports and kernel loads) divided by their
number (completion times from the manifest).  Runs alternate between cases; medians of
``--runs``.  The machine is shared: the load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw"
FULL = RAW_DIR / "synthetic-fullframe-24mp.dng"
MONO = RAW_DIR / "synthetic-monochrome-60mp.dng"
QUALITY = 92
BIN = Path(sys.executable).parent


def make_folder(root: Path, files: int) -> tuple[Path, float]:
    """files - 1 distinct copies of the 24 MP raw, then the 60 MP one; total megapixels."""
    src = root / "raw"
    src.mkdir()
    data = FULL.read_bytes()
    n_full = files - 1 if files > 1 else 1
    for i in range(n_full):
        (src / f"f{i:03d}.dng").write_bytes(data + i.to_bytes(8, "little"))
    mp = n_full * 6048 * 4032 / 1e6
    if files > 1:
        shutil.copy(MONO, src / "z-mono60.dng")
        mp += 9536 * 6336 / 1e6
    return src, mp


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def steady_per_file(out: Path, workers: int) -> tuple[float | None, float | None]:
    """Wall seconds per 24 MP file between completions after each worker's first file, and
    the median CPU seconds a worker spent on a 24 MP file other than its first (from the
    manifest: the worker's process time around run_task; less disturbed by a busy machine)."""
    with sqlite3.connect(out / ".lsquared-batch.sqlite") as db:
        rows = db.execute("SELECT finished, cpu_seconds, worker FROM renders WHERE state='done' AND source "
                          "NOT LIKE '%mono60%' ORDER BY finished").fetchall()
    seen, cpus = set(), []
    for _, cpu, worker in rows:
        if worker in seen:
            cpus.append(cpu)
        seen.add(worker)
    times = [t for t, _, _ in rows]
    wall = (times[-1] - times[workers - 1]) / (len(times) - workers) if len(times) > workers + 1 else None
    return wall, (statistics.median(cpus) if cpus else None)


def run_lsquared(src: Path, root: Path, workers: int, scheduler: str | None = None, dask_pids=()) -> dict:
    out = root / f"out-{time.monotonic_ns()}"
    cmd = [str(BIN / "lsquared"), "batch", str(src), "-o", str(out), "--json"]
    cmd += ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
    cpu0, dask0 = children_cpu(), _cpu_of(dask_pids)
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(f"lsquared batch failed: {run.stderr[-2000:]}")
    summary = json.loads(run.stdout)
    cpu = children_cpu() - cpu0 + _cpu_of(dask_pids) - dask0
    steady, worker_cpu = steady_per_file(out, workers)
    shutil.rmtree(out)
    return {"wall": wall, "cpu": cpu, "files": summary["developed"], "steady": steady, "worker_cpu": worker_cpu}


def _cpu_of(pids) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


# --- rawpy peer -----------------------------------------------------------------------------

def _rawpy_one(args) -> None:
    import numpy as np
    import rawpy
    from PIL import Image

    path, out = args
    with rawpy.imread(path) as raw:
        rgb = raw.postprocess()
    Image.fromarray(np.ascontiguousarray(rgb.squeeze())).save(out, quality=QUALITY)


RAWPY_SCRIPT = """
import multiprocessing as mp, sys
from pathlib import Path
sys.path.insert(0, {bench!r})
from batch import _rawpy_one
if __name__ == "__main__":
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir()
    jobs = [(str(p), str(out / (p.stem + ".jpg"))) for p in sorted(src.glob("*.dng"))]
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_rawpy_one, jobs, chunksize=1)
"""


def run_rawpy(src: Path, root: Path) -> dict:
    out = root / f"rawpy-{time.monotonic_ns()}"
    script = RAWPY_SCRIPT.format(bench=str(Path(__file__).parent))
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", script, str(src), str(out)], check=True,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    wall = time.perf_counter() - t0
    files = len(list(out.glob("*.jpg")))
    shutil.rmtree(out)
    return {"wall": wall, "cpu": children_cpu() - cpu0, "files": files, "steady": None}


# --- darktable-cli, rawtherapee-cli ---------------------------------------------------------

def _peer_command(name: str, paths: list[Path], out: Path, conf: Path) -> list[str]:
    """One process for several files, so a peer pays its start-up once per process, as our
    workers do (darktable-cli takes a folder, rawtherapee-cli a list of files)."""
    if name == "darktable-cli":
        folder = conf / f"in-{paths[0].stem}"
        folder.mkdir(parents=True)
        for p in paths:
            os.link(p, folder / p.name)
        return [name, str(folder), str(out / "$(FILE_NAME).jpg"), "--core", "--configdir", str(conf / paths[0].stem),
                "--library", ":memory:", "--conf", f"plugins/imageio/format/jpeg/quality={QUALITY}"]
    return [name, "-o", str(out), f"-j{QUALITY}", "-Y", "-d", "-c", *map(str, paths)]


def run_cli_peer(name: str, files: list[Path], root: Path) -> dict:
    """Two processes, each given half of the files."""
    out = root / f"{name}-{time.monotonic_ns()}"
    out.mkdir()
    conf = root / f"{name}-conf-{time.monotonic_ns()}"
    conf.mkdir()
    halves = [files[0::2], files[1::2]]
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    procs = [subprocess.Popen(_peer_command(name, half, out, conf), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for half in halves if half]
    for p in procs:
        p.wait()
    wall = time.perf_counter() - t0
    made = len(list(out.glob("*.jpg")))
    shutil.rmtree(out)
    shutil.rmtree(conf, ignore_errors=True)
    return {"wall": wall, "cpu": children_cpu() - cpu0, "files": made, "steady": None}


# --- a local Dask cluster -------------------------------------------------------------------

class LocalCluster:
    """``dask scheduler`` + two single-threaded ``dask worker`` processes on loopback."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True,
                 "env": {**os.environ, "MALLOC_ARENA_MAX": "1"}}     # the buffer pool in the task thread
        self.procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                        "--no-dashboard"], **quiet)]
        for _ in range(2):
            self.procs.append(subprocess.Popen([str(BIN / "dask"), "worker", self.address, "--host", "127.0.0.1",
                                                "--nworkers", "1", "--nthreads", "1", "--no-nanny",
                                                "--no-dashboard"], **quiet))
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def close(self) -> None:
        for p in reversed(self.procs):
            p.kill()
            p.wait()


# --- the buffer pool, profiled ----------------------------------------------------------------

PROFILE_SCRIPT = """
import json, resource, sys, time
import numba
from lsquared.pipeline.buffers import retain_buffers
from lsquared.pipeline.run import develop, save
numba.set_num_threads(1)
if sys.argv[2] == "pool":
    retain_buffers()
rows = []
for i in range(int(sys.argv[3]) + 1):
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    save(develop(sys.argv[1]), sys.argv[4], overwrite=True)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    if i:                                      # the first loads the kernels
        rows.append({"wall": time.perf_counter() - t0, "user": r1.ru_utime - r0.ru_utime,
                     "sys": r1.ru_stime - r0.ru_stime, "faults": r1.ru_minflt - r0.ru_minflt})
print(json.dumps(rows))
"""


def profile(runs: int) -> None:
    print(f"# buffer pool: one worker (1 thread), {FULL.name} developed {runs} times after one warm-up, "
          f"in-process; alternating; load average {os.getloadavg()[0]:.2f}")
    results: dict[str, list[dict]] = {"without pool": [], "with pool": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):
            for case, arg in (("without pool", "plain"), ("with pool", "pool")):
                run = subprocess.run([sys.executable, "-c", PROFILE_SCRIPT, str(FULL), arg, str(runs),
                                      str(Path(tmp) / "p.jpg")], capture_output=True, text=True, check=True,
                                     env={**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
                results[case] += json.loads(run.stdout.splitlines()[-1])
    print("| case | wall, s | user CPU, s | system CPU, s | CPU per file, s | minor page faults |")
    print("|---|---:|---:|---:|---:|---:|")
    for case, rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(f"| {case} | {med['wall']:.3f} | {med['user']:.3f} | {med['sys']:.3f} | "
              f"{med['user'] + med['sys']:.3f} | {med['faults']:.0f} |")
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


STAGES_SCRIPT = """
import json, resource, sys, time
from lsquared.batch.task import configure_worker
from lsquared.pipeline.run import develop, save
configure_worker(threads=1)                   # as a batch worker: one thread, the buffer pool
rows = []
for i in range(int(sys.argv[2]) + 1):
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    picture = develop(sys.argv[1])
    t1 = time.perf_counter()
    save(picture, sys.argv[3], quality=int(sys.argv[4]), overwrite=True)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    if i:                                      # the first loads the kernels
        rows.append({**picture.timings, "save (JPEG)": time.perf_counter() - t1,
                     "whole file": time.perf_counter() - t0,
                     "CPU": r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime})
print(json.dumps(rows))
"""


def stages(runs: int) -> None:
    """Per-step wall times (Picture.timings) of one batch worker on the 24 MP file: one thread, so
    each step's wall time is its CPU time on an idle core; the whole file's CPU beside them."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"# steps of one worker (1 thread, buffer pool), {FULL.name} developed {runs} times after one "
          f"warm-up, in-process, JPEG {QUALITY}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"commit {commit}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([sys.executable, "-c", STAGES_SCRIPT, str(FULL), str(runs), str(Path(tmp) / "s.jpg"),
                              str(QUALITY)], capture_output=True, text=True, check=True,
                             env={**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    rows = json.loads(run.stdout.splitlines()[-1])
    print("| step | median, s | share of the file |")
    print("|---|---:|---:|")
    whole = statistics.median(r["whole file"] for r in rows)
    for step in rows[0]:
        med = statistics.median(r[step] for r in rows)
        share = f"{100 * med / whole:.0f} %" if step not in ("whole file", "CPU") else ""
        print(f"| {step} | {med:.3f} | {share} |")
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peer-files", type=int, default=6, help="files for darktable-cli and rawtherapee-cli")
    ap.add_argument("--skip-peers", action="store_true", help="only lsquared's cases")
    ap.add_argument("--profile", action="store_true", help="only the buffer-pool profile")
    ap.add_argument("--stages", action="store_true", help="only one worker's time per develop step")
    args = ap.parse_args()
    if not FULL.exists():
        raise SystemExit(f"{FULL} not found (set LSQUARED_SHARED)")
    if args.profile:
        profile(max(3, args.runs))
        return
    if args.stages:
        stages(max(3, args.runs))
        return
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"# bench/batch.py {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    root = Path(tempfile.mkdtemp(prefix="lsq-bench-batch-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # a kill still removes the copies
    try:
        src, megapixels = make_folder(root, args.files)
        files = sorted(src.iterdir())
        print(f"# {len(files)} files, {megapixels:.0f} MP; whole process; medians of {args.runs} runs, alternating")
        peer_files = files[:min(args.peer_files, len(files))]
        peer_src = root / "peer"
        peer_src.mkdir()
        for p in peer_files:
            os.link(p, peer_src / p.name)
        peer_mp = sum(9536 * 6336 if "mono60" in p.name else 6048 * 4032 for p in peer_files) / 1e6
        cases = {"lsquared, 1 worker": lambda: run_lsquared(src, root, 1),
                 "lsquared, 2 workers": lambda: run_lsquared(src, root, 2)}
        try:
            import distributed  # noqa: F401
            cases["lsquared, Dask (2 workers x 1 thread)"] = "dask"
        except ImportError:
            print("# Dask: not installed (pip install 'dask[distributed]'), skipped")
        if not args.skip_peers:
            cases["rawpy + Pillow, 2 processes"] = lambda: run_rawpy(src, root)
            for name in ("darktable-cli", "rawtherapee-cli"):
                if shutil.which(name):
                    cases[f"{name}, 2 processes ({len(peer_files)} files)"] = \
                        (lambda n=name: run_cli_peer(n, peer_files, root))
                else:
                    print(f"# {name}: not installed (sudo apt-get install -y darktable rawtherapee), skipped")
        results: dict[str, list[dict]] = {k: [] for k in cases}
        for r in range(args.runs):
            for name, fn in cases.items():
                if fn == "dask":
                    cluster = LocalCluster()
                    try:
                        results[name].append(run_lsquared(src, root, 2, cluster.address, cluster.pids))
                    finally:
                        cluster.close()
                else:
                    results[name].append(fn())
                row = results[name][-1]
                print(f"#   run {r + 1}: {name}: {row['wall']:.1f} s, {row['files']} files", flush=True)
        print()
        print("| case | files | wall, s | files/s | MP/s | CPU-s per file | steady wall per 24 MP file, s "
              "| worker CPU-s per 24 MP file |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        rates = {}
        for name, rows in results.items():
            n = rows[0]["files"]
            mp = peer_mp if "files)" in name else megapixels
            wall = statistics.median(r["wall"] for r in rows)
            cpu = statistics.median(r["cpu"] for r in rows)
            steadies = [r["steady"] for r in rows if r["steady"]]
            steady = f"{statistics.median(steadies):.3f}" if steadies else ""
            wcpus = [r["worker_cpu"] for r in rows if r.get("worker_cpu")]
            wcpu = f"{statistics.median(wcpus):.2f}" if wcpus else ""
            rates[name] = mp / wall
            print(f"| {name} | {n} | {wall:.1f} | {n / wall:.3f} | {mp / wall:.1f} | {cpu / max(n, 1):.2f} | {steady} | {wcpu} |")
        print()
        two = rates.get("lsquared, 2 workers")
        for name, rate in rates.items():
            if two and name != "lsquared, 2 workers":
                print(f"# lsquared 2 workers / {name}: {two / rate:.2f}x (MP/s)")
        print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
