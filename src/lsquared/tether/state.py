"""The tether's memory: a small SQLite file (``.lsquared-tether.sqlite`` in the watched folder, or
``--state FILE``), so that every shot is sent exactly once across restarts, renames and copies.

    shots  one row per distinct content (SHA-256) and destination (server + album): its name,
           when it was shot (modification time), its state (queued, sending, sent, failed),
           the resumable upload's URL and confirmed offset, the photo it became
    seen   path -> (size, mtime, SHA-256) of files already looked at, so a rescan does not
           hash an unchanged file again; a renamed or copied file hashes to a known shot

Every change is one committed transaction (WAL mode): a tether killed at any instant
restarts from what is on disk; a shot 'sending' resumes its upload at the server's offset.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

STATE_NAME = ".lsquared-tether.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS shots (
    destination TEXT NOT NULL,          -- server URL + album id
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    shot_ns INTEGER NOT NULL,           -- modification time: the shooting order
    state TEXT NOT NULL,                -- queued | sending | sent | failed
    upload_url TEXT,
    confirmed INTEGER NOT NULL DEFAULT 0,
    photo_id INTEGER,
    duplicate INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    added_at REAL NOT NULL,
    sent_at REAL,
    PRIMARY KEY (destination, sha256)
);
CREATE INDEX IF NOT EXISTS shots_order ON shots (destination, state, shot_ns, name);
CREATE TABLE IF NOT EXISTS seen (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT,                        -- NULL: looked at, not a readable picture (error says why)
    error TEXT
);
"""


@dataclass(frozen=True, slots=True)
class Shot:
    sha256: str
    name: str
    path: str
    size: int
    shot_ns: int
    state: str
    upload_url: str | None
    confirmed: int
    photo_id: int | None
    error: str | None


class State:
    def __init__(self, path: Path, destination: str):
        self.path = Path(path)
        self.destination = destination
        self._lock = threading.Lock()
        try:
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the tether state file ({exc})", path=self.path,
                             hint="is the folder writable? a read-only card needs --state FILE elsewhere") from None

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def _run(self, sql: str, params=()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, params)

    # --- seen files ----------------------------------------------------------------------------
    def seen(self, path: Path, size: int, mtime_ns: int) -> tuple[str | None, str | None] | None:
        """(sha256, error) if this exact file (path, size, mtime) was looked at before."""
        row = self._run("SELECT sha256, error FROM seen WHERE path = ? AND size = ? AND mtime_ns = ?",
                        (str(path), size, mtime_ns)).fetchone()
        return None if row is None else (row[0], row[1])

    def remember(self, path: Path, size: int, mtime_ns: int, sha256: str | None, error: str | None = None) -> None:
        self._run("INSERT OR REPLACE INTO seen (path, size, mtime_ns, sha256, error) VALUES (?, ?, ?, ?, ?)",
                  (str(path), size, mtime_ns, sha256, error))

    def paths_of(self, sha256: str) -> list[Path]:
        return [Path(p) for (p,) in self._run("SELECT path FROM seen WHERE sha256 = ?", (sha256,)).fetchall()]

    # --- shots ---------------------------------------------------------------------------------
    def add(self, sha256: str, path: Path, size: int, shot_ns: int) -> bool:
        """Queue a new content; False when this content is already known (sent, queued, a copy)."""
        cur = self._run("INSERT OR IGNORE INTO shots (destination, sha256, name, path, size, shot_ns, state, "
                        "added_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?)",
                        (self.destination, sha256, path.name, str(path), size, shot_ns, time.time()))
        return cur.rowcount == 1

    def next_queued(self) -> Shot | None:
        """The earliest shot not yet sent (a 'sending' one first: it was interrupted)."""
        row = self._run(
            "SELECT sha256, name, path, size, shot_ns, state, upload_url, confirmed, photo_id, error FROM shots "
            "WHERE destination = ? AND state IN ('sending', 'queued') "
            "ORDER BY state = 'queued', shot_ns, name LIMIT 1", (self.destination,)).fetchone()
        return None if row is None else Shot(*row)

    def update(self, sha256: str, **values) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        self._run(f"UPDATE shots SET {cols} WHERE destination = ? AND sha256 = ?",
                  (*values.values(), self.destination, sha256))

    def failure_of(self, sha256: str) -> str | None:
        """Why the shot of this content failed, or None when it did not."""
        row = self._run("SELECT error FROM shots WHERE destination = ? AND sha256 = ? AND state = 'failed'",
                        (self.destination, sha256)).fetchone()
        return None if row is None else (row[0] or "failed")

    def counts(self) -> dict[str, int]:
        rows = self._run("SELECT state, count(*) FROM shots WHERE destination = ? GROUP BY state",
                         (self.destination,)).fetchall()
        return {"queued": 0, "sending": 0, "sent": 0, "failed": 0} | dict(rows)

    def shots(self) -> list[Shot]:
        rows = self._run(
            "SELECT sha256, name, path, size, shot_ns, state, upload_url, confirmed, photo_id, error FROM shots "
            "WHERE destination = ? ORDER BY shot_ns, name", (self.destination,)).fetchall()
        return [Shot(*r) for r in rows]
