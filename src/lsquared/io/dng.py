"""Write real DNG files (Adobe DNG 1.4) from arrays: the synthetic camera's output format.

``write_dng`` stores a Bayer mosaic, a monochrome sensor readout (LinearRaw, one sample, as
Leica Monochrom bodies write) or three-sample LinearRaw data, with the camera colour tags a
raw developer needs, an EXIF IFD, and optionally a small RGB preview.  LibRaw (rawpy) and
tifffile read the result; that is what tests/io/test_dng_writer.py checks.

Layout, following Adobe's "Digital Negative Specification" 1.4.0.0 (2012):

- without a preview, IFD0 is the raw image (NewSubFileType 0) and holds every tag;
- with a preview, IFD0 is the 8-bit RGB preview (NewSubFileType 1) holding the camera-wide
  tags (DNGVersion, colour matrices, AsShotNeutral, Orientation, EXIF), and its SubIFD is the
  raw image holding the raw-specific tags (CFA, black and white levels, crop, active area),
  as camera DNGs and Adobe's converter do.

Compression: ``"none"`` writes uncompressed strips; ``"ljpeg"`` writes lossless-JPEG tiles
(Compression 7, SOF3, predictor 1).  With ``ljpeg_components=2`` a tile row of W samples is
encoded as W/2 pixels of two interleaved components, as camera DNGs do (it halves the
predictor's reach across the CFA's alternating colours); LibRaw accepts both 1 and 2.
Three-sample LinearRaw data is always stored uncompressed, and tiles are never wider than the
image (LibRaw misreads those).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import imagecodecs
import numpy as np
import tifffile

from ..errors import OutputError, ParameterError
from .atomic import atomic_write
from ..frame import CFA_PATTERNS, Exif, cfa_channel_map

# TIFF field types (TIFF 6.0 section 2)
BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SRATIONAL, DOUBLE = 1, 2, 3, 4, 5, 7, 10, 12
PHOTOMETRIC_CFA, PHOTOMETRIC_LINEAR_RAW = 32803, 34892
EXIF_IFD_TAG = 34665
_EXIF_PLACEHOLDER = 34666   # tifffile refuses to write 34665; this code sorts into the same slot
_MATRIX_DENOMINATOR = 1_000_000      # 1e-6 resolution; |entry| < 2147 fits an SRATIONAL
_ORIENTATIONS = range(1, 9)


def _rationals(values, denominator: int = _MATRIX_DENOMINATOR) -> tuple[int, ...]:
    out: list[int] = []
    for v in np.asarray(values, dtype=np.float64).ravel():
        out += [int(round(float(v) * denominator)), denominator]
    return tuple(out)


def _exact_rational(value: float) -> tuple[int, int]:
    """A short exact fraction for EXIF values such as 1/125 s or f/5.6."""
    f = Fraction(float(value)).limit_denominator(1_000_000)
    return f.numerator, f.denominator


def _matrix_tag(code: int, matrix, name: str) -> tuple:
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (3, 3) or not np.all(np.isfinite(m)):
        raise ParameterError(f"{name} must be a finite 3x3 matrix, got shape {m.shape}")
    return (code, SRATIONAL, 9, _rationals(m), True)


def _black_tags(black, layout: str) -> list[tuple]:
    """BlackLevelRepeatDim + BlackLevel: one value, one per 2x2 position, or one per sample."""
    b = np.atleast_1d(np.asarray(black, dtype=np.float64)).ravel()
    if np.any(b < 0) or not np.all(np.isfinite(b)):
        raise ParameterError("black_level must be finite and non-negative")
    if layout == "rgb":
        b = np.broadcast_to(b, (3,)) if b.size in (1, 3) else None
        if b is None:
            raise ParameterError("black_level for LinearRaw RGB is one value or one per sample (3)")
        return [(50713, SHORT, 2, (1, 1), True), (50714, RATIONAL, 3, _rationals(b, 10_000), True)]
    if b.size == 1:
        b = np.repeat(b, 4)
    if b.size != 4:
        raise ParameterError("black_level is one value or four, one per 2x2 position in reading order")
    return [(50713, SHORT, 2, (2, 2), True), (50714, RATIONAL, 4, _rationals(b, 10_000), True)]


def _exif_entries(exif: Exif) -> list[tuple[int, int, bytes]]:
    """(tag, type, packed little-endian value) for the EXIF IFD, in ascending tag order."""
    entries: list[tuple[int, int, bytes]] = []

    def ascii_(tag: int, text: str | None) -> None:
        if text:
            entries.append((tag, ASCII, text.encode("ascii", "replace") + b"\0"))

    def rational(tag: int, value: float | None) -> None:
        if value is not None and value > 0:
            entries.append((tag, RATIONAL, struct.pack("<II", *_exact_rational(value))))

    rational(33434, exif.exposure_time)        # ExposureTime
    rational(33437, exif.f_number)             # FNumber
    if exif.iso is not None:                   # ISOSpeedRatings (PhotographicSensitivity)
        entries.append((34855, SHORT, struct.pack("<H", int(min(round(exif.iso), 65535)))))
        entries.append((34864, SHORT, struct.pack("<H", 3)))    # SensitivityType: ISO speed
    entries.append((36864, UNDEFINED, b"0231"))                # ExifVersion 2.31
    ascii_(36867, exif.datetime_original)      # DateTimeOriginal
    rational(37386, exif.focal_length)         # FocalLength
    ascii_(42033, exif.serial_number)          # BodySerialNumber
    ascii_(42035, exif.lens_make)              # LensMake
    ascii_(42036, exif.lens_model)             # LensModel
    return sorted(entries)


def _pack_ifd(entries: list[tuple[int, int, bytes]], offset: int) -> bytes:
    """A classic little-endian TIFF IFD placed at file ``offset``, values after the entries."""
    sizes = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1, SRATIONAL: 8}
    head = struct.pack("<H", len(entries))
    values = b""
    value_base = offset + 2 + 12 * len(entries) + 4
    body = b""
    for tag, typ, packed in entries:
        count = len(packed) // sizes[typ]
        if len(packed) <= 4:
            body += struct.pack("<HHI", tag, typ, count) + packed.ljust(4, b"\0")
        else:
            body += struct.pack("<HHII", tag, typ, count, value_base + len(values))
            values += packed + (b"\0" if len(packed) % 2 else b"")
    return head + body + struct.pack("<I", 0) + values


def _finish(path: str, exif: Exif, raw_page_fixes: dict[int, int]) -> None:
    """Patch what tifffile cannot write, in place, in the temporary file.

    - tifffile neither writes nested IFDs nor accepts tag 34665, so it writes a placeholder
      entry with the next code (no tag sorts between them, so IFD order stays ascending); the
      EXIF IFD is packed here (TIFF 6.0 section 2) and appended, and the entry rewritten;
      the SubIFDs entry (preview layout) gets type LONG, as camera DNGs have it.
    - ``raw_page_fixes``: tag code -> SHORT value for the raw image's IFD: the
      PhotometricInterpretation of one-sample LinearRaw (tifffile insists on three samples)
      and the BitsPerSample of lossless-JPEG tiles (tifffile assumes 12)."""
    with tifffile.TiffFile(path, mode="r+b") as tif:
        page0 = tif.pages[0]
        entry_offset = page0.tags[_EXIF_PLACEHOLDER].offset
        subifds_entry = page0.tags[330].offset if 330 in page0.tags else None
        raw_page = page0.pages[0] if page0.subifds else page0
        for code, value in raw_page_fixes.items():
            raw_page.tags[code].overwrite(value)
    with open(path, "r+b") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        if end % 2:
            fh.write(b"\0")
            end += 1
        fh.write(_pack_ifd(_exif_entries(exif), end))
        fh.seek(entry_offset)
        fh.write(struct.pack("<HHII", EXIF_IFD_TAG, LONG, 1, end))
        if subifds_entry is not None:     # tifffile types SubIFDs as IFD (13); cameras and ExifTool use LONG
            fh.seek(subifds_entry + 2)
            fh.write(struct.pack("<H", LONG))


def _ljpeg_tiles(data: np.ndarray, tile: int, components: int, bits: int) -> Iterator[bytes]:
    """Lossless JPEG (SOF3, predictor 1) per tile, edge tiles padded by edge replication.
    Tiles are encoded on a thread pool (the codecs release the GIL), yielded in file order."""
    h, w = data.shape

    def encode(origin: tuple[int, int]) -> bytes:
        y, x = origin
        block = data[y:y + tile, x:x + tile]
        if block.shape != (tile, tile):
            block = np.pad(block, ((0, tile - block.shape[0]), (0, tile - block.shape[1])), mode="edge")
        block = np.ascontiguousarray(block)
        if components == 1:
            return imagecodecs.ljpeg_encode(block, bitspersample=bits)
        return imagecodecs.jpeg8_encode(block.reshape(tile, tile // components, components),
                                        lossless=True, predictor=1, bitspersample=bits)

    origins = [(y, x) for y in range(0, h, tile) for x in range(0, w, tile)]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        yield from pool.map(encode, origins)


def _classify(data: np.ndarray, cfa: str | None) -> str:
    if data.ndim == 3 and data.shape[2] == 3:
        return "rgb"
    if data.ndim != 2:
        raise ParameterError(f"DNG data must be (H, W) or (H, W, 3), got shape {data.shape}")
    if cfa is None:
        return "mono"
    if cfa.upper() not in CFA_PATTERNS:
        raise ParameterError(f"unknown Bayer pattern {cfa!r}; choose one of {', '.join(CFA_PATTERNS)}")
    return "bayer"


def write_dng(path: str | os.PathLike, data: np.ndarray, *,
              cfa: str | None = "RGGB",
              black_level: float | Sequence[float] = 0,
              white_level: int | None = None,
              bits: int = 14,
              color_matrix1=None, calibration_illuminant1: int = 17,
              color_matrix2=None, calibration_illuminant2: int = 21,
              forward_matrix1=None, forward_matrix2=None,
              camera_calibration1=None, camera_calibration2=None,
              analog_balance: Sequence[float] | None = None,
              as_shot_neutral: Sequence[float] | None = None,
              baseline_exposure: float = 0.0,
              noise_profile: tuple[float, float] | None = None,
              make: str = "lsquared", model: str = "Simulated camera",
              unique_camera_model: str | None = None,
              orientation: int = 1,
              exif: Exif | None = None,
              default_crop: tuple[int, int, int, int] | None = None,
              active_area: tuple[int, int, int, int] | None = None,
              compression: str = "ljpeg", tile: int = 256, ljpeg_components: int = 2,
              preview: np.ndarray | None = None,
              overwrite: bool = False) -> Path:
    """Write ``data`` as a DNG file at ``path`` atomically; return the path.

    data: uint16, (H, W) Bayer mosaic (``cfa`` its 2x2 pattern, top-left first, any phase) or
    monochrome sensor (``cfa=None``, stored as one-sample LinearRaw), or (H, W, 3) LinearRaw.
    black_level: one value, four (per 2x2 position in reading order) or three (per sample).
    white_level: saturation in counts (default 2**bits - 1); ``bits`` is the sensor depth and the
    lossless-JPEG precision.  color_matrix1/2 map XYZ to camera space under
    CalibrationIlluminant1/2 (EXIF LightSource codes: 17 = Standard light A, 21 = D65), the
    DNG spec's convention; as_shot_neutral is the camera RGB of the scene's white (G = 1).
    noise_profile: (S, O) of DNG 1.3's NoiseProfile, variance = S * x + O for x in [0, 1].
    default_crop: (x, y, width, height) of the picture inside the active area;
    active_area: (top, left, bottom, right) of the light-sensitive pixels.
    orientation: EXIF code 1..8.  compression: "none" or "ljpeg" (Bayer and mono only).
    preview: optional uint8 (h, w, 3) sRGB thumbnail stored in IFD0.
    """
    path = Path(path)
    data = np.asarray(data)
    layout = _classify(data, cfa)
    if data.dtype != np.uint16:
        if not np.issubdtype(data.dtype, np.integer) or data.min() < 0 or data.max() > 65535:
            raise ParameterError(f"DNG data must be uint16 sensor counts, got {data.dtype}")
        data = data.astype(np.uint16)
    if not 8 <= bits <= 16:
        raise ParameterError(f"bits must be 8..16, got {bits}")
    white = (1 << bits) - 1 if white_level is None else int(white_level)
    if not 0 < white < (1 << bits):
        raise ParameterError(f"white_level {white} does not fit in {bits} bits; raise bits or lower the white level")
    if int(data.max(initial=0)) > white:
        raise ParameterError(f"data exceeds the white level {white}")
    if orientation not in _ORIENTATIONS:
        raise ParameterError(f"orientation must be an EXIF code 1..8, got {orientation}")
    compression = compression.lower()
    if compression not in ("none", "ljpeg"):
        raise ParameterError(f"compression must be 'none' or 'ljpeg', got {compression!r}")
    if layout == "rgb" or data.shape[1] < 16:
        compression = "none"
    # LibRaw wraps a tile's rows at the image width, so a tile wider than the image would be
    # misread (lossless_dng_load_raw); keep tiles no wider than the image.
    tile = min(tile, data.shape[1] // 16 * 16)
    if compression == "ljpeg" and (tile % 16 or ljpeg_components not in (1, 2)):
        raise ParameterError("tile must be a multiple of 16 and ljpeg_components 1 or 2")
    h, w = data.shape[:2]
    if active_area is not None:
        top, left, bottom, right = (int(v) for v in active_area)
        if not (0 <= top < bottom <= h and 0 <= left < right <= w):
            raise ParameterError(f"active_area {tuple(active_area)} is not inside the {w}x{h} image")
        h, w = bottom - top, right - left
    if default_crop is not None:
        x, y, cw, ch = (int(v) for v in default_crop)
        if not (0 <= x and 0 <= y and cw > 0 and ch > 0 and x + cw <= w and y + ch <= h):
            raise ParameterError(f"default_crop {tuple(default_crop)} is not inside the {w}x{h} active area")
    if path.exists() and not overwrite:
        raise OutputError("exists; pass overwrite=True to replace it", path=path)
    if not path.parent.is_dir():
        raise OutputError("the folder does not exist", path=path.parent)
    exif = exif if exif is not None else Exif()

    # Camera-wide tags (IFD0)
    backward = (1, 2, 0, 0) if forward_matrix1 is not None or forward_matrix2 is not None else (1, 1, 0, 0)
    main: list[tuple] = [
        (271, ASCII, 0, make, True),
        (272, ASCII, 0, model, True),
        (274, SHORT, 1, int(orientation), True),
        (50706, BYTE, 4, (1, 4, 0, 0), True),                      # DNGVersion 1.4
        (50707, BYTE, 4, backward, True),                          # DNGBackwardVersion
        (50708, ASCII, 0, unique_camera_model or f"{make} {model}", True),
        (50730, SRATIONAL, 1, _rationals([baseline_exposure], 10_000), True),
        (_EXIF_PLACEHOLDER, LONG, 1, 0, True),                     # ExifIFD, patched after writing
    ]
    if layout != "mono":
        for code, matrix, name in ((50721, color_matrix1, "color_matrix1"), (50722, color_matrix2, "color_matrix2"),
                                   (50723, camera_calibration1, "camera_calibration1"),
                                   (50724, camera_calibration2, "camera_calibration2"),
                                   (50964, forward_matrix1, "forward_matrix1"),
                                   (50965, forward_matrix2, "forward_matrix2")):
            if matrix is not None:
                main.append(_matrix_tag(code, matrix, name))
        if color_matrix1 is not None:
            main.append((50778, SHORT, 1, int(calibration_illuminant1), True))
        if color_matrix2 is not None:
            main.append((50779, SHORT, 1, int(calibration_illuminant2), True))
        if analog_balance is not None:
            main.append((50727, RATIONAL, 3, _rationals(analog_balance), True))
        if as_shot_neutral is not None:
            neutral = np.asarray(as_shot_neutral, dtype=np.float64)
            if neutral.shape != (3,) or np.any(neutral <= 0):
                raise ParameterError("as_shot_neutral must be three positive values")
            main.append((50728, RATIONAL, 3, _rationals(neutral), True))
    if exif.software:
        main.append((305, ASCII, 0, exif.software, True))
    if exif.artist:
        main.append((315, ASCII, 0, exif.artist, True))
    if exif.copyright:
        main.append((33432, ASCII, 0, exif.copyright, True))

    # Raw-image tags
    raw_tags: list[tuple] = _black_tags(black_level, layout)
    raw_tags.append((50717, LONG, 1, white, True))
    if layout == "bayer":
        cmap = cfa_channel_map(cfa)
        raw_tags += [(33421, SHORT, 2, (2, 2), True),
                     (33422, BYTE, 4, tuple(int(c) for c in cmap.ravel()), True),
                     (50710, BYTE, 3, (0, 1, 2), True),             # CFAPlaneColor: R, G, B
                     (50711, SHORT, 1, 1, True)]                    # CFALayout: rectangular
    if noise_profile is not None:
        raw_tags.append((51041, DOUBLE, 2, tuple(float(v) for v in noise_profile), True))
    if active_area is not None:
        raw_tags.append((50829, LONG, 4, tuple(int(v) for v in active_area), True))
    if default_crop is not None:
        x, y, w, h = (int(v) for v in default_crop)
        raw_tags += [(50719, LONG, 2, (x, y), True), (50720, LONG, 2, (w, h), True)]

    photometric = {"bayer": PHOTOMETRIC_CFA, "rgb": PHOTOMETRIC_LINEAR_RAW, "mono": "minisblack"}[layout]
    fixes = {262: PHOTOMETRIC_LINEAR_RAW} if layout == "mono" else {}
    if compression == "ljpeg":
        image = _ljpeg_tiles(data, tile, ljpeg_components, bits)
        image_args = dict(shape=data.shape, dtype=np.uint16, tile=(tile, tile), compression=7)
        fixes[258] = bits
    else:
        image = data
        image_args = dict(rowsperstrip=max(1, (1 << 20) // (data.strides[0])))

    def write(tmp: Path) -> None:
        with tifffile.TiffWriter(tmp, byteorder="<", bigtiff=False) as tw:
            common = dict(metadata=None, software=False, resolution=None)
            if preview is not None:
                tw.write(preview, photometric="rgb", subfiletype=1, subifds=1, extratags=main, **common)
                tw.write(image, photometric=photometric, subfiletype=0, extratags=raw_tags,
                         **image_args, **common)
            else:
                tw.write(image, photometric=photometric, subfiletype=0, extratags=main + raw_tags,
                         **image_args, **common)
        _finish(tmp, exif, fixes)

    if preview is not None:
        preview = np.ascontiguousarray(preview, dtype=np.uint8)
        if preview.ndim != 3 or preview.shape[2] != 3:
            raise ParameterError("preview must be uint8 (h, w, 3)")
    atomic_write(path, write, overwrite=overwrite)
    return path
