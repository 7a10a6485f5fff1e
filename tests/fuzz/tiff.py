"""Edit the tags of a TIFF/DNG held in memory, for the fuzz cases (test helper).

Only what mutation needs: walk IFD0, its chain and its SubIFDs, find a tag, overwrite its
values in place (the same count or fewer, so offsets elsewhere stay valid), point an IFD at
itself.  The files stay otherwise byte-identical, so a case changes exactly one declaration.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8}
TYPE_CODES = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 11: "f", 12: "d", 13: "I", 16: "Q"}


@dataclass
class Entry:
    ifd: int            # offset of the IFD holding it
    at: int             # offset of the 12-byte entry
    code: int
    type: int
    count: int
    value_at: int       # where the values are (inline in the entry or elsewhere)


class Tiff:
    def __init__(self, data: bytes):
        self.data = bytearray(data)
        if self.data[:2] not in (b"II", b"MM"):
            raise ValueError("not a TIFF")
        self.bo = "<" if self.data[:2] == b"II" else ">"
        self.entries: list[Entry] = []
        self.ifds: list[int] = []
        self._walk(self._u32(4), depth=0)

    def _u16(self, at: int) -> int:
        return struct.unpack_from(self.bo + "H", self.data, at)[0]

    def _u32(self, at: int) -> int:
        return struct.unpack_from(self.bo + "I", self.data, at)[0]

    def _walk(self, offset: int, depth: int) -> None:
        while offset and offset + 2 <= len(self.data) and offset not in self.ifds and depth < 4:
            self.ifds.append(offset)
            n = self._u16(offset)
            for i in range(n):
                at = offset + 2 + 12 * i
                if at + 12 > len(self.data):
                    return
                code, typ, count = struct.unpack_from(self.bo + "HHI", self.data, at)
                size = TYPE_SIZES.get(typ, 1) * count
                value_at = at + 8 if size <= 4 else self._u32(at + 8)
                self.entries.append(Entry(offset, at, code, typ, count, value_at))
                if code == 330:            # SubIFDs
                    for k in range(count):
                        pos = value_at + 4 * k
                        if pos + 4 <= len(self.data):
                            self._walk(self._u32(pos), depth + 1)
            next_at = offset + 2 + 12 * n
            offset = self._u32(next_at) if next_at + 4 <= len(self.data) else 0

    def find(self, code: int, raw_only: bool = False) -> list[Entry]:
        """Entries of tag ``code``; with ``raw_only``, only in IFDs holding raw data (CFA or LinearRaw)."""
        found = [e for e in self.entries if e.code == code]
        if raw_only:
            raw = {e.ifd for e in self.entries if e.code == 262
                   and struct.unpack_from(self.bo + "H", self.data, e.value_at)[0] in (32803, 34892)}
            found = [e for e in found if e.ifd in raw]
        return found

    def set_values(self, entry: Entry, values) -> None:
        """Overwrite the entry's values (integers or floats, rationals as (num, den) pairs)."""
        values = list(values)
        if entry.type in (5, 10):
            flat = [int(v) for pair in values for v in pair]
            fmt = ("I" if entry.type == 5 else "i") * len(flat)
            count = len(values)
        else:
            flat = values
            fmt = TYPE_CODES.get(entry.type, "B") * len(flat)
            count = len(values)
        if count > entry.count:
            raise ValueError("more values than the tag holds")
        struct.pack_into(self.bo + fmt, self.data, entry.value_at, *flat)
        struct.pack_into(self.bo + "I", self.data, entry.at + 4, count)

    def set_type(self, entry: Entry, typ: int, count: int) -> None:
        struct.pack_into(self.bo + "HI", self.data, entry.at + 2, typ, count)

    def loop_ifd(self, ifd: int) -> None:
        """Make the IFD's next-IFD pointer point at the IFD itself."""
        n = self._u16(ifd)
        struct.pack_into(self.bo + "I", self.data, ifd + 2 + 12 * n, ifd)

    def point_subifd_at_ifd0(self) -> bool:
        for e in self.find(330):
            struct.pack_into(self.bo + "I", self.data, e.value_at, self.ifds[0])
            return True
        return False
