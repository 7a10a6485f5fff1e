"""Removing position and serial numbers from files a share link serves (originals included).

Nothing is rewritten: the metadata is found and overwritten in place with bytes of the same
length while the file is streamed out, so offsets inside the file stay valid and a large
original is never copied.  What is overwritten:

- TIFF structures (TIFF, DNG and the TIFF-based raws; the EXIF block of JPEG APP1, PNG eXIf
  and any "Exif\\0\\0" block in other containers such as HEIF): the GPS IFD becomes an empty IFD
  and its old entries and values are zeroed (TIFF 6.0 §2 IFD layout; EXIF 2.32 §4.6.6 GPS IFD);
  serial tags are zeroed: BodySerialNumber 0xA431, LensSerialNumber 0xA435, DNG
  CameraSerialNumber 0xC62F.
- XMP packets anywhere in the file: exif:GPS* properties and aux:SerialNumber,
  aux:LensSerialNumber, exifEX:BodySerialNumber, exifEX:LensSerialNumber become spaces.
- QuickTime/MP4 location (the ``©xyz`` ISO 6709 string): zeroed.
- PNG chunks that changed get their CRC recomputed.
Serial numbers inside vendor MakerNotes are not parsed (each maker has its own layout).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

BLOCK = 1 << 20
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
SUB_IFDS = 0x014A
XMP_TAG = 0x02BC
SERIAL_TAGS = {0xA431, 0xA435, 0xC62F}
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
XMP_PROPS = rb"(?:exif:GPS\w*|aux:SerialNumber|aux:LensSerialNumber|exifEX:BodySerialNumber|exifEX:LensSerialNumber)"
XMP_ATTR = re.compile(rb"\s" + XMP_PROPS + rb"\s*=\s*(\"[^\"]*\"|'[^']*')")
XMP_ELEM = re.compile(rb"<(" + XMP_PROPS + rb")\b[^>]*?(/>|>.*?</\1\s*>)", re.S)
SCAN_MARKERS = (b"Exif\x00\x00", b"<x:xmpmeta", b"\xa9xyz")

Patch = tuple[int, bytes]       # (offset in the file, bytes to put there)


class _File:
    def __init__(self, f, size: int):
        self.f, self.size = f, size

    def read(self, offset: int, n: int) -> bytes:
        if offset < 0 or offset >= self.size:
            return b""
        self.f.seek(offset)
        return self.f.read(max(0, min(n, self.size - offset)))


def _tiff(file: _File, base: int, patches: list[Patch], limit: int | None = None) -> None:
    """Patches for a TIFF structure whose header is at ``base`` (offsets relative to it)."""
    head = file.read(base, 8)
    if head[:4] not in (b"II*\x00", b"MM\x00*") and head[:2] not in (b"II", b"MM"):
        return
    e = "<" if head[:2] == b"II" else ">"
    end = base + (limit if limit is not None else file.size - base)
    first = struct.unpack(e + "I", head[4:8])[0]
    todo, seen = [(first, False)], set()
    while todo and len(seen) < 64:
        off, is_gps = todo.pop()
        if off == 0 or off in seen or base + off + 2 > end:
            continue
        seen.add(off)
        raw = file.read(base + off, 2)
        if len(raw) < 2:
            continue
        n = struct.unpack(e + "H", raw)[0]
        if n > 1000:
            continue
        entries = file.read(base + off + 2, 12 * n + 4)
        if len(entries) < 12 * n:
            continue
        if is_gps:          # an empty IFD now; old entries and their values zeroed
            patches.append((base + off, struct.pack(e + "H", 0) + b"\x00" * (12 * n + 4)))
        for i in range(n):
            tag, typ, count = struct.unpack(e + "HHI", entries[12 * i:12 * i + 8])
            value = entries[12 * i + 8:12 * i + 12]
            size = TYPE_SIZES.get(typ, 1) * count
            where = base + struct.unpack(e + "I", value)[0] if size > 4 else base + off + 2 + 12 * i + 8
            if is_gps or tag in SERIAL_TAGS:
                if size > 4 and where + size <= end:
                    patches.append((where, b"\x00" * size))
                elif size <= 4 and not is_gps:
                    patches.append((where, b"\x00" * size))
                continue
            if tag in (EXIF_IFD, GPS_IFD) and typ in (4, 13):
                todo.append((struct.unpack(e + "I", value)[0], tag == GPS_IFD))
            elif tag == SUB_IFDS and typ in (4, 13):
                if count == 1:
                    todo.append((struct.unpack(e + "I", value)[0], False))
                elif count < 64:
                    subs = file.read(where, 4 * count)
                    todo.extend((o, False) for o in struct.unpack(e + f"{len(subs) // 4}I", subs))
            elif tag == XMP_TAG and size > 4:
                _xmp_at(file, where, size, patches)
        nxt = entries[12 * n:12 * n + 4]
        if len(nxt) == 4:
            todo.append((struct.unpack(e + "I", nxt)[0], False))


def xmp_patches(text: bytes, offset: int) -> list[Patch]:
    out = []
    for rx in (XMP_ELEM, XMP_ATTR):
        for m in rx.finditer(text):
            out.append((offset + m.start(), b" " * (m.end() - m.start())))
    return out


def _xmp_at(file: _File, where: int, size: int, patches: list[Patch]) -> None:
    patches.extend(xmp_patches(file.read(where, min(size, 16 << 20)), where))


def _png(file: _File, patches: list[Patch]) -> None:
    off = 8
    while off + 12 <= file.size:
        length, kind = struct.unpack(">I4s", file.read(off, 8))
        data_at = off + 8
        if kind == b"eXIf" or (kind == b"iTXt" and file.read(data_at, 17) == b"XML:com.adobe.xmp"):
            data = file.read(data_at, length)
            mine: list[Patch] = []
            if kind == b"eXIf":
                _tiff(_File(_Bytes(data), len(data)), 0, mine)
            else:
                mine = xmp_patches(data, 0)
            if mine:
                patched = bytearray(data)
                for at, b in mine:
                    patched[at:at + len(b)] = b
                patches.append((data_at, bytes(patched)))
                patches.append((data_at + length, struct.pack(">I", zlib.crc32(kind + bytes(patched)))))
        if kind == b"IEND":
            break
        off = data_at + length + 4


class _Bytes:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def seek(self, pos: int) -> None:
        self.pos = pos

    def read(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def _scan(file: _File, patches: list[Patch]) -> None:
    """Embedded EXIF blocks, XMP packets and QuickTime locations anywhere in the file."""
    overlap = 64
    pos = 0
    while pos < file.size:
        block = file.read(pos, BLOCK + overlap)
        for marker in SCAN_MARKERS:
            start = 0
            while (i := block.find(marker, start)) != -1:
                start = i + 1
                at = pos + i
                if i >= BLOCK:      # in the overlap: the next block finds it
                    break
                if marker == b"Exif\x00\x00":
                    _tiff(file, at + 6, patches, limit=None)
                elif marker == b"<x:xmpmeta":
                    text = file.read(at, 4 << 20)
                    stop = text.find(b"</x:xmpmeta>")
                    if stop != -1:
                        patches.extend(xmp_patches(text[:stop], at))
                else:               # '©xyz' atom: size(4) type(4) then len(2) lang(2) text
                    size = struct.unpack(">I", file.read(at - 4, 4))[0] if at >= 4 else 0
                    if 12 < size < 256:
                        patches.append((at + 4, b"\x00" * (size - 8)))
        pos += BLOCK


def redaction_patches(path: Path) -> list[Patch]:
    size = path.stat().st_size
    patches: list[Patch] = []
    with open(path, "rb") as f:
        file = _File(f, size)
        head = file.read(0, 8)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            _png(file, patches)
            return patches
        if head[:2] in (b"II", b"MM"):
            _tiff(file, 0, patches)
        _scan(file, patches)
    return sorted(set(patches))


def redacted_stream(path: Path, *, keep_location: bool = False) -> Iterator[bytes]:
    """The file's bytes, block by block, with GPS and serial numbers overwritten (all of it
    untouched when ``keep_location``; serials then stay too: the link shows everything)."""
    patches = [] if keep_location else redaction_patches(Path(path))
    with open(path, "rb") as f:
        pos = 0
        while block := f.read(BLOCK):
            end = pos + len(block)
            hits = [(at, b) for at, b in patches if at < end and at + len(b) > pos]
            if hits:
                buf = bytearray(block)
                for at, b in hits:
                    lo, hi = max(at, pos), min(at + len(b), end)
                    buf[lo - pos:hi - pos] = b[lo - at:hi - at]
                block = bytes(buf)
            yield block
            pos = end
