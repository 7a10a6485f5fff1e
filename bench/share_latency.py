"""Share service latency: from the end of an upload to the preview and to the full develop
being visible in the share link's live event stream (what a viewer's page reacts to).

A real ``lsquared serve`` on loopback (SQLite by default, ``--database URL`` for PostgreSQL)
with ``--workers 2``; a viewer connected to ``/s/<token>/events``; 20 uploads of the 24 MP
raw, each a copy with distinct bytes (a counter appended after the file's data, so every
upload is new content).  Uploads are sequential and each waits for its develop, so the
figures are latency, not queueing.  Whole-process server, warm workers (one warm-up upload
is not counted).  Peers measured in the same run, alternating with the uploads: the upload
itself (HTTP transfer of the same bytes until the 201 answer), and the same raw developed by
``lsquared.develop`` in this process (warm, in-process) while the service is idle: what the
full develop costs on this machine at that moment, without the service around it.

    python bench/share_latency.py [--uploads 20] [--database URL] [--raw FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RAW = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data/raw/synthetic-fullframe-24mp.dng"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp: Path, workers: int, database: str | None = None) -> tuple[subprocess.Popen, str, dict]:
    """A real ``lsquared serve`` on a free loopback port with its data in ``tmp``/data, once it
    answers, and a user "bench": (process, base URL, the user's Authorization header).  The
    caller ends it with ``stop``."""
    data = tmp / "data"
    port = free_port()
    db = ["--database", database] if database else []
    log = open(tmp / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "lsquared.cli.main", "serve", "--port", str(port),
                               "--data", str(data), "--workers", str(workers)] + db,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        add = subprocess.run([sys.executable, "-m", "lsquared.cli.main", "user", "add", "bench", "--data",
                              str(data), "--password-stdin"] + db,
                             input="bench password\n", capture_output=True, text=True, check=True)
    except BaseException:
        stop(server)
        raise
    return server, url, {"Authorization": "Bearer " + add.stdout.strip().splitlines()[-1]}


def stop(server: subprocess.Popen) -> None:
    """End the server and whatever it started (its own session: one process group)."""
    import signal

    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    server.wait(30)


class Viewer(threading.Thread):
    """Reads the SSE stream and notes when each (photo, event type) arrived."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.seen, self.cond = url, {}, threading.Condition()

    def run(self) -> None:
        with httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as c, c.stream("GET", self.url) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    data = json.loads(line[5:])
                    with self.cond:
                        self.seen[(data.get("photo_id"), data["type"])] = time.perf_counter()
                        self.cond.notify_all()

    def wait(self, photo_id: int, kind: str, timeout: float = 300.0) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: (photo_id, kind) in self.seen, timeout):
                raise TimeoutError(f"no {kind} event for photo {photo_id}")
            return self.seen[(photo_id, kind)]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database", default=None, help="postgresql+psycopg://... (default: SQLite)")
    ap.add_argument("--raw", type=Path, default=DEFAULT_RAW)
    args = ap.parse_args()
    if not args.raw.is_file():
        sys.exit(f"bench: {args.raw} not found (the shared data set)")
    original = args.raw.read_bytes()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="lsq-share-bench-") as tmp:
        server, url, h = serve(Path(tmp), args.workers, args.database)
        try:
            client = httpx.Client(base_url=url, headers=h, timeout=300)
            album = client.post("/api/albums", json={"title": "bench"}).json()["id"]
            token = client.post(f"/api/albums/{album}/shares", json={}).json()["token"]
            viewer = Viewer(f"{url}/s/{token}/events")
            viewer.start()

            def upload(i: int) -> tuple[int, float, float]:
                body = original + b"lsquared-bench-%08d" % i
                t0 = time.perf_counter()
                r = client.post(f"/api/albums/{album}/photos", params={"name": f"bench-{i}.dng"}, content=body)
                r.raise_for_status()
                return r.json()["id"], t0, time.perf_counter()

            import lsquared

            pid, _, _ = upload(0)                      # warm-up: workers load their kernels
            viewer.wait(pid, "developed")
            lsquared.develop(args.raw)                 # warm-up of the in-process peer
            rows = []
            for i in range(1, args.uploads + 1):
                pid, t0, end = upload(i)
                preview = viewer.wait(pid, "preview-ready") - end
                developed = viewer.wait(pid, "developed") - end
                time.sleep(0.5)                        # the worker has written its files
                d0 = time.perf_counter()
                lsquared.develop(args.raw)
                plain = time.perf_counter() - d0
                rows.append((end - t0, preview, developed, plain))
                print(f"  upload {i:2d}: transfer {end - t0:6.3f} s  preview {preview:6.3f} s  "
                      f"developed {developed:6.3f} s  | peer: in-process develop {plain:6.3f} s", flush=True)
        finally:
            stop(server)
    load = open("/proc/loadavg").read().split()[:3]
    db = "PostgreSQL" if args.database else "SQLite (WAL)"
    print()
    print(f"share latency, {args.raw.name} ({len(original) / 1e6:.1f} MB), {args.uploads} uploads, "
          f"{args.workers} workers, {db}")
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {' '.join(load)}, "
          f"commit {commit}, {os.cpu_count()} CPUs; whole-process server, warm workers")
    print()
    print("| from the end of the upload to ...     | median (s) | p95 (s) |")
    print("|----------------------------------------|-----------:|--------:|")
    for label, k in (("preview visible in the SSE stream", 1), ("full develop visible in the SSE stream", 2),
                     ("(peer) the upload itself, 201 answer", 0),
                     ("(peer) lsquared.develop, in-process", 3)):
        values = [r[k] for r in rows]
        print(f"| {label:<38} | {statistics.median(values):10.3f} | {pct(values, 0.95):7.3f} |")


if __name__ == "__main__":
    main()
