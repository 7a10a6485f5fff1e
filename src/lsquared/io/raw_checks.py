"""What a raw file declares, checked before anything is decoded or computed from it.

A damaged header (a flipped byte, a truncated copy, a careless writer) turns into numbers that
the rest of the pipeline would trust: an image 0 pixels wide, 0 or 4 samples per pixel, tiles
of width 0, a crop outside the sensor, a white level under the black level, a colour matrix
that cannot be inverted.  LibRaw opens many such files anyway and the result is a traceback
deep in a kernel or, worse, a plausible-looking wrong picture.  Every check here turns a
violation into one ``InputError`` naming the file and the field, with the value found.

Sources for the limits: TIFF 6.0 (ImageWidth/ImageLength >= 1, TileWidth/TileLength >= 1,
PlanarConfiguration 1 or 2, SampleFormat 1..3) and DNG 1.6 (CFA images have one sample per
pixel, LinearRaw one or more; DefaultCrop lies inside the ActiveArea; WhiteLevel above
BlackLevel; ColorMatrix maps XYZ to camera space and must be invertible for the colour model
of chapter 6).  The size limits are generous bounds on real cameras (the largest sensors
sold are about 150 megapixels), there to keep a forged header from asking for gigabytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError

MAX_SIDE = 100_000                 # pixels along one side
MAX_PIXELS = 600_000_000           # samples of the stored image (all samples per pixel counted)
MIN_VISIBLE = 2                    # the visible area (after crops) must be at least this wide and high
MAX_CFA_REPEAT = 16                # CFARepeatPatternDim per side (Bayer 2, X-Trans 6)
MAX_MATRIX_ENTRY = 50.0            # |entry| of a colour matrix; real ones stay within about 5
MAX_CONDITION = 1e5                # 2-norm condition number of a square colour matrix
MAX_BASELINE_EV = 10.0             # BaselineExposure (+ offset); cameras write -2..+4
XYZ_D50 = np.array([0.9642, 1.0, 0.8251])


def _bad(path, field: str, message: str) -> InputError:
    return InputError(f"damaged raw header: {field} {message}", path=path,
                      hint="the file is corrupt or written by a broken converter")


def check_layout(path: Path, layout) -> None:
    """Image and tile geometry of a DNG's raw IFD (``io.dngtags.TileLayout``), before any
    arithmetic on it."""
    if not 1 <= layout.width <= MAX_SIDE:
        raise _bad(path, "ImageWidth", f"is {layout.width} (expected 1..{MAX_SIDE})")
    if not 1 <= layout.height <= MAX_SIDE:
        raise _bad(path, "ImageLength", f"is {layout.height} (expected 1..{MAX_SIDE})")
    if not 1 <= layout.samples_per_pixel <= 4:
        raise _bad(path, "SamplesPerPixel", f"is {layout.samples_per_pixel} (expected 1 to 4)")
    if layout.width * layout.height * layout.samples_per_pixel > MAX_PIXELS:
        raise _bad(path, "ImageWidth x ImageLength", f"is {layout.width}x{layout.height}: larger than any camera's")
    if not 1 <= layout.bits_per_sample <= 32:
        raise _bad(path, "BitsPerSample", f"is {layout.bits_per_sample} (expected 1..32)")
    if layout.planar_config not in (1, 2):
        raise _bad(path, "PlanarConfiguration", f"is {layout.planar_config} (expected 1 or 2)")
    if layout.sample_format not in (1, 2, 3):
        raise _bad(path, "SampleFormat", f"is {layout.sample_format} (expected 1, 2 or 3)")
    name = "Tile" if layout.tiled else "RowsPerStrip/ImageWidth"
    if not (1 <= layout.tile_width <= MAX_SIDE and 1 <= layout.tile_height <= MAX_SIDE):
        raise _bad(path, f"{name}Width/Length" if layout.tiled else name,
                   f"gives {layout.tile_width}x{layout.tile_height} tiles")


def _cfa_is_plausible(repeat, pattern, plane_colors) -> str | None:
    """None if the CFA pattern could be a real sensor's, else what is wrong with it."""
    rows, cols = repeat
    if not (1 <= rows <= MAX_CFA_REPEAT and 1 <= cols <= MAX_CFA_REPEAT):
        return f"CFARepeatPatternDim {rows}x{cols} (expected 1..{MAX_CFA_REPEAT} per side)"
    if pattern is None or len(pattern) != rows * cols:
        n = 0 if pattern is None else len(pattern)
        return f"CFAPattern has {n} entries for a {rows}x{cols} repeat"
    colors = set(plane_colors)
    if not set(pattern) <= colors:
        return f"CFAPattern {tuple(pattern)} uses colours outside CFAPlaneColor {tuple(plane_colors)}"
    if set(pattern) != colors or len(colors) < 3:
        return f"CFAPattern {tuple(pattern)} does not sample every colour of {tuple(plane_colors)}"
    grid = np.asarray(pattern).reshape(rows, cols)
    if (rows, cols) == (2, 2):
        # three colours in 2x2: a Bayer pattern, the doubled colour on a diagonal; four: CYGM, RGBE
        if len(colors) == 3:
            from ..frame import CFA_PATTERNS

            letters = "".join("RGB"[c] if c < 3 else "?" for c in pattern)
            if letters not in CFA_PATTERNS:
                return (f"CFAPattern {tuple(pattern)} ({letters}) is not a Bayer arrangement "
                        f"(one of {', '.join(CFA_PATTERNS)}: green doubled on a diagonal)")
        return None
    # larger repeats (X-Trans): every row and every column sees every colour
    full = all(set(r) == colors for r in grid) and all(set(c) == colors for c in grid.T)
    return None if full else f"CFAPattern {tuple(pattern)} ({rows}x{cols}) leaves colours out of whole rows or columns"


