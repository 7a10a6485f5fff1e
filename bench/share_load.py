"""The share service under load, whole-process: a real ``lsquared serve`` on loopback
(``--workers 2``; SQLite, or PostgreSQL with ``--database``), driven over HTTP by this process.

0. Quiet (the peer, same run): single uploads one at a time, nothing else running.
1. Saturation: ``--uploaders`` (20) clients each upload ``--files`` (10) raws as fast as they
   can (copies of ../shared/data/raw DNGs made distinct by a unique tail, 24 MP ones
   included) while ``--viewers`` (50) clients hold the shared page's live stream open.
   Reported: accepted uploads/s, developed photos/s (all photos over the time from the first
   upload's start to the last develop), the server's peak memory (RSS of the server and its
   workers, summed, sampled every 0.2 s), and per (photo, viewer) the time from the upload's
   end (its HTTP answer) to the preview and to the full develop arriving in that viewer's
   stream.  "Preview" is the first image the viewer gets: the preview-ready event, or the
   developed one when that came first.
2. Live shooting: one new file every 1/(capacity/2) seconds for ``--live-seconds`` (60),
   capacity being phase 1's develop rate on the same mix; the same latencies.
3. After each phase an audit: every file sent is in the album once, its stored original has
   the SHA-256 of the bytes sent, it is developed, and each of the viewers was told of it
   exactly once (one photo-added, one developed).

Prints the date, load average, commit, a table, and a markdown block for docs/benchmarks.md.
Usage: python bench/share_load.py [--database postgresql+psycopg://...] [--uploaders 20 --files 10
       --viewers 50 --live-seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import runinfo

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
MIX = ["canon-550d-magiclantern-2mp.dng", "sony-a7r4-linear-lossy-6mp.dng", "synthetic-fullframe-24mp.dng"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, bytes."""
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Server:
    def __init__(self, data: Path, database: str | None, workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "lsquared.cli.main", "serve", "--port", str(self.port), "--data", str(data),
               "--workers", str(workers)] + (["--database", database] if database else [])
        self.log_path = Path(tempfile.gettempdir()) / f"share-load-server-{self.port}.log"   # kept for a post-mortem
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.peak = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, tree_rss(self.proc.pid))

    def reset_peak(self) -> None:
        self.peak = tree_rss(self.proc.pid)

    def stop(self) -> None:
        self._stop.set()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@dataclass
class Viewer:
    """One open live stream: when each (type, photo) event arrived, and how often."""
    seen: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


async def watch(client: httpx.AsyncClient, url: str, viewer: Viewer, stop: asyncio.Event) -> None:
    async with client.stream("GET", url, headers={"Accept": "text/event-stream"}) as r:
        viewer.connected.set()
        data: list[str] = []
        async for line in r.aiter_lines():
            if line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                d = json.loads("\n".join(data))
                data = []
                if d.get("photo_id") is not None:
                    viewer.seen.setdefault((d["type"], d["photo_id"]), []).append(time.monotonic())
            if stop.is_set():
                return


class Source:
    """Distinct uploads from a few real files: the file's bytes, then a unique 32-byte tail
    (after the raw data: the file still opens and develops the same), streamed."""

    def __init__(self, names: list[str]):
        self.paths = [RAW / n for n in names]
        missing = [p for p in self.paths if not p.exists()]
        if missing:
            raise SystemExit(f"missing shared data: {missing[0]}")
        self.counter = 0
        self.hashed = {}                  # the file's hash state, copied and finished per upload
        for p in self.paths:
            digest = hashlib.sha256()
            with open(p, "rb") as f:
                while block := f.read(4 << 20):
                    digest.update(block)
            self.hashed[p] = digest

    def next(self) -> tuple[Path, bytes, str, int]:
        path = self.paths[self.counter % len(self.paths)]
        self.counter += 1
        tail = secrets.token_bytes(32)
        digest = self.hashed[path].copy()
        digest.update(tail)
        return path, tail, digest.hexdigest(), path.stat().st_size + len(tail)


