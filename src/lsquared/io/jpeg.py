"""Baseline JPEG encoding: libjpeg-turbo (through imagecodecs) in parallel strips.

libjpeg is single-threaded, and a 24-megapixel picture takes it 0.14 s.  A baseline JPEG
may be cut into restart intervals (ITU-T T.81, the DRI marker and the RSTm markers): at each
restart the encoder pads the entropy-coded data to a whole byte and resets the DC
predictions, so an interval depends on nothing before it.  Horizontal strips of whole MCU
rows, encoded as separate JPEGs with the same (standard, not optimized) Huffman and
quantization tables, are therefore exactly the intervals of one picture whose restart
interval is a strip: one header (the frame height made the full height, a DRI segment added)
and the strips' scans joined by RST0..RST7 make a valid JPEG that decodes to the same pixels
as a single-pass encode (tests/io/test_jpeg.py checks it), written in 1/threads the time.

The metadata goes in as the usual APP segments after libjpeg's JFIF APP0: APP1 "Exif" and
the ICC profile as APP2 "ICC_PROFILE" chunks (ICC.1:2022, annex B.4).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import OutputError

SOI, EOI, SOS, DRI = b"\xff\xd8", b"\xff\xd9", b"\xff\xda", b"\xff\xdd"
_SOF_MARKERS = {b"\xff\xc0", b"\xff\xc1"}
_ICC_CHUNK = 65519              # 65535 - 2 (length) - 12 ("ICC_PROFILE\0") - 2 (sequence, count)
_MAX_INTERVAL = 0xFFFF          # the DRI field is 16 bits
PARALLEL_MIN_PIXELS = 1 << 20   # below a megapixel the strips are not worth their set-up


def _segment(marker: bytes, payload: bytes) -> bytes:
    if len(payload) > 0xFFFF - 2:
        raise OutputError(f"a JPEG segment holds at most 65533 bytes, this one {len(payload)}",
                          hint="write TIFF or PNG instead (--format tiff)")
    return marker + (len(payload) + 2).to_bytes(2, "big") + payload


def _split(data: bytes) -> tuple[list[bytes], bytes]:
    """A JPEG from libjpeg -> (its segments before the scan, SOS included; the entropy-coded
    data between the SOS segment and the final EOI)."""
    if data[:2] != SOI or data[-2:] != EOI:
        raise ValueError("not a complete JPEG stream")
    segments, i = [], 2
    while True:
        marker = data[i:i + 2]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        segments.append(data[i:i + 2 + length])
        i += 2 + length
        if marker == SOS:
            return segments, data[i:-2]


def _tables(segments: list[bytes]) -> list[bytes]:
    """The header segments that must be the same in every strip (all but the frame header,
    whose height differs in the last strip)."""
    return [s for s in segments if s[:2] not in _SOF_MARKERS]


def _with_height(sof: bytes, height: int) -> bytes:
    # SOFn: marker (2), length (2), sample precision (1), number of lines (2), ...
    return sof[:5] + height.to_bytes(2, "big") + sof[7:]


def metadata_segments(exif: bytes | None, icc: bytes | None) -> list[bytes]:
    """APP1 (``exif`` starts with b"Exif\\0\\0") and the APP2 ICC_PROFILE chunks."""
    out = []
    if exif:
        out.append(_segment(b"\xff\xe1", exif))
    if icc:
        count = math.ceil(len(icc) / _ICC_CHUNK)
        if count > 255:
            raise OutputError("ICC profile too large for JPEG (over 255 chunks)")
        for seq in range(count):
            chunk = icc[seq * _ICC_CHUNK:(seq + 1) * _ICC_CHUNK]
            out.append(_segment(b"\xff\xe2", b"ICC_PROFILE\0" + bytes((seq + 1, count)) + chunk))
    return out


def _with_metadata(head: list[bytes], meta: bytes) -> list[bytes]:
    """The header segments with ``meta`` after libjpeg's JFIF APP0 (or first, without one)."""
    at = 1 if head and head[0][:2] == b"\xff\xe0" else 0
    return [*head[:at], meta, *head[at:]]


def _encode_one(pixels: np.ndarray, quality: int, subsampling: tuple[int, int]) -> bytes:
    import imagecodecs

    return bytes(imagecodecs.jpeg8_encode(pixels, level=quality, subsampling=subsampling, optimize=False))


def _strip_rows(height: int, width: int, mcu: tuple[int, int], tasks: int) -> int:
    """Rows per strip: whole MCU rows, about ``tasks`` strips, no more MCUs than DRI can count."""
    mcu_rows = -(-height // mcu[0])
    mcus_per_row = -(-width // mcu[1])
    most = max(1, _MAX_INTERVAL // mcus_per_row)
    return min(most, -(-mcu_rows // tasks)) * mcu[0]


def encode_jpeg(pixels: np.ndarray, quality: int, *, chroma_444: bool = True,
                exif: bytes | None = None, icc: bytes | None = None,
                parallel: bool = True, strip_rows: int | None = None) -> bytes:
    """uint8 (H, W, 3) RGB or (H, W) grey -> baseline JPEG bytes (4:4:4 or 4:2:0 chroma).

    ``strip_rows`` (a multiple of the MCU height, 8 or 16) overrides the strip height chosen
    from the thread count."""
    import numba

    from ..kernels.threads import map_tasks

    pixels = np.ascontiguousarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise OutputError(f"JPEG needs 8-bit grey or RGB pixels, not {pixels.dtype} {pixels.shape}")
    height, width = pixels.shape[:2]
    if max(height, width) > 0xFFFF:
        raise OutputError(f"a JPEG holds at most 65535 pixels a side, this picture is {width} x {height}",
                          hint="write TIFF or PNG instead (--format tiff)")
    grey = pixels.ndim == 2
    subsampling = (1, 1) if chroma_444 or grey else (2, 2)
    mcu = (8 * subsampling[0], 8 * subsampling[1])
    threads = numba.get_num_threads()
    meta = b"".join(metadata_segments(exif, icc))
    rows = _strip_rows(height, width, mcu, 2 * threads)
    if strip_rows is not None:
        if strip_rows % mcu[0] or strip_rows * (-(-width // mcu[1])) // mcu[0] > _MAX_INTERVAL:
            raise ValueError(f"strip_rows must be a multiple of {mcu[0]} within the 16-bit restart interval")
        rows = strip_rows
    elif not parallel or threads < 2 or height * width < PARALLEL_MIN_PIXELS:
        rows = height
    if rows >= height:
        data = _encode_one(pixels, quality, subsampling)
        head, scan = _split(data)
        return SOI + b"".join(_with_metadata(head, meta)) + scan + EOI
    starts = range(0, height, rows)
    parts = map_tasks(lambda y: _split(_encode_one(pixels[y:y + rows], quality, subsampling)), list(starts))
    head = parts[0][0]
    if any(_tables(p[0]) != _tables(head) for p in parts):
        raise AssertionError("JPEG strips were encoded with different tables")
    interval = (rows // mcu[0]) * (-(-width // mcu[1]))
    header = [_with_height(s, height) if s[:2] in _SOF_MARKERS else s for s in head[:-1]]
    out = [SOI, *_with_metadata(header, meta), _segment(DRI, interval.to_bytes(2, "big")), head[-1]]
    for k, (_, scan) in enumerate(parts):
        if k:
            out.append(bytes((0xFF, 0xD0 + (k - 1) % 8)))
        out.append(scan)
    out.append(EOI)
    return b"".join(out)