def _check_matrix(path, name: str, m: np.ndarray | None, square: bool) -> None:
    if m is None:
        return
    if not np.all(np.isfinite(m)):
        raise _bad(path, name, "holds undefined values")
    if np.abs(m).max() > MAX_MATRIX_ENTRY:
        raise _bad(path, name, f"has an entry of {np.abs(m).max():.3g} (real matrices stay within a few units)")
    if square and m.shape[0] == m.shape[1]:
        cond = np.linalg.cond(m)
        if not np.isfinite(cond) or cond > MAX_CONDITION:
            raise _bad(path, name, "is singular (cannot be inverted)")


def check_dng(tags):
    """Everything else a DNG declares (``io.dngtags.DngTags``); returns ``tags`` unchanged."""
    from .dngtags import PHOTOMETRIC_CFA, PHOTOMETRIC_LINEAR_RAW

    path, lay = tags.path, tags.layout
    spp = lay.samples_per_pixel
    if tags.photometric == PHOTOMETRIC_CFA:
        if spp != 1:
            raise _bad(path, "SamplesPerPixel", f"is {spp} in a CFA image (a mosaic has 1)")
        problem = _cfa_is_plausible(tags.cfa_repeat or (2, 2), tags.cfa_pattern, tags.cfa_plane_color)
        if problem:
            raise _bad(path, problem.split(" ", 1)[0], problem.split(" ", 1)[1])
    elif tags.photometric == PHOTOMETRIC_LINEAR_RAW and spp not in (1, 3):
        raise _bad(path, "SamplesPerPixel", f"is {spp} in a LinearRaw image (expected 1 or 3)")

    top, left, bottom, right = tags.active_area
    if bottom - top < MIN_VISIBLE or right - left < MIN_VISIBLE:
        raise _bad(path, "ActiveArea", f"{tags.active_area} leaves {right - left}x{bottom - top} pixels")
    ox, oy = tags.default_crop_origin
    aw, ah = right - left, bottom - top
    if not (0 <= ox < aw and 0 <= oy < ah):
        raise _bad(path, "DefaultCropOrigin", f"({ox:g}, {oy:g}) lies outside the {aw}x{ah} active area")
    if tags.default_crop_size is not None:
        cw, ch = tags.default_crop_size
        if not (cw >= MIN_VISIBLE and ch >= MIN_VISIBLE):
            raise _bad(path, "DefaultCropSize", f"({cw:g}, {ch:g}) is not a usable size")
        if min(cw, aw - ox) < MIN_VISIBLE or min(ch, ah - oy) < MIN_VISIBLE:
            raise _bad(path, "DefaultCropOrigin", f"({ox:g}, {oy:g}) leaves less than {MIN_VISIBLE} pixels "
                                                  f"of the {aw}x{ah} active area")

    black = float(np.max(tags.black_level)) if tags.black_level.size else 0.0
    if tags.black_delta_h is not None:
        black += float(np.max(tags.black_delta_h, initial=0.0))
    if tags.black_delta_v is not None:
        black += float(np.max(tags.black_delta_v, initial=0.0))
    whites = np.asarray(tags.white_level, dtype=np.float64)
    if whites.size and not np.all(np.isfinite(whites)):
        raise _bad(path, "WhiteLevel", "is undefined")
    if whites.size and lay.sample_format != 3 and tags.linearization_table is None:
        if float(whites.min()) <= black:
            raise _bad(path, "WhiteLevel", f"{whites.min():g} is not above the black level {black:g}")
    if tags.linearization_table is not None and tags.linearization_table.size == 0:
        raise _bad(path, "LinearizationTable", "is empty")

    baseline = tags.baseline_exposure + tags.baseline_exposure_offset
    if not abs(baseline) <= MAX_BASELINE_EV:
        raise _bad(path, "BaselineExposure", f"{baseline:+g} EV is outside -{MAX_BASELINE_EV:g}..+{MAX_BASELINE_EV:g}")
    for i in (0, 1):
        _check_matrix(path, f"ColorMatrix{i + 1}", tags.color_matrix[i], square=True)
        _check_matrix(path, f"ForwardMatrix{i + 1}", tags.forward_matrix[i], square=True)
        _check_matrix(path, f"CameraCalibration{i + 1}", tags.camera_calibration[i], square=True)
        cm = tags.color_matrix[i]
        if cm is not None and cm.shape == (3, 3) and not np.all(cm @ XYZ_D50 > 0):
            raise _bad(path, f"ColorMatrix{i + 1}", "sees white light as negative in a camera channel")
    return tags


