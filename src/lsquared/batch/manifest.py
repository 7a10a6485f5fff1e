"""The batch manifest: an SQLite file in the output folder that remembers what was made.

One row per output (its path relative to the output folder): the input it came from, the
input's content hash (SHA-256), the resolved recipe's hash, the state (``pending`` when the
task was handed out, ``done``, ``failed``), and for a done render the output's hash, size and
modification time, the time it took, its EXIF summary and a thumbnail (for the report).  A
render is up to date when the input hash and the recipe hash match and the output is still the
file that was written.  A second table caches input hashes by (path, size, mtime) so a re-run
of a large archive does not read every file again.

Only the batch's main process writes (results come back to it from the workers), one
transaction per result, so an interrupted run keeps everything that finished.  The file is
locked (``flock``) while a batch runs: two batches on one output folder would race.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError
from .task import Result

MANIFEST_NAME = ".lsquared-batch.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS renders (
    output        TEXT PRIMARY KEY,     -- relative to the output folder
    source        TEXT NOT NULL,
    input_hash    TEXT NOT NULL,
    recipe_hash   TEXT NOT NULL,
    state         TEXT NOT NULL,        -- pending | done | failed
    output_hash   TEXT,
    output_size   INTEGER,
    output_mtime  INTEGER,
    error         TEXT,
    retry         INTEGER NOT NULL DEFAULT 1,   -- a failure worth retrying unchanged (not the file's fault)
    width         INTEGER,
    height        INTEGER,
    seconds       REAL,
    cpu_seconds   REAL,
    exif          TEXT,
    thumbnail     BLOB,
    worker        TEXT,
    finished      REAL
);
CREATE INDEX IF NOT EXISTS renders_key ON renders (input_hash, recipe_hash);
CREATE TABLE IF NOT EXISTS input_hashes (
    path     TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    mtime    INTEGER NOT NULL,
    sha256   TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Render:
    output: str
    source: str
    input_hash: str
    recipe_hash: str
    state: str
    output_hash: str | None
    output_size: int | None
    output_mtime: int | None
    error: str | None
    retry: bool
    width: int | None
    height: int | None
    seconds: float | None
    cpu_seconds: float | None
    exif: dict
    thumbnail: bytes | None


class Manifest:
    def __init__(self, outdir: Path, *, readonly: bool = False):
        self.outdir = Path(outdir)
        self.path = self.outdir / MANIFEST_NAME
        self.readonly = readonly
        self._lock_fd: int | None = None
        if readonly and not self.path.exists():
            self.db = sqlite3.connect(":memory:")
        elif readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        else:
            self.db = sqlite3.connect(self.path)
            self._lock()
        if not readonly or not self.path.exists():
            self.db.executescript(_SCHEMA)
            self.db.commit()

    def _lock(self) -> None:
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            self.db.close()
            raise OutputError("another batch is writing to this output folder", path=self.outdir,
                              hint="wait for it to finish, or choose another -o") from None
        self._lock_fd = fd

    def close(self) -> None:
        self.db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)        # releases the flock
            self._lock_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- input hashes -------------------------------------------------------------------

    def cached_hash(self, path: str, size: int, mtime: int) -> str | None:
        row = self.db.execute("SELECT sha256 FROM input_hashes WHERE path=? AND size=? AND mtime=?",
                              (path, size, mtime)).fetchone()
        return row[0] if row else None

    def store_hashes(self, rows: list[tuple[str, int, int, str]]) -> None:
        if self.readonly or not rows:
            return
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO input_hashes VALUES (?, ?, ?, ?)", rows)

    # --- renders ------------------------------------------------------------------------

    def render(self, output_rel: str) -> Render | None:
        row = self.db.execute("SELECT output, source, input_hash, recipe_hash, state, output_hash, output_size, "
                              "output_mtime, error, retry, width, height, seconds, cpu_seconds, exif, thumbnail "
                              "FROM renders WHERE output=?", (output_rel,)).fetchone()
        if row is None:
            return None
        return Render(*row[:9], bool(row[9]), *row[10:14], json.loads(row[14] or "{}"), row[15])

    def claim(self, items: list[tuple[str, str, str, str]]) -> None:
        """Mark (output, source, input_hash, recipe_hash) as handed out: an output published
        by a run that was then killed is known to be the batch's own, and is replaced."""
        if self.readonly or not items:
            return
        with self.db:
            self.db.executemany(
                "INSERT INTO renders (output, source, input_hash, recipe_hash, state) VALUES (?, ?, ?, ?, 'pending') "
                "ON CONFLICT(output) DO UPDATE SET source=excluded.source, input_hash=excluded.input_hash, "
                "recipe_hash=excluded.recipe_hash, state='pending'", items)

    def record(self, output_rel: str, source: str, input_hash: str, recipe_hash: str, result: Result,
               retry: bool) -> None:
        """Store a finished task (one transaction: an interruption keeps what finished)."""
        size = mtime = None
        if result.ok:
            st = os.stat(result.output)
            size, mtime = st.st_size, st.st_mtime_ns
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO renders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (output_rel, source, input_hash, recipe_hash, "done" if result.ok else "failed",
                 result.output_hash, size, mtime, result.error, int(retry), result.width or None,
                 result.height or None, result.seconds, result.cpu_seconds, json.dumps(result.exif),
                 result.thumbnail, result.worker, time.time()))

    def output_intact(self, render: Render) -> bool:
        """The output is still the file this batch wrote (same size and mtime; the content hash
        was taken when it was written)."""
        try:
            st = os.stat(self.outdir / render.output)
        except OSError:
            return False
        return st.st_size == render.output_size and st.st_mtime_ns == render.output_mtime
