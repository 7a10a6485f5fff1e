"""The DNG tags lsquared needs, read with tifffile (rawpy/LibRaw does not expose them).

Adobe, "Digital Negative (DNG) Specification" 1.6.0.0 (2020), chapter 4 ("Tags"):

- IFD0 holds the camera and colour-profile tags (ColorMatrix, AsShotNeutral, ...), the
  raw image may be IFD0 itself or a SubIFD whose NewSubFileType is 0 (the usual layout of
  camera and Adobe DNGs: IFD0 is a preview).  Raw-image tags (ActiveArea, DefaultCrop*,
  BlackLevel*, WhiteLevel, LinearizationTable, CFA*) are looked up in the raw IFD first,
  then in IFD0; profile tags in IFD0 first, then in the raw IFD.
- RATIONAL (5) and SRATIONAL (10) values are pairs of 32-bit integers, unsigned and
  signed; tifffile gives them flattened as (num, den, num, den, ...).
- ActiveArea is (top, left, bottom, right); the CFA pattern, the BlackLevel repeat pattern
  and DefaultCropOrigin are all relative to the ActiveArea's top-left corner.

``read_dng_tags(path)`` returns ``DngTags`` for a DNG, ``None`` for any other file
(including other TIFF-based raws: CR2, NEF, ARW, Panasonic RW2 with magic 0x55, ORF ...).
"""

from __future__ import annotations

import contextlib
import logging
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from ..errors import InputError
from .dngopcodes import parse_opcode_list
from .raw_checks import check_data_extent, check_dng, check_layout

PHOTOMETRIC_CFA = 32803
PHOTOMETRIC_LINEAR_RAW = 34892
COMPRESSION_NAMES = {1: "uncompressed", 7: "lossless JPEG", 8: "deflate", 9: "VC-5 (GoPro)",
                     34892: "lossy JPEG", 52546: "JPEG XL"}

