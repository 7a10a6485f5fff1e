"""Hot loops of the lossless-JPEG ("LJ92") tile decoder; io/ljpeg.py parses the markers,
builds the Huffman lookup tables, checks the results and has the method and its sources
(ITU-T T.81 Annex H).  Here only so that importing io.ljpeg (every raw open, ``lsquared
info``) does not import numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Error codes of the tile kernel -> messages (io.ljpeg raises them)
OK, BAD_CODE, TRUNCATED, MARKER, RANGE, EXCESS = 0, 1, 2, 3, 4, 5
ERROR_MESSAGES = {
    BAD_CODE: "invalid Huffman code",
    TRUNCATED: "compressed data end before the last sample",
    MARKER: "unexpected marker inside the compressed data",
    RANGE: "decoded value outside the declared bit depth",
    EXCESS: "compressed data left over after the last sample",
}
# Bytes an encoder may leave between the last sample and EOI (byte padding is less than one).
TRAILING_SLACK_BITS = 64


# The first lookup of every code reads a table of the codes of at most SHORT_BITS bits (the
# entries of the 16-bit table at multiples of 2^(16 - SHORT_BITS)): 2 KB per Huffman table,
# which stays in L1, where the 128 KB table's reads, at addresses set by the coded bits, went
# to L2 on the critical path of every sample.  The same idea as libjpeg's HUFF_LOOKAHEAD
# (jdhuff.c: 8 bits, then a slower path for longer codes).
SHORT_BITS = 10
SHORT_SHIFT = 16 - SHORT_BITS


@njit(cache=True)
def short_codes(luts):
    """From concatenated 16-bit lookup tables (entry = length << 8 | category) -> the tables
    of their codes of at most SHORT_BITS bits, indexed by the first SHORT_BITS bits; 0 where
    the code is longer (or there is none)."""
    short = np.zeros(luts.shape[0] >> SHORT_SHIFT, np.uint16)
    for i in range(short.shape[0]):
        entry = luts[i << SHORT_SHIFT]
        if (entry >> 8) <= SHORT_BITS:
            short[i] = entry
    return short


@njit(cache=True, inline="always")
def _read_byte(buf, i, end):
    """The entropy-coded byte at ``buf[i]`` with byte stuffing undone (0xFF00 -> 0xFF, 0xFF fill
    bytes skipped; T.81 F.1.2.3, B.1.1.2) -> (byte, next i, status): status 0 a data byte, 1
    the end of the data (EOI, or the tile's last byte reached), 2 a marker inside the data."""
    while i < end:
        x = buf[i]
        if x != 0xFF:
            return np.int64(x), i + 1, 0
        if i + 1 >= end:
            return np.int64(0), i, 1
        nb = buf[i + 1]
        if nb == 0x00:
            return np.int64(0xFF), i + 2, 0
        if nb != 0xFF:
            return np.int64(0), i, 1 if nb == 0xD9 else 2
        i += 1                   # a fill byte
    return np.int64(0), i, 1


@njit(cache=True)
def _data_bytes_left(buf, i, end):
    """Data bytes from ``buf[i]`` to EOI (or the tile's end), or -1 if a marker comes first."""
    n = 0
    while True:
        _, i, status = _read_byte(buf, i, end)
        if status == 1:
            return n
        if status == 2:
            return -1
        n += 1


@njit(cache=True)
def _decode_scan(buf, start, end, width, height, nf, precision, predictor, table_base, luts, short, cat16_extra,
                 flat):
    """Entropy-decode and un-predict one scan, its coded bytes ``buf[start:end]``, into ``flat``
    (height * width * nf samples, in order).

    The bytes are read in place: four at a time where none is 0xFF (all but ~1.6 % of reads),
    one by one through the stuffing rules otherwise; a separate unstuffing pass into a copy
    cost 15 % of the decode.  The end of the data (EOI) reads as zero bytes after it, and an
    error is a MARKER where a marker comes before EOI anywhere in the scan, as if the scan
    had been checked whole first."""
    row_len = width * nf
    first = np.int64(1) << (precision - 1)
    check_range = precision < 16
    acc = np.int64(0)          # bit accumulator: the next ``nacc`` bits are its low bits, MSB first
    nacc = np.int64(0)
    i = start                  # next byte of buf
    fed = np.int64(0)          # bytes shifted into acc (data, then zeros after the end)
    data_end = np.int64(-1)    # data bytes in the scan, once its end has been read
    err = OK
    last = np.int64(0)         # the last sample decoded, and the one before it
    before = np.int64(0)
    for r in range(height):
        row = r * row_len
        k = 0
        for x in range(row_len):
            if nacc < 32:      # one sample takes at most 16 + 16 bits
                if data_end >= 0 and fed >= data_end + 4:
                    return TRUNCATED
                if data_end < 0 and i + 4 <= end and buf[i] != 0xFF and buf[i + 1] != 0xFF \
                        and buf[i + 2] != 0xFF and buf[i + 3] != 0xFF:
                    acc = (acc << 32) | (np.int64(buf[i]) << 24) | (np.int64(buf[i + 1]) << 16) \
                        | (np.int64(buf[i + 2]) << 8) | np.int64(buf[i + 3])
                    i += 4
                else:
                    for b in range(4):
                        byte = np.int64(0)
                        if data_end < 0:
                            byte, i, status = _read_byte(buf, i, end)
                            if status == 2:
                                return MARKER
                            if status == 1:
                                data_end = fed + b
                        acc = (acc << 8) | byte
                fed += 4
                nacc += 32
            peek = (acc >> (nacc - 16)) & 0xFFFF
            entry = np.int64(short[(table_base[k] >> SHORT_SHIFT) + (peek >> SHORT_SHIFT)])
            if entry == 0:     # a code longer than SHORT_BITS (rare), or no code: the full table
                entry = np.int64(luts[table_base[k] + peek])
            k += 1
            if k == nf:
                k = 0
            length = entry >> 8
            if length == 0:
                err = BAD_CODE
                break
            nacc -= length
            s = entry & 0xFF
            diff = np.int64(0)
            if s == 16:
                if cat16_extra:   # DNG 1.0 encoders wrote 16 extra bits (as LibRaw reads them)
                    v = (acc >> (nacc - 16)) & 0xFFFF
                    nacc -= 16
                    diff = v if v >= 32768 else v - 65535
                else:
                    diff = np.int64(32768)
            else:
                # the s extra bits, a value v < 2^s; below 2^(s-1) it stands for v - (2^s - 1)
                # (T.81 F.2.2.1, EXTEND).  Computed without a branch: the sign of a difference
                # is a coin toss, and a mispredicted branch per sample cost more than the
                # arithmetic (s = 0 gives mask 0, v 0, diff 0)
                mask = (np.int64(1) << s) - 1
                v = (acc >> (nacc - s)) & mask
                nacc -= s
                diff = v - np.int64(v < ((mask + 1) >> 1)) * mask
            j = row + x
            if x < nf:
                pred = first if r == 0 else np.int64(flat[j - row_len])
            elif nf <= 2 and (predictor == 1 or r == 0):
                # the sample nf back, from registers: read back from ``flat`` it waited on the
                # store just made (store-to-load forwarding on the critical path; with the
                # in-place reading above, fastest of 8 one-core decodes 0.229 -> 0.212 CPU-s
                # for the 24 MP DNG, 0.547 -> 0.494 for the 60 MP one, at load 4.4)
                pred = last if nf == 1 else before
            elif predictor == 1 or r == 0:
                pred = np.int64(flat[j - nf])
            else:
                ra = np.int64(flat[j - nf])
                rb = np.int64(flat[j - row_len])
                rc = np.int64(flat[j - row_len - nf])
                if predictor == 2:
                    pred = rb
                elif predictor == 3:
                    pred = rc
                elif predictor == 4:
                    pred = ra + rb - rc
                elif predictor == 5:
                    pred = ra + ((rb - rc) >> 1)
                elif predictor == 6:
                    pred = rb + ((ra - rc) >> 1)
                else:
                    pred = (ra + rb) >> 1
            value = pred + diff
            if check_range and (value < 0 or value >> precision):
                err = RANGE
                break
            before = last
            last = value
            flat[j] = value & 0xFFFF
        if err != OK:
            break
    if data_end < 0:           # the rest of the scan, to EOI: its length, or a marker in it
        left = _data_bytes_left(buf, i, end)
        if left < 0:
            return MARKER
        data_end = fed + left
    if err != OK:
        return err
    consumed = fed * 8 - nacc
    nbits = data_end * 8
    if consumed > nbits:
        return TRUNCATED
    if nbits - consumed > TRAILING_SLACK_BITS:
        return EXCESS
    return OK


@njit(cache=True)
def _place_tile(flat, tile_y, tile_x, tile_h, tile_w, spp, win_y, win_x, values, identity, out):
    """Copy the part of a decoded tile inside the window to ``out``, through ``values``, or
    converted to float32 when ``identity`` (no linearization table: the same numbers, since
    every uint16 is exact in float32, in a loop that vectorizes where the table's gather did not)."""
    y0 = max(0, win_y - tile_y)
    y1 = min(tile_h, win_y + out.shape[0] - tile_y)
    x0 = max(0, win_x - tile_x)
    x1 = min(tile_w, win_x + out.shape[1] - tile_x)
    for ty in range(y0, y1):
        y = tile_y + ty - win_y
        if identity and spp == 1:
            src = flat[ty * tile_w + x0:ty * tile_w + x1]
            dst = out[y, tile_x + x0 - win_x:tile_x + x1 - win_x, 0]
            for k in range(x1 - x0):
                dst[k] = np.float32(src[k])
            continue
        for tx in range(x0, x1):
            x = tile_x + tx - win_x
            base = (ty * tile_w + tx) * spp
            for s in range(spp):
                out[y, x, s] = values[flat[base + s]]


@njit(parallel=True, cache=True, nogil=True)      # other Python threads run while tiles decode
def decode_tiles(buf, starts, ends, geometry, table_base, luts, cat16_extra, tile_h, tile_w, spp,
                 win_y, win_x, values, identity, out, errors):
    short = short_codes(luts)
    for t in prange(starts.shape[0]):
        g = geometry[t]
        flat = np.empty(tile_h * tile_w * spp, np.uint16)
        err = _decode_scan(buf, starts[t], ends[t], g[0], g[1], g[2], g[3], g[4], table_base[t], luts, short,
                           cat16_extra, flat)
        errors[t] = err
        if err == OK:
            _place_tile(flat, g[5], g[6], tile_h, tile_w, spp, win_y, win_x, values, identity, out)
