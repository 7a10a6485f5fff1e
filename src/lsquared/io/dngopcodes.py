"""DNG opcode lists (DNG 1.6 chapter 7): parsing, and the per-pixel maps of OpcodeList2.

OpcodeList2 is applied to the raw image "just after it has been mapped to linear reference
values" (black subtracted, scaled so white is 1), before demosaicing.  Some writers depend on
it to make the data linear: Adobe's lossy and 8-bit LinearRaw DNGs store gamma-like values and
undo them, per plane, with MapPolynomial.  lsquared's Frame keeps sensor counts, so each map
runs on x = (v - black) / (white - black) and the result goes back to counts the same way.

Applied here: MapPolynomial (8), DeltaPerRow (10), DeltaPerColumn (11), ScalePerRow (12),
ScalePerColumn (13).  Everything else (GainMap, MapTable, bad-pixel and warp opcodes, and
OpcodeList1/3) is reported, not applied.  All values are big-endian (DNG 1.6 p. 85).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

OPCODE_NAMES = {1: "WarpRectilinear", 2: "WarpFisheye", 3: "FixVignetteRadial", 4: "FixBadPixelsConstant",
                5: "FixBadPixelsList", 6: "TrimBounds", 7: "MapTable", 8: "MapPolynomial", 9: "GainMap",
                10: "DeltaPerRow", 11: "DeltaPerColumn", 12: "ScalePerRow", 13: "ScalePerColumn",
                14: "WarpRectilinear2"}
APPLIED_OPCODES = ("MapPolynomial", "DeltaPerRow", "DeltaPerColumn", "ScalePerRow", "ScalePerColumn")
_APPLIED_IDS = (8, 10, 11, 12, 13)


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


def _selection(area: _Area, shape, origin):
    """Rows and columns of ``data`` an opcode area covers (the area is in active-area pixels, the
    data start at ``origin`` within it), and the area-relative index of each."""
    oy, ox = origin
    rows = np.arange(area.top, area.bottom, max(area.row_pitch, 1))
    cols = np.arange(area.left, area.right, max(area.col_pitch, 1))
    keep_r = (rows - oy >= 0) & (rows - oy < shape[0])
    keep_c = (cols - ox >= 0) & (cols - ox < shape[1])
    return rows[keep_r] - oy, cols[keep_c] - ox, np.flatnonzero(keep_r), np.flatnonzero(keep_c)


def _levels(black, white, rows, cols, plane, ndim):
    """Black of each selected pixel (per 2x2 position for a mosaic, per channel otherwise)."""
    if ndim == 2:
        b = np.reshape(np.asarray(black, np.float64), (2, 2))[(rows % 2)[:, None], (cols % 2)[None, :]]
    else:
        b = np.float64(black[plane])
    return b, white - b


def apply_opcode_list2(data: np.ndarray, opcodes: list[Opcode], *, origin: tuple[int, int], black, white: float):
    """Apply what this module implements of OpcodeList2 to ``data`` (counts, float32) in place.

    ``origin`` is the data's top-left pixel in active-area coordinates.  Returns (applied, skipped)
    opcode names."""
    applied, skipped = [], []
    for op in opcodes:
        if op.id not in _APPLIED_IDS or len(op.params) < 36:
            skipped.append(op.name)
            continue
        area = _area(op.params)
        rows, cols, ri, ci = _selection(area, data.shape, origin)
        planes = range(area.plane, area.plane + area.planes) if data.ndim == 3 else range(1)
        for plane in planes:
            if data.ndim == 3 and plane >= data.shape[2]:
                continue
            view = data[np.ix_(rows, cols)] if data.ndim == 2 else data[np.ix_(rows, cols, [plane])][..., 0]
            b, span = _levels(black, white, rows, cols, plane, data.ndim)
            x = (view - b) / span
            x = _apply(op, x, ri, ci)
            result = (b + x * span).astype(np.float32)
            if data.ndim == 2:
                data[np.ix_(rows, cols)] = result
            else:
                data[np.ix_(rows, cols, [plane])] = result[..., None]
        applied.append(op.name)
    return applied, skipped


def _apply(op: Opcode, x: np.ndarray, ri: np.ndarray, ci: np.ndarray) -> np.ndarray:
    p = op.params
    if op.id == 8:                         # MapPolynomial: degree, then degree+1 float64 coefficients
        degree = struct.unpack(">I", p[32:36])[0]
        coefficients = struct.unpack(f">{degree + 1}d", p[36:36 + 8 * (degree + 1)])
        y = np.zeros_like(x)
        for c in reversed(coefficients):   # Horner
            y = y * x + c
        return np.clip(y, 0.0, 1.0)        # the SDK clips the result to [0, 1]
    count = struct.unpack(">I", p[32:36])[0]
    table = np.frombuffer(p[36:36 + 4 * count], dtype=">f4").astype(np.float64)
    if op.id in (10, 12):                  # per row
        values = table[np.minimum(ri, count - 1)][:, None]
    else:                                  # per column
        values = table[np.minimum(ci, count - 1)][None, :]
    return x + values if op.id in (10, 11) else x * values