_TIFF_MAGIC = {b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TileLayout:
    """Where the raw samples lie in the file: tiles, or strips seen as full-width tiles."""

    width: int
    height: int
    tile_width: int
    tile_height: int
    offsets: np.ndarray            # int64, one per tile (row-major) or strip
    byte_counts: np.ndarray        # int64
    samples_per_pixel: int
    bits_per_sample: int
    compression: int
    predictor: int = 1             # the TIFF Predictor tag (not the lossless-JPEG predictor)
    planar_config: int = 1
    sample_format: int = 1
    tiled: bool = True

    @property
    def tiles_across(self) -> int:
        return -(-self.width // self.tile_width)

    @property
    def tiles_down(self) -> int:
        return -(-self.height // self.tile_height)

    @property
    def data_end(self) -> int:
        """One past the last byte of raw data the layout refers to."""
        if len(self.offsets) == 0:
            return 0
        return int((self.offsets + self.byte_counts).max())


@dataclass(frozen=True, slots=True, kw_only=True)
class DngTags:
    """The tags of one DNG that decoding and colour need, as plain numbers."""

    path: str
    file_size: int
    dng_version: tuple[int, int, int, int]
    make: str | None = None
    model: str | None = None
    unique_camera_model: str | None = None
    software: str | None = None
    artist: str | None = None
    copyright: str | None = None
    camera_serial: str | None = None
    orientation: int = 1
    exif: dict[str, Any] = field(default_factory=dict)   # the EXIF IFD (tifffile names), TIFF/EP tags merged in
    photometric: int = PHOTOMETRIC_CFA
    raw_ifd: str = "IFD0"                                  # "IFD0" or "SubIFD n" (for ``info``)
    layout: TileLayout
    cfa_repeat: tuple[int, int] | None = None              # CFARepeatPatternDim (rows, cols)
    cfa_pattern: tuple[int, ...] | None = None             # CFAPattern codes (0 R, 1 G, 2 B, 3 C, 4 M, 5 Y, 6 W)
    cfa_plane_color: tuple[int, ...] = (0, 1, 2)
    cfa_layout: int = 1                                     # 1 rectangular; 2..9 staggered (DNG 1.6 p. 20)
    active_area: tuple[int, int, int, int]                 # top, left, bottom, right
    default_crop_origin: tuple[float, float] = (0.0, 0.0)  # x, y relative to the active area
    default_crop_size: tuple[float, float] | None = None   # width, height
    black_repeat: tuple[int, int] = (1, 1)
    black_level: np.ndarray                                 # (rows, cols, samples) float64
    black_delta_h: np.ndarray | None = None                 # per active-area column
    black_delta_v: np.ndarray | None = None                 # per active-area row
    white_level: tuple[float, ...] = ()
    linearization_table: np.ndarray | None = None
    color_matrix: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    forward_matrix: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    camera_calibration: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    calibration_illuminant: tuple[int | None, int | None] = (None, None)
    analog_balance: np.ndarray | None = None
    as_shot_neutral: np.ndarray | None = None
    as_shot_white_xy: tuple[float, float] | None = None
    baseline_exposure: float = 0.0
    baseline_exposure_offset: float = 0.0
    lens_info: tuple[float, ...] | None = None              # min/max focal length, f-number at each
    profile_name: str | None = None
    opcode_lists: dict[str, bytes] = field(default_factory=dict)   # "OpcodeList2" -> the tag's bytes
    notes: tuple[str, ...] = ()                              # problems met while reading (bad matrices ...)

    @property
    def opcodes(self) -> dict[str, tuple[str, ...]]:
        """Names of the opcodes in each OpcodeList tag."""
        return {name: tuple(op.name for op in parse_opcode_list(data)) for name, data in self.opcode_lists.items()}

    @property
    def color_planes(self) -> int:
        if self.photometric == PHOTOMETRIC_CFA:
            return len(set(self.cfa_pattern or (0, 1, 2)))
        return self.layout.samples_per_pixel


@contextlib.contextmanager
def quiet_logging(*names: str):
    """Silence library loggers (tifffile: 'RAW format 0x0055 not supported', exifread: 'Possibly
    corrupted field'): the problems they see are ours to report, in one line."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def is_tiff_header(head: bytes) -> bool:
    return head[:4] in _TIFF_MAGIC


def read_dng_tags(path: str | Path) -> DngTags | None:
    """The DNG tags of ``path``, or None when it is not a DNG.  InputError when the DNG is damaged."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if not is_tiff_header(head):
        return None
    try:
        with quiet_logging("tifffile"), tifffile.TiffFile(path) as tf:
            ifd0 = tf.pages.first
            if 50706 not in ifd0.tags:
                return None
            return check_dng(_parse(path, tf, ifd0))
    except InputError:
        raise
    except (tifffile.TiffFileError, ValueError, struct.error, OSError, IndexError, KeyError, TypeError) as exc:
        raise InputError(f"damaged DNG structure ({exc})", path=path,
                         hint="the file is truncated or corrupt") from None


# ----------------------------------------------------------------------------- value helpers


def _get(pages, code: int):
    for page in pages:
        tag = page.tags.get(code)
        if tag is not None:
            return tag
    return None


def _numbers(tag) -> np.ndarray | None:
    """A tag's values as float64; rationals divided, 0/0 as NaN."""
    if tag is None:
        return None
    value = tag.value
    if int(tag.dtype) in (5, 10):        # RATIONAL, SRATIONAL
        pairs = np.asarray(value, dtype=np.float64).reshape(-1, 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(pairs[:, 1] != 0, pairs[:, 0] / np.where(pairs[:, 1] == 0, 1, pairs[:, 1]), np.nan)
    if isinstance(value, (bytes, bytearray)):
        return np.frombuffer(value, dtype=np.uint8).astype(np.float64)
    return np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()


def _text(tag) -> str | None:
    if tag is None:
        return None
    value = tag.value
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    value = str(value).strip("\x00 ").strip()
    return value or None


def _matrix(tag, rows: int, cols: int, name: str, notes: list[str]) -> np.ndarray | None:
    values = _numbers(tag)
    if values is None:
        return None
    if values.size != rows * cols:
        notes.append(f"{name} has {values.size} values, expected {rows}x{cols}: ignored")
        return None
    m = values.reshape(rows, cols)
    if not np.isfinite(m).all() or not np.any(m):
        notes.append(f"{name} is all zero or undefined: ignored")
        return None
    return m


# ----------------------------------------------------------------------------- parsing


def _raw_ifd(ifd0):
    """The raw image IFD: IFD0 itself, or the first SubIFD with NewSubFileType 0."""
    def is_raw(page) -> bool:
        subfile = page.tags.get(254)
        photometric = page.tags.get(262)
        return ((subfile is None or int(subfile.value) == 0) and photometric is not None
                and int(photometric.value) in (PHOTOMETRIC_CFA, PHOTOMETRIC_LINEAR_RAW))

    if is_raw(ifd0):
        return ifd0, "IFD0"
    if ifd0.subifds:
        for i, page in enumerate(ifd0.pages):
            if page is not None and is_raw(page):
                return page, f"SubIFD {i}"
    return None, ""


def _layout(raw, path: Path) -> TileLayout:
    tags = raw.tags
    width, height = int(tags[256].value), int(tags[257].value)
    spp = int(tags[277].value) if 277 in tags else 1
    bits = _numbers(tags.get(258))
    tiled = 322 in tags
    if tiled:
        tile_w, tile_h = int(tags[322].value), int(tags[323].value)
        offsets, counts = tags.get(324), tags.get(325)
    else:
        rows = int(tags[278].value) if 278 in tags else height
        tile_w, tile_h = width, min(rows, height) if rows > 0 else height
        offsets, counts = tags.get(273), tags.get(279)
    if offsets is None or counts is None:
        raise InputError("the raw image has no strip or tile offsets", path=path)
    return TileLayout(
        width=width, height=height, tile_width=tile_w, tile_height=tile_h,
        offsets=np.atleast_1d(np.asarray(offsets.value, dtype=np.int64)),
        byte_counts=np.atleast_1d(np.asarray(counts.value, dtype=np.int64)),
        samples_per_pixel=spp,
        bits_per_sample=int(bits.max()) if bits is not None else 1,
        compression=int(tags[259].value) if 259 in tags else 1,
        predictor=int(tags[317].value) if 317 in tags else 1,
        planar_config=int(tags[284].value) if 284 in tags else 1,
        sample_format=int(np.atleast_1d(tags[339].value)[0]) if 339 in tags else 1,
        tiled=tiled,
    )


def _exif(ifd0, raw) -> dict[str, Any]:
    exif: dict[str, Any] = {}
    # TIFF/EP (and so DNG) may carry the shooting data in IFD0 itself
    for code, name in ((33434, "ExposureTime"), (33437, "FNumber"), (34855, "ISOSpeedRatings"),
                       (37386, "FocalLength"), (36867, "DateTimeOriginal")):
        tag = _get((ifd0, raw), code)
        if tag is not None:
            exif[name] = tag.value
    tag = ifd0.tags.get(34665)
    if tag is not None and isinstance(tag.value, dict):
        exif.update(tag.value)
    return exif


def _check_extent(path: Path, layout: TileLayout, file_size: int) -> None:
    expected = layout.tiles_across * layout.tiles_down
    if layout.planar_config == 2:
        expected *= layout.samples_per_pixel
    if len(layout.offsets) < expected or len(layout.byte_counts) < expected:
        raise InputError(f"the raw image lists {len(layout.offsets)} tiles or strips where {expected} are needed",
                         path=path, hint="the file is corrupt")
    if len(layout.offsets):
        check_data_extent(path, int(layout.offsets.min()), layout.data_end, file_size)


# A WhiteLevel this many times below what the LinearizationTable makes of the stored samples
# cannot be a level of the linearised data (it would clip most of the table's range): it was
# written in stored units.  Real tables end near WhiteLevel (a few % above at most).
_STORED_UNITS_FACTOR = 2.0


def _levels_after_linearization(table: np.ndarray, bits: int, black_level: np.ndarray,
                                white_level: tuple[float, ...], white_given: bool, notes: list[str],
                                deltas: tuple[np.ndarray | None, np.ndarray | None] = (None, None)):
    """Black and white levels (and BlackLevelDeltaH/V) that describe the data after the
    LinearizationTable (DNG 1.6 p. 33: BlackLevel and WhiteLevel apply to linearised values,
    and LibRaw and lsquared both hand back linearised samples).  Writers get this wrong two
    ways, both mapped through the table:

    - no WhiteLevel: the specification's default, 2**BitsPerSample - 1, counts stored samples
      (255 for 8 bits) while the table maps them up to 16 bits; the table's top over the
      codes the stored bits can hold is the data's white;
    - a WhiteLevel (and BlackLevel) in stored units (at most 2**bits - 1) far below the table's
      top: the levels are mapped through the table (linearly between entries), and so are the
      deltas, as offsets from the mean black: T(b + d) - T(b), the linearised black of a row
      or column whose stored black is b + d."""
    codes = table[:min(table.size, 1 << bits)].astype(np.float64)
    top = float(codes.max())
    index = np.arange(codes.size, dtype=np.float64)
    stored_max = float((1 << bits) - 1)
    if not white_given:
        if top != stored_max:
            notes.append(f"no WhiteLevel with a LinearizationTable: white is the table's top, {top:g} "
                         f"(not {stored_max:g}, the stored samples' range)")
        return black_level, (top,) * len(white_level), deltas
    if max(white_level) <= stored_max and top > _STORED_UNITS_FACTOR * max(white_level):
        mapped = tuple(float(np.interp(w, index, codes)) for w in white_level)
        notes.append(f"WhiteLevel {max(white_level):g} is in stored units (the LinearizationTable maps the "
                     f"samples up to {top:g}): black and white levels mapped through the table, white {max(mapped):g}")
        base = float(np.mean(black_level))
        at_base = float(np.interp(base, index, codes))
        deltas = tuple(None if d is None else np.interp(base + d, index, codes) - at_base for d in deltas)
        return np.interp(black_level, index, codes), mapped, deltas
    return black_level, white_level, deltas


def _parse(path: Path, tf: tifffile.TiffFile, ifd0) -> DngTags:
    notes: list[str] = []
    raw, raw_name = _raw_ifd(ifd0)
    if raw is None:
        raise InputError("a DNG without a raw image (no CFA or LinearRaw IFD)", path=path)
    file_size = int(tf.filehandle.size)
    layout = _layout(raw, path)
    check_layout(path, layout)
    _check_extent(path, layout, file_size)
    raw_first, profile_first = (raw, ifd0), (ifd0, raw)

    version = tuple(int(v) for v in bytes(ifd0.tags[50706].value)[:4])
    photometric = int(raw.tags[262].value)
    spp = layout.samples_per_pixel

    cfa_repeat = cfa_pattern = None
    if photometric == PHOTOMETRIC_CFA:
        dim = _numbers(_get(raw_first, 33421))
        cfa_repeat = (int(dim[0]), int(dim[1])) if dim is not None and dim.size == 2 else (2, 2)
        codes = _numbers(_get(raw_first, 33422))
        cfa_pattern = tuple(int(c) for c in codes) if codes is not None else None
    plane_color = _numbers(_get(raw_first, 50710))
    cfa_layout = _numbers(_get(raw_first, 50711))

    area = _numbers(_get(raw_first, 50829))
    if area is not None and area.size == 4 and area[2] > area[0] and area[3] > area[1]:
        active = tuple(int(v) for v in area)
        active = (max(active[0], 0), max(active[1], 0), min(active[2], layout.height), min(active[3], layout.width))
    else:
        active = (0, 0, layout.height, layout.width)

    crop_origin = _numbers(_get(raw_first, 50719))
    crop_size = _numbers(_get(raw_first, 50720))

    repeat = _numbers(_get(raw_first, 50713))
    black_repeat = (int(repeat[0]), int(repeat[1])) if repeat is not None and repeat.size == 2 else (1, 1)
    black = _numbers(_get(raw_first, 50714))
    n_black = black_repeat[0] * black_repeat[1] * spp
    if black is None:
        black_level = np.zeros((1, 1, spp))
        black_repeat = (1, 1)
    elif black.size == n_black:
        black_level = black.reshape(black_repeat[0], black_repeat[1], spp)
    elif black.size == 1:
        black_level = np.full((1, 1, spp), black[0])
        black_repeat = (1, 1)
    else:
        notes.append(f"BlackLevel has {black.size} values for a {black_repeat} pattern of {spp} samples: "
                     "their mean is used")
        black_level = np.full((1, 1, spp), float(np.nanmean(black)))
        black_repeat = (1, 1)
    black_level = np.nan_to_num(black_level)

    white = _numbers(_get(raw_first, 50717))
    if white is None or white.size == 0:
        white_level = (float(2 ** layout.bits_per_sample - 1),) * spp
    else:
        white_level = tuple(float(white[min(i, white.size - 1)]) for i in range(spp))

    def delta(code: int, length: int, name: str) -> np.ndarray | None:
        values = _numbers(_get(raw_first, code))
        if values is None:
            return None
        if values.size != length:
            notes.append(f"{name} has {values.size} values for {length} active-area lines: ignored")
            return None
        return np.nan_to_num(values)

    black_delta_h = delta(50715, active[3] - active[1], "BlackLevelDeltaH")
    black_delta_v = delta(50716, active[2] - active[0], "BlackLevelDeltaV")

    lin = _get(raw_first, 50712)
    linearization = np.asarray(lin.value, dtype=np.uint16).ravel() if lin is not None else None
    if linearization is not None and linearization.size:
        black_level, white_level, (black_delta_h, black_delta_v) = _levels_after_linearization(
            linearization, layout.bits_per_sample, black_level, white_level, white is not None, notes,
            (black_delta_h, black_delta_v))

    planes = len(set(cfa_pattern)) if cfa_pattern else spp
    cm = tuple(_matrix(_get(profile_first, c), planes, 3, n, notes) for c, n in ((50721, "ColorMatrix1"),
                                                                              (50722, "ColorMatrix2")))
    fm = tuple(_matrix(_get(profile_first, c), 3, planes, n, notes) for c, n in ((50964, "ForwardMatrix1"),
                                                                             (50965, "ForwardMatrix2")))
    cc = tuple(_matrix(_get(profile_first, c), planes, planes, n, notes)
               for c, n in ((50723, "CameraCalibration1"), (50724, "CameraCalibration2")))

    def illuminant(code: int) -> int | None:
        values = _numbers(_get(profile_first, code))
        return int(values[0]) if values is not None and values.size else None

    # DNG 1.6: CalibrationIlluminant1 defaults to 0 (unknown) when a ColorMatrix1 is present
    ill1 = illuminant(50778)
    if ill1 is None and cm[0] is not None:
        ill1 = 0
    ill2 = illuminant(50779) if cm[1] is not None else None

    ab = _numbers(_get(profile_first, 50727))
    if ab is not None and (ab.size != planes or not np.all(np.isfinite(ab)) or np.any(ab <= 0)):
        notes.append("AnalogBalance is malformed: ignored")
        ab = None
    neutral = _numbers(_get(profile_first, 50728))
    if neutral is not None and (neutral.size != planes or not np.all(np.isfinite(neutral)) or np.any(neutral <= 0)):
        notes.append(f"AsShotNeutral {neutral.tolist()} is malformed: ignored")
        neutral = None
    white_xy = _numbers(_get(profile_first, 50729))
    as_shot_xy = (float(white_xy[0]), float(white_xy[1])) if white_xy is not None and white_xy.size == 2 \
        and np.all(np.isfinite(white_xy)) and 0 < white_xy[1] < 1 else None

    def scalar(code: int) -> float:
        values = _numbers(_get(profile_first, code))
        return float(values[0]) if values is not None and values.size and math.isfinite(values[0]) else 0.0

    lens_info = _numbers(_get(profile_first, 50736))
    opcode_lists = {}
    for code, name in ((51008, "OpcodeList1"), (51009, "OpcodeList2"), (51022, "OpcodeList3")):
        tag = _get(raw_first, code)
        if tag is not None:
            opcode_lists[name] = bytes(tag.value)

    orientation = ifd0.tags.get(274)
    orientation_value = int(orientation.value) if orientation is not None else 1

    return DngTags(
        path=str(path), file_size=file_size, dng_version=version + (0,) * (4 - len(version)),
        make=_text(ifd0.tags.get(271)), model=_text(ifd0.tags.get(272)),
        unique_camera_model=_text(ifd0.tags.get(50708)), software=_text(ifd0.tags.get(305)),
        artist=_text(ifd0.tags.get(315)), copyright=_text(ifd0.tags.get(33432)),
        camera_serial=_text(_get(profile_first, 50735)),
        orientation=orientation_value if 1 <= orientation_value <= 8 else 1,
        exif=_exif(ifd0, raw), photometric=photometric, raw_ifd=raw_name, layout=layout,
        cfa_repeat=cfa_repeat, cfa_pattern=cfa_pattern,
        cfa_plane_color=tuple(int(v) for v in plane_color) if plane_color is not None else (0, 1, 2),
        cfa_layout=int(cfa_layout[0]) if cfa_layout is not None and cfa_layout.size else 1,
        active_area=active,
        default_crop_origin=(float(crop_origin[0]), float(crop_origin[1]))
        if crop_origin is not None and crop_origin.size == 2 and np.all(np.isfinite(crop_origin)) else (0.0, 0.0),
        default_crop_size=(float(crop_size[0]), float(crop_size[1]))
        if crop_size is not None and crop_size.size == 2 and np.all(np.isfinite(crop_size)) else None,
        black_repeat=black_repeat, black_level=black_level,
        black_delta_h=black_delta_h, black_delta_v=black_delta_v,
        white_level=white_level, linearization_table=linearization,
        color_matrix=cm, forward_matrix=fm, camera_calibration=cc,
        calibration_illuminant=(ill1, ill2),
        analog_balance=ab, as_shot_neutral=neutral, as_shot_white_xy=as_shot_xy,
        baseline_exposure=scalar(50730), baseline_exposure_offset=scalar(51109),
        lens_info=tuple(float(v) for v in lens_info) if lens_info is not None else None,
        profile_name=_text(_get(profile_first, 50936)),
        opcode_lists=opcode_lists, notes=tuple(notes),
    )
