"""Helpers of the tether tests: shots, an album with a device token on a real server, a real
``lsquared tether`` process, the tether's and the server's databases read back."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from share_fixtures import ServerProcess, add_user


def make_shot(path: Path, seed: int, pad: int = 0) -> Path:
    """A small DNG written to a temporary name and renamed (as a camera's final write)."""
    from lsquared.synth.demo import make_demo_raw

    tmp = path.with_name("." + path.name + ".writing")
    make_demo_raw(tmp, size=(240, 160), seed=seed)
    if pad:
        with open(tmp, "ab") as f:               # padding after the raw data: a large, valid file
            f.write(hashlib.shake_256(str(seed).encode()).digest(pad))
    os.replace(tmp, path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Album:
    """A user, an album and an upload-only device token on a running server."""

    def __init__(self, server: ServerProcess, name: str):
        self.server = server
        self.token = add_user(server.data, name)
        self.h = {"Authorization": f"Bearer {self.token}"}
        r = httpx.post(server.url + "/api/albums", json={"title": name}, headers=self.h)
        self.id = r.json()["id"]
        r = httpx.post(f"{server.url}/api/albums/{self.id}/tokens", json={"upload_only": True}, headers=self.h)
        self.device = r.json()["token"]

    def photos(self) -> list[dict]:
        try:
            r = httpx.get(f"{self.server.url}/api/albums/{self.id}/photos", headers=self.h, timeout=5)
        except httpx.TransportError:
            return []
        return r.json() if r.status_code == 200 else []

    def events(self) -> list[tuple[str, int]]:
        db = sqlite3.connect(self.server.data / "lsquared.db")
        try:
            return db.execute("SELECT kind, photo_id FROM events WHERE album_id = ? ORDER BY id", (self.id,)).fetchall()
        finally:
            db.close()


class TetherProcess:
    def __init__(self, folder: Path, album: Album, *args: str):
        self.log_path = folder.parent / f"tether-{time.monotonic_ns()}.log"
        cmd = [sys.executable, "-m", "lsquared.cli.main", "tether", str(folder), "--album", str(album.id),
               "--settle", "0.5", "--rescan", "1", "--max-backoff", "1", *args]
        env = {**os.environ, "LSQUARED_SERVER": album.server.url, "LSQUARED_TOKEN": album.device}
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text()

    def wait(self, timeout: float = 120) -> int:
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def shot_state(folder: Path, name: str) -> tuple[str, int] | None:
    path = folder / ".lsquared-tether.sqlite"
    if not path.exists():
        return None
    db = sqlite3.connect(path, timeout=10)
    try:
        return db.execute("SELECT state, confirmed FROM shots WHERE name = ?", (name,)).fetchone()
    except sqlite3.OperationalError:          # the tether has not made its tables yet
        return None
    finally:
        db.close()


def audit_developed_once(album: Album, shots: list[Path]) -> list[dict]:
    """Every shot is in the album once, with its SHA-256, developed, announced once."""
    photos = album.photos()
    assert sorted(p["sha256"] for p in photos) == sorted(sha256(s) for s in shots)
    assert all(p["state"] == "developed" for p in photos), [(p["name"], p["state"], p["error"]) for p in photos]
    events = album.events()
    for p in photos:
        assert events.count(("photo-added", p["id"])) == 1
        assert events.count(("developed", p["id"])) == 1, (p["id"], events)
    for s in shots:
        stored = album.server.data / "originals" / sha256(s)[:2] / sha256(s)
        assert sha256(stored) == sha256(s)
    return photos


def start_server(tmp_path: Path, port: int | None = None) -> ServerProcess:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    return ServerProcess(data, workers=1, port=port).start()
