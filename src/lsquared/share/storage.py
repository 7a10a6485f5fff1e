"""The content-addressed file store inside the data folder.

    originals/ab/<sha256>             each original once, untouched, named by its SHA-256
    renditions/<photo id>/<key>/...   what a develop made (key: preview or look version + recipe)
    looks/<sha256>.<cube|vlt>         uploaded look files
    tmp/                              uploads in progress (same file system: publishing is a rename)

An upload is streamed to ``tmp`` while it is hashed, in 1 MiB blocks, and never held whole in
memory; names given by users never reach a path (only digests and integers do).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK = 1 << 20
# An original no photo holds is removed only once it has been left alone this long: an upload
# of the same content touches it (keep_original) before its photo row is committed, so the
# collector, which cannot see that row yet, never removes a file an upload is counting on.
ORIGINAL_GRACE_SECONDS = 300.0
SHA256_RE = re.compile(r"[0-9a-f]{64}")
VARIANT_RE = re.compile(r"^[a-z]+\.(jpg|webp|mp4)$")


class TooLarge(Exception):
    """The upload passed the size limit (the API answers 413)."""


@dataclass(frozen=True, slots=True)
class Received:
    path: Path          # temporary file in the store's tmp folder
    sha256: str
    size: int


class Store:
    def __init__(self, root: Path):
        self.root = Path(root)
        for sub in ("originals", "renditions", "looks", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # --- paths (only digests and integers) ---------------------------------------------------
    def original(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / "originals" / sha256[:2] / sha256

    def rendition_dir(self, photo_id: int, key: str) -> Path:
        if not re.fullmatch(r"[a-z0-9-]{1,80}", key):
            raise ValueError("bad rendition key")
        return self.root / "renditions" / str(int(photo_id)) / key

    def rendition(self, photo_id: int, key: str, variant: str) -> Path:
        if not VARIANT_RE.match(variant):
            raise ValueError("bad variant")
        return self.rendition_dir(photo_id, key) / variant

    def look_file(self, name: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}\.(cube|vlt|toml)", name):
            raise ValueError("bad look file name")
        return self.root / "looks" / name

    def temp_path(self, suffix: str = "") -> Path:
        return self.root / "tmp" / f"{secrets.token_hex(12)}{suffix}"

    # --- receiving -----------------------------------------------------------------------------
    async def receive(self, chunks: AsyncIterator[bytes], limit: int) -> Received:
        """Stream ``chunks`` into a temporary file, hashing as it goes; TooLarge past ``limit``
        bytes (the partial file is removed).  Disk writes and hashing run in a thread, 1 MiB at
        a time, so the event loop is not held up by a large upload."""
        import anyio

        path = self.temp_path()
        digest = hashlib.sha256()
        size = 0
        pending: list[bytes] = []
        pending_size = 0

        def flush(f, blocks: list[bytes]) -> None:
            for b in blocks:
                digest.update(b)
                f.write(b)

        f = open(path, "xb")
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > limit:
                    raise TooLarge()
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= BLOCK:
                    blocks, pending, pending_size = pending, [], 0
                    await anyio.to_thread.run_sync(flush, f, blocks)
            await anyio.to_thread.run_sync(flush, f, pending)
            f.close()
        except BaseException:
            f.close()
            path.unlink(missing_ok=True)
            raise
        return Received(path=path, sha256=digest.hexdigest(), size=size)

    @contextlib.contextmanager
    def _originals_lock(self) -> Iterator[None]:
        """Keeping and removing originals exclude each other, across the server's processes."""
        with open(self.root / "originals" / ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield                                 # released when the file is closed

    def keep_original(self, received: Received) -> Path:
        """Move a received file to its content address (or drop it if the content is there,
        marking the one there as just used: see ORIGINAL_GRACE_SECONDS)."""
        target = self.original(received.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._originals_lock():
            if target.exists():
                os.utime(target)
                received.path.unlink(missing_ok=True)
            else:
                os.chmod(received.path, 0o444)       # originals are never modified
                os.replace(received.path, target)
        return target

    def original_digests(self) -> Iterator[str]:
        """The SHA-256 of every original in the store."""
        for sub in (self.root / "originals").iterdir():
            if sub.is_dir():
                yield from (e.name for e in os.scandir(sub) if SHA256_RE.fullmatch(e.name))

    def remove_original(self, sha256: str, grace: float = ORIGINAL_GRACE_SECONDS) -> bool:
        """Remove an original the caller found no photo holding, unless it was kept or used
        within ``grace`` seconds; True if it was removed."""
        path = self.original(sha256)
        with self._originals_lock():
            try:
                if time.time() - path.stat().st_mtime < grace:
                    return False
                path.unlink()
            except FileNotFoundError:
                return False
        return True

    def discard(self, received: Received) -> None:
        received.path.unlink(missing_ok=True)

    def remove_renditions(self, photo_id: int) -> None:
        shutil.rmtree(self.root / "renditions" / str(int(photo_id)), ignore_errors=True)

    def publish_dir(self, tmp_dir: Path, photo_id: int, key: str) -> Path:
        """Move a finished folder of renditions into place (a rename: readers never see a
        half-written set); an existing folder of the same key is replaced."""
        target = self.rendition_dir(photo_id, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            old = target.with_name(f".{key}.{secrets.token_hex(4)}.old")
            os.replace(target, old)
            os.replace(tmp_dir, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp_dir, target)
        return target