def check_meta(meta):
    """Levels and matrix of a non-DNG raw as LibRaw reports them (``FrameMeta``); returns it."""
    path = meta.source
    black = max(meta.black)
    if not np.isfinite(meta.white) or not all(np.isfinite(meta.black)):
        raise _bad(path, "white or black level", "is undefined")
    if meta.white <= black:
        raise _bad(path, "white level", f"{meta.white:g} is not above the black level {black:g}")
    h, w = meta.extra.get("visible_size", (MIN_VISIBLE, MIN_VISIBLE))
    if h < MIN_VISIBLE or w < MIN_VISIBLE:
        raise _bad(path, "image size", f"{w}x{h} is too small to develop")
    cm = meta.camera_color.color_matrix[0]
    if cm is not None:
        _check_matrix(path, "colour matrix", np.asarray(cm, dtype=np.float64), square=True)
    return meta


# ----------------------------------------------------------------------------- data extent


def check_data_extent(path, start: int, end: int, file_size: int, what: str = "raw data") -> None:
    """``InputError`` when the image data the header declares (bytes ``start``..``end``) run past
    the end of the file: a card read that stopped early, an interrupted copy, a file whose
    strips were cut.  Used for DNG (io.dngtags) and the other TIFF-based raws (``tiff_data_extent``).

    Always an error, never a warning: decoders fill what is missing (LibRaw with zeros or
    with whatever its bit reader last held, lossless-JPEG tiles not at all), so the picture
    would carry a band of invented pixels; and the copy the user still has (the card, the
    original) is the fix.  The message says how much is missing, so a file a few bytes short
    (a copy cut at the last sector) is told apart from one cut in half."""
    if end <= file_size:
        return
    missing = end - file_size
    span = max(end - start, 1)
    share = 100.0 * min(missing, span) / span
    raise InputError(f"truncated: the {what} runs to byte {end} but the file has {file_size} "
                     f"({_bytes(missing)} missing, {share:.3g} % of the {what})",
                     path=path, hint="copy the file again from the card")