async def upload(client: httpx.AsyncClient, album: int, token: str, path: Path, tail: bytes, n: int) -> tuple[dict, float]:
    async def body():
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                yield block
                await asyncio.sleep(0)
        yield tail

    r = await client.post(f"/api/albums/{album}/photos", params={"name": f"{n:05d}-{path.name}"}, content=body(),
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
                                   "Content-Length": str(path.stat().st_size + len(tail))})
    end = time.monotonic()
    if r.status_code not in (200, 201):
        raise SystemExit(f"upload refused: {r.status_code} {r.text[:200]}")
    return r.json(), end


@dataclass
class Phase:
    name: str
    sent: list[tuple[int, str, float, str]] = field(default_factory=list)   # photo id, sha, end time, file
    started: float = 0.0
    uploads_done: float = 0.0
    viewers: list[Viewer] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]


def latencies(phase: Phase) -> tuple[list[float], list[float]]:
    preview, full = [], []
    for pid, _, end, _ in phase.sent:
        for v in phase.viewers:
            dev = v.seen.get(("developed", pid))
            pre = v.seen.get(("preview-ready", pid))
            if dev:
                full.append(dev[0] - end)
                preview.append(min(dev[0], pre[0] if pre else dev[0]) - end)
    return preview, full


def summary(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.2f} / {pct(values, 0.95):.2f} / {max(values):.2f}"


async def open_viewers(server: Server, link_token: str, count: int, stop: asyncio.Event):
    client = httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(10.0, read=None),
                               limits=httpx.Limits(max_connections=count + 5))
    viewers = [Viewer() for _ in range(count)]
    tasks = [asyncio.create_task(watch(client, f"/s/{link_token}/events", v, stop)) for v in viewers]
    await asyncio.wait_for(asyncio.gather(*(v.connected.wait() for v in viewers)), 60)
    return client, viewers, tasks


async def close_viewers(stop: asyncio.Event, tasks, client: httpx.AsyncClient) -> None:
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.aclose()


async def wait_developed(phase: Phase, timeout: float) -> float:
    """Until every viewer has the develop of every photo; returns when the last arrived."""
    deadline = time.monotonic() + timeout
    ids = [pid for pid, *_ in phase.sent]
    while time.monotonic() < deadline:
        if all(("developed", pid) in v.seen for v in phase.viewers for pid in ids):
            return max(v.seen[("developed", pid)][0] for v in phase.viewers for pid in ids)
        await asyncio.sleep(0.2)
    missing = sum(("developed", pid) not in v.seen for v in phase.viewers for pid in ids)
    raise SystemExit(f"{phase.name}: {missing} (photo, viewer) develops not seen after {timeout:.0f} s")


def audit(phase: Phase, api: httpx.Client, album: int, data: Path) -> str:
    photos = {p["id"]: p for p in api.get(f"/api/albums/{album}/photos").json()}
    problems = []
    if len(photos) != len(phase.sent):
        problems.append(f"{len(photos)} photos in the album for {len(phase.sent)} sent")
    if len({sha for _, sha, _, _ in phase.sent}) != len(phase.sent):
        problems.append("two uploads had the same content")
    for pid, sha, _, _ in phase.sent:
        p = photos.get(pid)
        if p is None or p["sha256"] != sha:
            problems.append(f"photo {pid} missing or with another hash")
            continue
        if p["state"] != "developed":
            problems.append(f"photo {pid} is {p['state']}")
        stored = data / "originals" / sha[:2] / sha
        digest = hashlib.sha256()
        with open(stored, "rb") as f:
            while block := f.read(4 << 20):
                digest.update(block)
        if digest.hexdigest() != sha:
            problems.append(f"photo {pid}: stored original's hash differs")
        for i, v in enumerate(phase.viewers):
            for kind in ("photo-added", "developed"):
                n = len(v.seen.get((kind, pid), []))
                if n != 1:
                    problems.append(f"viewer {i} got {kind} of photo {pid} {n} times")
    if problems:
        return f"FAILED ({len(problems)}): " + "; ".join(problems[:5])
    return f"ok: {len(phase.sent)} stored once with matching SHA-256, developed, announced once to each of {len(phase.viewers)} viewers"


