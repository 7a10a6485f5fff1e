"""A ZIP archive written while it is sent: ``zipfile`` on a write-only, unseekable sink.

On an unseekable stream ``zipfile`` writes each member's sizes and CRC in a data descriptor
after its data (APPNOTE 4.3.9) instead of seeking back, and ``force_zip64`` gives every member
ZIP64 extra fields, so neither the archive nor any member is limited to 4 GiB.  Only one
block (1 MiB) is held at a time; nothing is written to disk.  Members are stored, not
deflated: JPEG, video and raw data do not compress.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

BLOCK = 1 << 20


class _Sink:
    """A write-only file object that hands what is written to the generator."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data) -> int:
        b = bytes(data)
        self.parts.append(b)
        self.offset += len(b)
        return len(b)

    def tell(self) -> int:
        return self.offset

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def _unique(name: str, seen: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    seen.add(candidate)
    return candidate


def album_zip(entries: Iterable[tuple[str, Path, bool]]) -> Iterator[bytes]:
    """Yield a ZIP of ``(name in the archive, file, redact)`` entries, block by block; files
    with ``redact`` pass through lsquared.share.privacy (GPS and serial numbers removed)."""
    from .privacy import redacted_stream

    sink = _Sink()
    seen: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, path, redact in entries:
            if not path.exists():
                continue
            info = zipfile.ZipInfo(_unique(name, seen), date_time=time.localtime(path.stat().st_mtime)[:6])
            info.compress_type = zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=True) as member:
                blocks = redacted_stream(path, keep_location=False) if redact else _blocks(path)
                for block in blocks:
                    member.write(block)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            yield block
