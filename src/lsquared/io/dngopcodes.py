"""DNG opcode lists (DNG 1.6 chapter 7): parsing, and the per-pixel maps of OpcodeList2.

OpcodeList2 is applied to the raw image "just after it has been mapped to linear reference
values" (black subtracted, scaled so white is 1), before demosaicing.  Some writers depend on
it to make the data linear: Adobe's lossy and 8-bit LinearRaw DNGs store gamma-like values and
undo them, per plane, with MapPolynomial.  lsquared's Frame keeps sensor counts, so each map
runs on x = (v - black) / (white - black) and the result goes back to counts the same way.

Applied here: MapTable (7), MapPolynomial (8), DeltaPerRow (10), DeltaPerColumn (11),
ScalePerRow (12), ScalePerColumn (13).  Everything else (GainMap, bad-pixel and warp opcodes,
and OpcodeList1/3) is reported, not applied.  All values are big-endian (DNG 1.6 p. 85).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

OPCODE_NAMES = {1: "WarpRectilinear", 2: "WarpFisheye", 3: "FixVignetteRadial", 4: "FixBadPixelsConstant",
                5: "FixBadPixelsList", 6: "TrimBounds", 7: "MapTable", 8: "MapPolynomial", 9: "GainMap",
                10: "DeltaPerRow", 11: "DeltaPerColumn", 12: "ScalePerRow", 13: "ScalePerColumn",
                14: "WarpRectilinear2"}
APPLIED_OPCODES = ("MapTable", "MapPolynomial", "DeltaPerRow", "DeltaPerColumn", "ScalePerRow", "ScalePerColumn")
_APPLIED_IDS = (7, 8, 10, 11, 12, 13)


@dataclass(frozen=True, slots=True)
class Opcode:
    id: int
    flags: int
    params: bytes

    @property
    def name(self) -> str:
        return OPCODE_NAMES.get(self.id, f"opcode {self.id}")


def parse_opcode_list(data: bytes) -> list[Opcode]:
    """The opcodes of an OpcodeList tag: count, then (id, version, flags, size, parameters)."""
    if len(data) < 4:
        return []
    count = struct.unpack(">I", data[:4])[0]
    out, pos = [], 4
    for _ in range(min(count, 10000)):
        if pos + 16 > len(data):
            break
        opcode_id, _version, flags, size = struct.unpack(">IIII", data[pos:pos + 16])
        out.append(Opcode(opcode_id, flags, bytes(data[pos + 16:pos + 16 + size])))
        pos += 16 + size
    return out


@dataclass(frozen=True, slots=True)
class _Area:
    top: int
    left: int
    bottom: int
    right: int
    plane: int
    planes: int
    row_pitch: int
    col_pitch: int


def _area(params: bytes) -> _Area:
    return _Area(*struct.unpack(">8I", params[:32]))


def _progression(start: int, stop: int, pitch: int, offset: int, size: int):
    """The data indices (as a slice) an area's start:stop:pitch covers once shifted by -offset and
    kept inside 0..size, and the area-relative index of the first one."""
    pitch = max(pitch, 1)
    first = start - offset
    skip = (-first + pitch - 1) // pitch if first < 0 else 0     # steps needed to reach index 0
    first += skip * pitch
    last = min(stop - offset, size)
    if first >= last:
        return None, 0
    return slice(first, last, pitch), skip


def _views(area: _Area, data: np.ndarray, origin, black):
    """(view, black, row indices, column indices) for each part of the area that has one black
    level: every 2x2 phase of a mosaic, every plane of three-channel data.  Views are slices of
    ``data`` (no copies); indices count rows/columns from the area's first."""
    rows, r_skip = _progression(area.top, area.bottom, area.row_pitch, origin[0], data.shape[0])
    cols, c_skip = _progression(area.left, area.right, area.col_pitch, origin[1], data.shape[1])
    if rows is None or cols is None:
        return
    n_rows = len(range(rows.start, rows.stop, rows.step))
    n_cols = len(range(cols.start, cols.stop, cols.step))
    if data.ndim == 2:
        row_phases = (0, 1) if rows.step % 2 else (0,)
        col_phases = (0, 1) if cols.step % 2 else (0,)
        for pr in row_phases:
            for pc in col_phases:
                rs = slice(rows.start + pr * rows.step, rows.stop, rows.step * len(row_phases))
                cs = slice(cols.start + pc * cols.step, cols.stop, cols.step * len(col_phases))
                b = np.reshape(black, (2, 2))[rs.start % 2, cs.start % 2]
                yield (data[rs, cs], float(b), r_skip + np.arange(pr, n_rows, len(row_phases)),
                       c_skip + np.arange(pc, n_cols, len(col_phases)))
    else:
        for plane in range(area.plane, min(area.plane + area.planes, data.shape[2])):
            yield data[rows, cols, plane], float(black[plane]), r_skip + np.arange(n_rows), c_skip + np.arange(n_cols)


def apply_opcode_list2(data: np.ndarray, opcodes: list[Opcode], *, origin: tuple[int, int], black, white: float):
    """Apply what this module implements of OpcodeList2 to ``data`` (counts, float32) in place.

    ``origin`` is the data's top-left pixel in active-area coordinates.  Returns (applied, skipped)
    opcode names."""
    applied, skipped = [], []
    for op in opcodes:
        if op.id not in _APPLIED_IDS or len(op.params) < 36:
            skipped.append(op.name)
            continue
        for view, b, ri, ci in _views(_area(op.params), data, origin, black):
            if view.size == 0:
                continue
            span = np.float32(white - b)
            view -= np.float32(b)                 # to linear reference values: 0 black, 1 white
            view /= span
            _apply(op, view, ri, ci)
            view *= span
            view += np.float32(b)
        applied.append(op.name)
    return applied, skipped


def _apply(op: Opcode, x: np.ndarray, ri: np.ndarray, ci: np.ndarray) -> None:
    """One opcode on normalized values, in place."""
    p = op.params
    if op.id == 8:                         # MapPolynomial: degree, then degree+1 float64 coefficients
        degree = struct.unpack(">I", p[32:36])[0]
        coefficients = struct.unpack(f">{degree + 1}d", p[36:36 + 8 * (degree + 1)])
        y = np.full_like(x, coefficients[-1])
        for c in reversed(coefficients[:-1]):   # Horner
            y *= x
            y += np.float32(c)
        np.clip(y, 0.0, 1.0, out=x)        # the SDK clips the result to [0, 1]
        return
    if op.id == 7:                         # MapTable: count, then count 16-bit entries
        # The DNG SDK runs it on the 16-bit stage-2 image (0..65535 is 0..1) and repeats the
        # last entry past the table's end (dng_opcode_MapTable, DNG 1.6 p. 88)
        count = min(struct.unpack(">I", p[32:36])[0], (len(p) - 36) // 2)
        if count == 0:
            return
        table = np.frombuffer(p[36:36 + 2 * count], dtype=">u2").astype(np.float32) / np.float32(65535)
        index = np.rint(np.clip(x, 0.0, 1.0) * np.float32(65535)).astype(np.int32)
        np.minimum(index, count - 1, out=index)
        x[...] = table[index]
        return
    count = struct.unpack(">I", p[32:36])[0]
    table = np.frombuffer(p[36:36 + 4 * count], dtype=">f4").astype(np.float32)
    if count == 0:
        return
    if op.id in (10, 12):                  # per row
        values = table[np.minimum(ri, count - 1)][:, None]
    else:                                  # per column
        values = table[np.minimum(ci, count - 1)][None, :]
    if op.id in (10, 11):
        x += values
    else:
        x *= values
