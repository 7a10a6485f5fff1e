"""Lossless JPEG ("LJ92") tiles of DNG files, decoded in parallel and checked as they go.

Most camera DNGs store the mosaic as lossless-JPEG tiles (TIFF compression 7).  LibRaw
decodes them one after another; here every tile is decoded on its own numba thread,
straight into the cropped float32 frame (through the linearization table), so decode,
crop and the uint16 -> float32 conversion are one pass over memory.

The decoder follows ITU-T T.81 (1992) Annex H (lossless mode): Huffman-coded differences
(Annex F.2.2.1 categories, 0..16) against one of seven predictors of the left (Ra), upper
(Rb) and upper-left (Rc) neighbours (table H.1); the first row predicts from the left, the
first column from above, the first sample from 2^(P-1).  The tile is filled with the
decoded samples in order, row by row (a 2-component JPEG of half the tile width is the
usual way to store a CFA tile; DNG 1.6 p. 21, "Compression").

It is strict where LibRaw and liblj92 are lenient, so damage is reported instead of
decoded into silent garbage: an unknown Huffman code, a marker inside the data, a value
outside the declared precision, data that ends before the last sample, or data left over
after it (a shifted bit stream) all raise ``LJ92Corrupt``.  Restart intervals, point
transforms, non-interleaved scans and other rarities raise ``LJ92Unsupported``: the
caller then lets LibRaw decode the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

class LJ92Unsupported(Exception):
    """A valid stream using a feature the fast path leaves to LibRaw."""


class LJ92Corrupt(Exception):
    """The stream is damaged; ``tile`` is the index of the first bad tile (or -1)."""

    def __init__(self, message: str, tile: int = -1):
        super().__init__(message)
        self.tile = tile


@dataclass(frozen=True, slots=True)
class LJ92Header:
    precision: int
    height: int
    width: int
    components: int
    predictor: int
    table_ids: tuple[int, ...]           # Huffman table of each component
    tables: dict[int, bytes]             # table id -> BITS (16 counts) + HUFFVAL bytes
    scan_start: int                      # offset of the entropy-coded data


def parse_lj92_header(buf: np.ndarray | bytes, start: int, end: int) -> LJ92Header:
    """Read the markers of a lossless JPEG up to its scan (T.81 Annex B)."""
    mv = memoryview(buf).cast("B") if not isinstance(buf, memoryview) else buf
    if end - start < 4 or mv[start] != 0xFF or mv[start + 1] != 0xD8:
        raise LJ92Corrupt("tile does not start with a JPEG SOI marker")
    pos = start + 2
    tables: dict[int, bytes] = {}
    frame = None
    while True:
        while pos < end and mv[pos] == 0xFF and pos + 1 < end and mv[pos + 1] == 0xFF:
            pos += 1                                   # fill bytes
        if pos + 4 > end or mv[pos] != 0xFF:
            raise LJ92Corrupt("damaged JPEG marker segment")
        marker = mv[pos + 1]
        length = (mv[pos + 2] << 8) | mv[pos + 3]
        seg, seg_end = pos + 4, pos + 2 + length
        if length < 2 or seg_end > end:
            raise LJ92Corrupt("JPEG marker segment runs past the tile")
        if marker == 0xC4:                             # DHT
            p = seg
            while p < seg_end:
                tc_th = mv[p]
                counts = bytes(mv[p + 1:p + 17])
                n = sum(counts)
                if tc_th >> 4 != 0:
                    raise LJ92Unsupported("AC Huffman table in a lossless JPEG")
                if p + 17 + n > seg_end:
                    raise LJ92Corrupt("damaged Huffman table")
                tables[tc_th & 15] = counts + bytes(mv[p + 17:p + 17 + n])
                p += 17 + n
        elif marker == 0xC3:                           # SOF3: lossless, Huffman
            precision, height, width, nf = mv[seg], (mv[seg + 1] << 8) | mv[seg + 2], \
                (mv[seg + 3] << 8) | mv[seg + 4], mv[seg + 5]
            if not 2 <= precision <= 16 or height == 0 or width == 0 or not 1 <= nf <= 4 or length < 8 + 3 * nf:
                raise LJ92Corrupt("damaged lossless JPEG frame header")
            ids = [mv[seg + 6 + 3 * i] for i in range(nf)]
            if any(mv[seg + 7 + 3 * i] != 0x11 for i in range(nf)):
                raise LJ92Unsupported("subsampled components")
            frame = (precision, height, width, nf, ids)
        elif marker in (0xC0, 0xC1, 0xC2, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            raise LJ92Unsupported(f"JPEG frame type 0x{marker:02X} is not lossless Huffman")
        elif marker == 0xDD:                           # DRI
            if (mv[seg] << 8) | mv[seg + 1]:
                raise LJ92Unsupported("restart intervals")
        elif marker == 0xDA:                           # SOS
            if frame is None:
                raise LJ92Corrupt("scan before the frame header")
            precision, height, width, nf, ids = frame
            ns = mv[seg]
            if ns != nf:
                raise LJ92Unsupported("non-interleaved scans")
            table_ids = []
            for i in range(ns):
                if mv[seg + 1 + 2 * i] != ids[i]:
                    raise LJ92Unsupported("scan components in another order than the frame's")
                table_ids.append(mv[seg + 2 + 2 * i] >> 4)
            predictor, point_transform = mv[seg + 1 + 2 * ns], mv[seg + 3 + 2 * ns] & 15
            if not 1 <= predictor <= 7:
                raise LJ92Corrupt(f"invalid lossless predictor {predictor}")
            if point_transform:
                raise LJ92Unsupported("point transform")
            missing = [t for t in table_ids if t not in tables]
            if missing:
                raise LJ92Corrupt(f"missing Huffman table {missing[0]}")
            return LJ92Header(precision=precision, height=height, width=width, components=nf,
                              predictor=predictor, table_ids=tuple(table_ids),
                              tables={t: tables[t] for t in set(table_ids)}, scan_start=seg_end)
        elif marker == 0xD9:
            raise LJ92Corrupt("image ends before its scan")
        pos = seg_end


def huffman_lookup(table: bytes) -> np.ndarray:
    """16-bit lookup table of a DHT table: entry = code length << 8 | category, 0 = no such code.

    Codes are assigned in order of length, each the previous plus one, doubled at each new
    length (T.81 Annex C, figures C.1-C.3)."""
    counts, values = table[:16], table[16:]
    lut = np.zeros(1 << 16, np.uint16)
    code = k = 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            if code >= 1 << length:
                raise LJ92Corrupt("over-subscribed Huffman table")
            category = values[k]
            if category > 16:
                raise LJ92Corrupt(f"Huffman category {category} > 16")
            shift = 16 - length
            lut[code << shift:(code + 1) << shift] = (length << 8) | category
            code += 1
            k += 1
        code <<= 1
    return lut


def decode_lj92_tiles(
    buf: np.ndarray,
    offsets: np.ndarray,
    byte_counts: np.ndarray,
    *,
    image_size: tuple[int, int],
    tile_size: tuple[int, int],
    samples_per_pixel: int,
    window: tuple[int, int, int, int],
    values: np.ndarray | None = None,
    cat16_extra_bits: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Decode the lossless-JPEG tiles of one image into a float32 crop of it.

    buf          uint8 bytes holding every tile; ``offsets`` index into it
    image_size   (height, width) of the stored image; tiles are row-major, ``tile_size`` (h, w)
    window       (top, left, height, width) of the image to return
    values       float32 table of 65536 entries applied to each decoded sample (a DNG
                 LinearizationTable, extended with its last entry); identity when None
    out          float32 (height, width, samples_per_pixel) to fill, or None for a new array
    Returns float32 (height, width, samples_per_pixel).
    Raises LJ92Unsupported (let LibRaw decode) or LJ92Corrupt (the data are damaged).
    """
    from ..kernels.lj92 import ERROR_MESSAGES, EXCESS, TRAILING_SLACK_BITS, decode_tiles   # numba, on use

    height, width = image_size
    tile_h, tile_w = tile_size
    across = -(-width // tile_w)
    n = len(offsets)
    identity = values is None
    if identity:
        values = np.arange(1 << 16, dtype=np.float32)
    lut_index: dict[bytes, int] = {}
    luts: list[np.ndarray] = []
    geometry = np.zeros((n, 7), np.int64)
    tables = np.zeros((n, 4), np.int64)
    starts = np.zeros(n, np.int64)
    for t in range(n):
        start, end = int(offsets[t]), int(offsets[t]) + int(byte_counts[t])
        if start < 0 or end > len(buf):
            raise LJ92Corrupt("tile lies outside the file", t)
        try:
            header = parse_lj92_header(buf, start, end)
        except LJ92Corrupt as exc:
            raise LJ92Corrupt(str(exc), t) from None
        if header.width * header.height * header.components != tile_w * tile_h * samples_per_pixel:
            raise LJ92Unsupported(f"tile {t}: JPEG of {header.width}x{header.height}x{header.components} "
                                  f"for a {tile_w}x{tile_h}x{samples_per_pixel} tile")
        for c, table_id in enumerate(header.table_ids):
            key = header.tables[table_id]
            if key not in lut_index:
                try:
                    luts.append(huffman_lookup(key))
                except LJ92Corrupt as exc:
                    raise LJ92Corrupt(str(exc), t) from None
                lut_index[key] = len(luts) - 1
            tables[t, c] = lut_index[key]
        starts[t] = header.scan_start
        geometry[t] = (header.width, header.height, header.components, header.precision, header.predictor,
                       (t // across) * tile_h, (t % across) * tile_w)
    top, left, out_h, out_w = window
    if out is None:
        out = np.empty((out_h, out_w, samples_per_pixel), np.float32)
    if out.shape != (out_h, out_w, samples_per_pixel) or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(f"out must be C-contiguous float32 {(out_h, out_w, samples_per_pixel)}")
    errors = np.zeros(n, np.int64)
    ends = np.asarray(offsets, np.int64) + np.asarray(byte_counts, np.int64)
    decode_tiles(buf, starts, ends, geometry, tables * (1 << 16), np.concatenate(luts), cat16_extra_bits,
                         tile_h, tile_w, samples_per_pixel, top, left, values.astype(np.float32, copy=False),
                         identity, out, errors)
    bad = np.flatnonzero(errors)
    if bad.size:
        if np.all(errors[bad] == EXCESS):
            # every sample decoded cleanly and only padding beyond our slack follows: an encoder
            # we have not seen, not damage; let LibRaw (lenient) decode the file instead
            raise LJ92Unsupported(f"{bad.size} tile(s) carry more than {TRAILING_SLACK_BITS} bits of padding")
        t = int(bad[0])
        raise LJ92Corrupt(f"tile {t} of {n}: {ERROR_MESSAGES[int(errors[t])]}", t)
    return out


def decode_lj92(data: bytes) -> np.ndarray:
    """Decode one lossless-JPEG stream to uint16 (height, width, components)."""
    buf = np.frombuffer(data, np.uint8)
    header = parse_lj92_header(buf, 0, len(buf))
    out = decode_lj92_tiles(buf, np.array([0]), np.array([len(buf)]),
                            image_size=(header.height, header.width), tile_size=(header.height, header.width),
                            samples_per_pixel=header.components,
                            window=(0, 0, header.height, header.width))
    return out.astype(np.uint16)
