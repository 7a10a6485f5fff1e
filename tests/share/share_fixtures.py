"""Helpers of the share and tether tests: a real ``lsquared serve`` process on loopback, a
fresh PostgreSQL database, an SSE reader.  A plain module with its own name (imported as
``share_fixtures``), not conftest.py: several test folders have a conftest, and which of them
a bare ``import conftest`` finds depends on the order pytest-xdist collects them."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

PG_ENV = "LSQUARED_TEST_POSTGRES_URL"


def postgres_url_or_skip() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI is set but {PG_ENV} is not: .ci/run must start PostgreSQL for the share tests")
        pytest.skip(f"no PostgreSQL: set {PG_ENV} (bash .ci/postgres.sh prints one)")
    return url


def fresh_postgres_database(url: str) -> tuple[str, callable]:
    """Create a new database on the server of ``url``; returns its URL and a drop function."""
    import psycopg

    base = url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"lsq_test_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    new_url = url.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        # FORCE ends our own leftover connections; it cannot end a process of another role (an
        # autovacuum worker the server started on the new database runs as the superuser), which
        # fails the drop with InsufficientPrivilege until that worker finishes: wait and retry.
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(base, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg.errors.InsufficientPrivilege:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    return new_url, drop


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A real ``lsquared serve`` on loopback."""

    def __init__(self, data: Path, *, database: str | None = None, workers: int = 1, port: int | None = None,
                 extra_env: dict | None = None):
        self.data, self.database, self.workers = data, database, workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LSQUARED_LEASE_SECONDS": "3", **(extra_env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        cmd = [sys.executable, "-m", "lsquared.cli.main", "serve", "--port", str(self.port), "--data",
               str(self.data), "--workers", str(self.workers)]
        if self.database:
            cmd += ["--database", self.database]
        self.log = open(self.data.parent / f"server-{self.port}.log", "ab")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.data.parent / f'server-{self.port}.log').read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL the server (its workers die with it: PR_SET_PDEATHSIG)."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._reap_group()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reap_group()

    def _reap_group(self) -> None:
        # the workers are in the server's session; make sure none outlives the test
        if self.proc is None:
            return
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def add_user(data: Path, name: str, password: str = "correct horse", database: str | None = None) -> str:
    """``lsquared user add`` as a user runs it; returns the API token (its last line)."""
    cmd = [sys.executable, "-m", "lsquared.cli.main", "user", "add", name, "--data", str(data), "--password-stdin"]
    if database:
        cmd += ["--database", database]
    out = subprocess.run(cmd, input=password + "\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


class EventStream:
    """A viewer's SSE connection read in a thread: ``events`` collects (id, data dict)."""

    def __init__(self, url: str, last_event_id: str | None = None):
        import json
        import threading

        self.events: list[tuple[int, dict]] = []
        self.headers: dict = {}
        self._stop = threading.Event()
        self._json = json
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()

    def _run(self, url, headers) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client, \
                    client.stream("GET", url, headers=headers) as r:
                self.headers = dict(r.headers)
                self.status = r.status_code
                ev_id, data = None, []
                for line in r.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("id:"):
                        ev_id = int(line[3:].strip())
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and data:
                        self.events.append((ev_id, self._json.loads("\n".join(data))))
                        ev_id, data = None, []
        except httpx.HTTPError:
            return

    def wait(self, predicate, timeout: float = 60.0):
        return wait_for(lambda: [e for e in self.events if predicate(e[1])], timeout)

    def close(self) -> None:
        self._stop.set()
