"""Write small DNG files with chosen tags, for the io.raw tests (test helper, not a DNG writer).

The shared camera files cover few cases (one CFA phase, no orientation, no linearization
table, no 2x2 black pattern), so the tests build the rest here with tifffile and check what
LibRaw and lsquared read back.  Tiles may be lossless-JPEG encoded with libjpeg-turbo
(imagecodecs.jpeg8_encode), an encoder independent of the decoder under test.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import imagecodecs
import numpy as np
import tifffile

CFA_CODES = {"R": 0, "G": 1, "B": 2}

SRATIONAL = "2i"
RATIONAL = "2I"


def _rationals(values, denominator: int = 10000) -> tuple[int, ...]:
    out: list[int] = []
    for v in np.ravel(values):
        f = Fraction(float(v)).limit_denominator(denominator)
        out += [f.numerator, f.denominator]
    return tuple(out)


def _tag(code: int, dtype: str, values) -> tuple:
    if dtype in (SRATIONAL, RATIONAL):
        flat = _rationals(values)
        return (code, dtype, len(flat) // 2, flat, True)
    if dtype == "s":
        return (code, "s", 0, values, True)
    flat = tuple(int(v) for v in np.ravel(values))
    return (code, dtype, len(flat), flat, True)


def mosaic_of(rgb_values: tuple[int, int, int], pattern: str, shape: tuple[int, int]) -> np.ndarray:
    """A flat-colour mosaic: each photosite gets the value of its filter colour."""
    out = np.empty(shape, np.uint16)
    for i, ch in enumerate(pattern):
        out[i // 2::2, i % 2::2] = rgb_values[CFA_CODES[ch]]
    return out


def _ljpeg_tiles(raw: np.ndarray, tile: tuple[int, int], bits: int, predictor: int, components: int):
    th, tw = tile
    h, w = raw.shape[:2]
    for y in range(0, h, th):
        for x in range(0, w, tw):
            block = np.zeros((th, tw) + raw.shape[2:], raw.dtype)   # edge tiles are padded (DNG 1.6 p. 22)
            part = raw[y:y + th, x:x + tw]
            block[:part.shape[0], :part.shape[1]] = part
            if components > 1:     # tile written as (th, tw/c) with c interleaved components
                block = block.reshape(th, tw // components, components)
            yield imagecodecs.jpeg8_encode(block, lossless=True, predictor=predictor, bitspersample=bits)


def _lossy_tiles(raw: np.ndarray, tile: tuple[int, int], quality: int):
    th, tw = tile
    h, w = raw.shape[:2]
    for y in range(0, h, th):
        for x in range(0, w, tw):
            block = np.zeros((th, tw) + raw.shape[2:], np.uint8)
            part = raw[y:y + th, x:x + tw]
            block[:part.shape[0], :part.shape[1]] = part
            yield imagecodecs.jpeg8_encode(block, level=quality)


def write_dng(
    path: Path,
    raw: np.ndarray,
    *,
    photometric: str = "cfa",
    cfa: str = "RGGB",
    bits: int = 14,
    compression: str = "none",
    tile: tuple[int, int] | None = None,
    predictor: int = 1,
    ljpeg_components: int = 1,
    raw_in_subifd: bool = True,
    active_area: tuple[int, int, int, int] | None = None,
    default_crop: tuple[tuple[float, float], tuple[float, float]] | None = None,
    black=(256,),
    black_repeat: tuple[int, int] = (1, 1),
    black_delta_h=None,
    black_delta_v=None,
    white=(16383,),
    linearization=None,
    color_matrix1=((0.9, -0.34, -0.05), (-0.4, 1.18, 0.23), (-0.06, 0.15, 0.62)),
    color_matrix2=None,
    forward_matrix1=None,
    forward_matrix2=None,
    camera_calibration1=None,
    camera_calibration2=None,
    illuminant1: int | None = 21,
    illuminant2: int | None = None,
    analog_balance=None,
    as_shot_neutral=(0.5, 1.0, 0.7),
    as_shot_white_xy=None,
    baseline_exposure: float | None = 0.25,
    baseline_exposure_offset: float | None = None,
    orientation: int = 1,
    make: str = "Testmaker",
    model: str = "Tester 1",
    exif: dict | None = None,
    opcode_list2: bytes | None = None,
    dng_version: tuple[int, int, int, int] = (1, 4, 0, 0),
    byteorder: str = "<",
    jpeg_quality: int = 95,
) -> Path:
    """Write ``raw`` (uint16 (H, W) mosaic, or (H, W, 3) / (H, W) LinearRaw) as a DNG at ``path``."""
    raw = np.ascontiguousarray(raw, dtype=np.uint16)
    h, w = raw.shape[:2]
    spp = 1 if raw.ndim == 2 else raw.shape[2]

    ifd0 = [
        _tag(50706, "B", dng_version),
        _tag(50707, "B", (1, 1, 0, 0)),
        (271, "s", 0, make, True),
        (272, "s", 0, model, True),
        (50708, "s", 0, f"{make} {model}", True),
        _tag(274, "H", (orientation,)),
    ]
    profile = [
        _tag(code, dtype, value if np.ndim(value) else (value,))
        for code, dtype, value in (
            (50721, SRATIONAL, color_matrix1), (50722, SRATIONAL, color_matrix2),
            (50723, SRATIONAL, camera_calibration1), (50724, SRATIONAL, camera_calibration2),
            (50727, RATIONAL, analog_balance), (50728, RATIONAL, as_shot_neutral),
            (50729, RATIONAL, as_shot_white_xy), (50730, SRATIONAL, baseline_exposure),
            (51109, SRATIONAL, baseline_exposure_offset), (50778, "H", illuminant1), (50779, "H", illuminant2),
            (50964, SRATIONAL, forward_matrix1), (50965, SRATIONAL, forward_matrix2),
        )
        if value is not None
    ]
    ifd0 += profile

    rawtags = []
    if photometric == "cfa":
        rawtags += [
            _tag(33421, "H", (2, 2)),
            _tag(33422, "B", [CFA_CODES[c] for c in cfa]),
            _tag(50710, "B", (0, 1, 2)),
            _tag(50711, "H", (1,)),
        ]
    if active_area is not None:
        rawtags.append(_tag(50829, "I", active_area))
    if default_crop is not None:
        (cx, cy), (cw, ch) = default_crop
        rawtags.append(_tag(50719, RATIONAL, (cx, cy)))
        rawtags.append(_tag(50720, RATIONAL, (cw, ch)))
    rawtags.append(_tag(50713, "H", black_repeat))
    rawtags.append(_tag(50714, RATIONAL, black))
    if black_delta_h is not None:
        rawtags.append(_tag(50715, SRATIONAL, black_delta_h))
    if black_delta_v is not None:
        rawtags.append(_tag(50716, SRATIONAL, black_delta_v))
    if white is not None:                    # None: no WhiteLevel tag (the default applies)
        rawtags.append(_tag(50717, "I", white))
    if linearization is not None:
        rawtags.append(_tag(50712, "H", linearization))
    if opcode_list2 is not None:
        rawtags.append((51009, "B", len(opcode_list2), opcode_list2, True))

    photometric_code = 32803 if photometric == "cfa" else 34892
    mono_linear = photometric != "cfa" and raw.ndim == 2
    if mono_linear:   # tifffile insists on 3 samples for LinearRaw: write MinIsBlack, then patch the tag
        photometric_code = 1
    write_kw: dict = dict(photometric=photometric_code, planarconfig="contig", bitspersample=bits,
                          subfiletype=0, metadata=None, software=False)
    if compression == "ljpeg":
        tile = tile or (h, w)
        data = _ljpeg_tiles(raw, tile, bits, predictor, ljpeg_components)
        write_kw.update(shape=raw.shape, dtype=np.uint16, compression=7, tile=tile)
    elif compression == "jpeg":
        # lossy JPEG tiles of 8-bit samples (Compression 34892, DNG 1.4), as Adobe's converter
        # writes lossy DNGs: baseline JPEG, three samples as YCbCr, at ``jpeg_quality``
        if bits != 8:
            raise ValueError("lossy JPEG DNGs hold 8-bit samples")
        tile = tile or (h, w)
        data = _lossy_tiles(raw.astype(np.uint8), tile, jpeg_quality)
        write_kw.update(shape=raw.shape, dtype=np.uint8, compression=34892, tile=tile)
    elif bits == 8:
        data = raw.astype(np.uint8)          # 8-bit samples stored as bytes
        if tile is not None:
            write_kw.update(tile=tile)
    else:
        data = raw
        if tile is not None:
            write_kw.update(tile=tile)
        if bits != 16:
            write_kw["bitspersample"] = 16   # tifffile writes whole samples; LibRaw reads the tag
    path = Path(path)
    with tifffile.TiffWriter(path, byteorder=byteorder) as tw:
        exif_tags = []
        if exif:
            # tifffile writes an EXIF IFD only through 'extratags' of known codes; keep to IFD0 copies
            exif_tags = _exif_as_ifd0(exif)
        if raw_in_subifd:
            tw.write(np.zeros((8, 8, 3), np.uint8), photometric="rgb", subfiletype=1, subifds=1,
                     extratags=ifd0 + exif_tags, metadata=None, software=False)
            tw.write(data, extratags=rawtags, **write_kw)
        else:
            tw.write(data, extratags=ifd0 + exif_tags + rawtags, **write_kw)
    if mono_linear:
        with tifffile.TiffFile(path, mode="r+b") as tf:
            page = tf.pages.first.pages[0] if raw_in_subifd else tf.pages.first
            page.tags[262].overwrite(34892)
    return path


def _exif_as_ifd0(exif: dict) -> list:
    """EXIF fields as TIFF/EP tags in IFD0 (TIFF/EP allows them there; DNG inherits TIFF/EP)."""
    codes = {"ExposureTime": (33434, RATIONAL), "FNumber": (33437, RATIONAL), "ISOSpeedRatings": (34855, "H"),
             "FocalLength": (37386, RATIONAL), "DateTimeOriginal": (36867, "s")}
    out = []
    for name, value in exif.items():
        code, dtype = codes[name]
        out.append(_tag(code, dtype, value if dtype == "s" else (value,)))
    return out


def write_tiff_like(path: Path, magic: bytes, ifd0: list[tuple[int, int, bytes]],
                    exif: list[tuple[int, int, bytes]] | None = None, trailer: bytes = b"") -> Path:
    """A little-endian TIFF-structured file with any magic (0x55 for Panasonic RW2), an IFD0 and
    an optional EXIF IFD; entries are (tag, TIFF type, packed value bytes).  Built from the TIFF 6.0
    layout (header, IFD entry count, 12-byte entries, next-IFD offset, values beyond 4 bytes)."""
    import struct

    from lsquared.io.dng import _pack_ifd     # the DNG writer's IFD packer (little-endian TIFF 6.0)

    def pack_ifd(entries, offset):
        return _pack_ifd(sorted(entries), offset)

    header = b"II" + magic + struct.pack("<I", 8)
    entries = list(ifd0)
    if exif:
        probe = pack_ifd(entries + [(34665, 4, b"\x00" * 4)], 8)
        exif_offset = 8 + len(probe)
        entries.append((34665, 4, struct.pack("<I", exif_offset)))
        blob = pack_ifd(entries, 8) + pack_ifd(exif, exif_offset)
    else:
        blob = pack_ifd(entries, 8)
    Path(path).write_bytes(header + blob + trailer)
    return Path(path)


def ascii_value(text: str) -> bytes:
    return text.encode("ascii") + b"\x00"


def rational_value(*pairs: tuple[int, int]) -> bytes:
    import struct

    return b"".join(struct.pack("<II", n, d) for n, d in pairs)


def opcode_list(*opcodes: tuple[int, bytes]) -> bytes:
    """An OpcodeList tag value (DNG 1.6 ch. 7, big-endian): count, then id, version, flags, size, params."""
    import struct

    out = struct.pack(">I", len(opcodes))
    for opcode_id, params in opcodes:
        out += struct.pack(">IIII", opcode_id, 0x01030000, 0, len(params)) + params
    return out


def area_params(top, left, bottom, right, plane=0, planes=1, row_pitch=1, col_pitch=1) -> bytes:
    import struct

    return struct.pack(">8I", top, left, bottom, right, plane, planes, row_pitch, col_pitch)