async def run(args) -> None:
    with tempfile.TemporaryDirectory(prefix="share-load-", dir=args.tmp) as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        database = args.database
        drop = None
        if database:
            import psycopg

            base = database.replace("postgresql+psycopg://", "postgresql://", 1)
            dbname = f"lsq_bench_{secrets.token_hex(4)}"
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')
            database = database.rsplit("/", 1)[0] + "/" + dbname

            def drop():
                # an autovacuum worker (the superuser's) on the database fails FORCE: retry
                for attempt in range(150):
                    try:
                        with psycopg.connect(base, autocommit=True) as conn:
                            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
                        return
                    except psycopg.errors.InsufficientPrivilege:
                        if attempt == 149:
                            raise
                        time.sleep(0.2)

        server = Server(data, database, args.workers)
        try:
            await _phases(args, server, data, database)
        finally:
            server.stop()
            if drop:
                drop()


async def _phases(args, server: Server, data: Path, database: str | None) -> None:
    cmd = [sys.executable, "-m", "lsquared.cli.main", "user", "add", "bench", "--data", str(data), "--password-stdin"]
    cmd += ["--database", database] if database else []
    token = subprocess.run(cmd, input="correct horse\n", capture_output=True, text=True, check=True).stdout.split()[-1]
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    source = Source(MIX)
    up = httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(300.0),
                           limits=httpx.Limits(max_connections=args.uploaders + 5))
    results = {}

    def new_album(title: str) -> tuple[int, str]:
        album = api.post("/api/albums", json={"title": title}).json()["id"]
        link = api.post(f"/api/albums/{album}/shares", json={}).json()["token"]
        return album, link

    # --- 0: quiet peer ---------------------------------------------------------------------
    album, link = new_album("quiet")
    stop = asyncio.Event()
    vclient, viewers, vtasks = await open_viewers(server, link, 1, stop)
    quiet = Phase("quiet", viewers=viewers)
    for m in MIX:                             # warm-up, not counted: each worker's first develop imports and loads
        path, tail, sha, _ = source.next()
        photo, end = await upload(up, album, token, path, tail, source.counter)
        warm = Phase("warm-up", viewers=viewers, sent=[(photo["id"], sha, end, path.name)])
        await wait_developed(warm, 300)
    for _ in range(args.quiet):
        path, tail, sha, _ = source.next()
        photo, end = await upload(up, album, token, path, tail, source.counter)
        quiet.sent.append((photo["id"], sha, end, path.name))
        await wait_developed(quiet, 120)
    results["quiet"] = quiet
    await close_viewers(stop, vtasks, vclient)

    # --- 1: saturation -----------------------------------------------------------------------
    album, link = new_album("saturation")
    stop = asyncio.Event()
    vclient, viewers, vtasks = await open_viewers(server, link, args.viewers, stop)
    sat = Phase("saturation", viewers=viewers)
    server.reset_peak()
    sat.started = time.monotonic()

    async def uploader(k: int) -> None:
        for _ in range(args.files):
            path, tail, sha, _ = source.next()
            photo, end = await upload(up, album, token, path, tail, source.counter)
            sat.sent.append((photo["id"], sha, end, path.name))

    await asyncio.gather(*(uploader(k) for k in range(args.uploaders)))
    sat.uploads_done = time.monotonic()
    last_dev = await wait_developed(sat, args.timeout)
    await asyncio.sleep(1.0)                  # late duplicates would show in the audit
    sat_peak = server.peak
    n = len(sat.sent)
    accept_rate = n / (sat.uploads_done - sat.started)
    develop_rate = n / (last_dev - sat.started)
    sat_audit = await asyncio.to_thread(audit, sat, api, album, data)
    results["saturation"] = sat
    await close_viewers(stop, vtasks, vclient)

    # --- 2: live shooting at half capacity ---------------------------------------------------
    album, link = new_album("live")
    stop = asyncio.Event()
    vclient, viewers, vtasks = await open_viewers(server, link, args.viewers, stop)
    live = Phase("live", viewers=viewers)
    rate = develop_rate / 2
    interval = 1.0 / rate
    server.reset_peak()
    live.started = time.monotonic()
    pending = []

    async def one() -> None:
        path, tail, sha, _ = source.next()
        photo, end = await upload(up, album, token, path, tail, source.counter)
        live.sent.append((photo["id"], sha, end, path.name))

    k = 0
    while time.monotonic() - live.started < args.live_seconds:
        pending.append(asyncio.create_task(one()))
        k += 1
        await asyncio.sleep(max(0.0, live.started + k * interval - time.monotonic()))
    await asyncio.gather(*pending)
    live.uploads_done = time.monotonic()
    await wait_developed(live, args.timeout)
    await asyncio.sleep(1.0)
    live_peak = server.peak
    live_audit = await asyncio.to_thread(audit, live, api, album, data)
    results["live"] = live
    await close_viewers(stop, vtasks, vclient)
    await up.aclose()
    api.close()

    # --- report ------------------------------------------------------------------------------
    backend = "PostgreSQL" if database else "SQLite"
    sizes = ", ".join(f"{(RAW / m).stat().st_size / 1e6:.0f} MB" for m in MIX)
    qp, qf = latencies(quiet)
    sp, sf = latencies(sat)
    lp, lf = latencies(live)
    lines = [
        f"whole-process: lsquared serve --workers {args.workers} ({backend}) on loopback; this process uploads and "
        f"holds the streams; file mix (cycled): {', '.join(MIX)} ({sizes}), each made distinct by a 32-byte tail",
        "",
        "| phase | files | uploads/s accepted | developed/s | peak server RSS | preview latency med / p95 / max (s) "
        "| full develop latency med / p95 / max (s) | audit |",
        "|---|---|---|---|---|---|---|---|",
        f"| quiet, 1 viewer, one upload at a time (peer) | {len(quiet.sent)} | | | | {summary(qp)} | {summary(qf)} | |",
        f"| saturation: {args.uploaders} uploaders x {args.files}, {args.viewers} viewers | {n} | {accept_rate:.2f} | "
        f"{develop_rate:.2f} | {sat_peak / 2**20:.0f} MiB | {summary(sp)} | {summary(sf)} | {sat_audit} |",
        f"| live shooting: {rate:.2f} files/s (half capacity) for {args.live_seconds:.0f} s, {args.viewers} viewers "
        f"| {len(live.sent)} | | | {live_peak / 2**20:.0f} MiB | {summary(lp)} | {summary(lf)} | {live_audit} |",
        "",
        f"latencies are per (photo, viewer) pair, from the upload's HTTP answer to the event's arrival; "
        f"targets at half capacity: preview p95 < 2 s ({'met' if lp and pct(lp, .95) < 2 else 'NOT met'}), "
        f"full develop p95 < 5 s ({'met' if lf and pct(lf, .95) < 5 else 'NOT met'})",
    ]
    print("\n".join(lines))
    print(runinfo.footer())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database", help="postgresql+psycopg://... (a fresh database is made on that server)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--uploaders", type=int, default=20)
    ap.add_argument("--files", type=int, default=10, help="files per uploader")
    ap.add_argument("--viewers", type=int, default=50)
    ap.add_argument("--live-seconds", type=float, default=60.0)
    ap.add_argument("--quiet", type=int, default=6, help="uploads of the quiet peer")
    ap.add_argument("--timeout", type=float, default=1800.0, help="longest wait for the develops of a phase")
    ap.add_argument("--tmp", default=None, help="where the server's data folder goes")
    args = ap.parse_args()
    print(runinfo.header("bench/share_load.py", "whole-process server (lsquared serve) driven over HTTP from this "
                         "process"), flush=True)
    print(f"# {args.uploaders} uploaders x {args.files} files, {args.viewers} viewers, live {args.live_seconds:.0f} s",
          flush=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