def _bytes(n: int) -> str:
    for unit, size in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


# TIFF magic numbers of raw formats built on TIFF (TIFF 6.0: 42; Panasonic RW2: 0x55;
# Olympus ORF: 'RO' and 'RS'); CR2, NEF, ARW, PEF, KDC, 3FR ... use 42
_TIFF_MAGICS = {42, 0x55, 0x4F52, 0x5352}
_STRIPS = ((273, 279), (324, 325))            # StripOffsets/ByteCounts, TileOffsets/ByteCounts
_SUB_IFDS = 330
_MAX_IFDS = 64


def tiff_data_extent(path) -> tuple[int, int] | None:
    """(first byte, one past the last byte) of the image strips and tiles that a TIFF-based
    raw's IFDs declare (IFD chain and SubIFDs: CR2, NEF, ARW, ORF, PEF, RW2, KDC ...), read from
    the header alone (a few KB); None for a file that is not TIFF-based or declares none.
    Entries with a zero byte count (Panasonic leaves StripByteCounts 0) are not counted.

    Read by hand rather than with tifffile (which io.dngtags uses for DNG): tifffile refuses the
    vendor magic numbers (RW2's 0x55, ORF's 'RO'/'RS') and would parse every tag of every IFD,
    where two offsets and two counts per IFD are all this needs."""
    import struct

    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8 or head[:2] not in (b"II", b"MM"):
                return None
            order = "<" if head[:2] == b"II" else ">"
            if struct.unpack(order + "H", head[2:4])[0] not in _TIFF_MAGICS:
                return None
            size = f.seek(0, 2)

            def read(offset: int, n: int) -> bytes:
                f.seek(offset)
                return f.read(n)

            def values(entry: bytes) -> list[int]:
                tag_type, count = struct.unpack(order + "HI", entry[2:8])
                code = {3: "H", 4: "I", 13: "I", 16: "Q"}.get(tag_type)
                width = {3: 2, 4: 4, 13: 4, 16: 8}.get(tag_type)
                if code is None or count == 0 or count > 1 << 20:
                    return []
                nbytes = width * count
                raw = entry[8:8 + nbytes] if nbytes <= 4 else read(struct.unpack(order + "I", entry[8:12])[0], nbytes)
                if len(raw) < nbytes:
                    return []
                return list(struct.unpack(f"{order}{count}{code}", raw))

            pending, seen, spans = [struct.unpack(order + "I", head[4:8])[0]], set(), []
            while pending and len(seen) < _MAX_IFDS:
                ifd = pending.pop(0)
                if ifd in seen or not 8 <= ifd < size:
                    continue
                seen.add(ifd)
                count_bytes = read(ifd, 2)
                if len(count_bytes) < 2:
                    continue
                n = min(struct.unpack(order + "H", count_bytes)[0], 4096)
                table = read(ifd + 2, 12 * n + 4)
                entries = {}
                for i in range(len(table) // 12):
                    entry = table[12 * i:12 * i + 12]
                    entries[struct.unpack(order + "H", entry[:2])[0]] = entry
                for offsets_tag, counts_tag in _STRIPS:
                    if offsets_tag in entries and counts_tag in entries:
                        for offset, count in zip(values(entries[offsets_tag]), values(entries[counts_tag])):
                            if count > 0:
                                spans.append((offset, offset + count))
                if _SUB_IFDS in entries:
                    pending += values(entries[_SUB_IFDS])
                if len(table) >= 12 * n + 4:
                    nxt = struct.unpack(order + "I", table[12 * n:12 * n + 4])[0]
                    if nxt:
                        pending.append(nxt)
    except OSError:
        return None
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)
