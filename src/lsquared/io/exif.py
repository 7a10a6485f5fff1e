"""EXIF bytes from an ``Exif`` record and back, through Pillow's ``Image.Exif``.

What we write (EXIF 2.32, CIPA DC-008-2019): IFD0 Make, Model, Orientation = 1 (our pixels are
already rotated), Software "lsquared <version>", DateTime, Artist, Copyright; the EXIF IFD with
ExposureTime, FNumber, PhotographicSensitivity (ISO), ExifVersion, DateTimeOriginal, FocalLength,
ColorSpace, PixelX/YDimension, BodySerialNumber, LensMake, LensModel.

- DateTime ("file changed") is set to the capture time, not the clock, so that developing the
  same recipe twice gives the same bytes.
- ColorSpace is 1 only for sRGB; other spaces are "uncalibrated" (0xFFFF) as EXIF 2.32
  4.6.5 asks, so that readers that ignore ICC profiles do not assume sRGB.
- ISO above 65535 does not fit the SHORT tag: it is written as 65535 plus
  RecommendedExposureIndex (a LONG, as Pillow infers for values above 65535) with
  SensitivityType 2 (EXIF 2.32 4.6.5, Annex G).
- Text is written as UTF-8 bytes in the ASCII tags (what cameras and exiftool do in practice);
  reading accepts UTF-8 and falls back to Latin-1.
"""

from __future__ import annotations

import math
import struct
import warnings
from fractions import Fraction

from PIL import ExifTags, Image, TiffImagePlugin

from ..frame import Exif

EXIF_IFD = int(ExifTags.IFD.Exif)          # 0x8769
_IFD0_TEXT = {"make": 271, "model": 272, "artist": 315, "copyright": 33432, "software": 305}
_EXIF_TEXT = {"datetime_original": 36867, "serial_number": 42033,
              "lens_make": 42035, "lens_model": 42036}
_EXIF_RATIONAL = {"exposure_time": 33434, "f_number": 33437, "focal_length": 37386}
_ISO, _SENSITIVITY_TYPE, _REI = 34855, 34864, 34866
_ORIENTATION, _DATETIME = 274, 306
_EXIF_VERSION, _COLOR_SPACE, _PIXEL_X, _PIXEL_Y = 36864, 40961, 40962, 40963


_ASCII, _SHORT, _LONG, _RATIONAL, _UNDEFINED = 2, 3, 4, 5, 7
_TIFF_HEAD = b"II*\0\x08\0\0\0"        # little-endian TIFF header, first IFD at byte 8


def _rational(value: float) -> TiffImagePlugin.IFDRational:
    """The simplest fraction within 1 ppm, so 1/250 s stays 1/250 and f/2.8 stays 14/5."""
    f = Fraction(value).limit_denominator(1_000_000)
    return TiffImagePlugin.IFDRational(f.numerator, f.denominator)


def software_name() -> str:
    from .. import __version__

    return f"lsquared {__version__}"


Entries = dict[int, tuple[int, object]]     # tag -> (TIFF type, value)


def exif_entries(exif: Exif | None, *, space: str = "srgb", size: tuple[int, int] | None = None,
                 software: str | None = None, orientation: bool = True) -> tuple[Entries, Entries]:
    """(IFD0, EXIF IFD) entries for an output picture of ``size`` = (width, height);
    ``orientation=False`` leaves Orientation out (HEIF/AVIF say it with irot/imir boxes)."""
    exif = exif or Exif()
    ifd0: Entries = {_ORIENTATION: (_SHORT, 1)} if orientation else {}
    sub: Entries = {_EXIF_VERSION: (_UNDEFINED, b"0232"),
                    _COLOR_SPACE: (_SHORT, 1 if space == "srgb" else 0xFFFF)}
    texts = {**{k: getattr(exif, k) for k in _IFD0_TEXT}, "software": software or software_name()}
    for name, tag in _IFD0_TEXT.items():
        if texts[name]:
            ifd0[tag] = (_ASCII, texts[name].encode("utf-8"))
    if exif.datetime_original:
        ifd0[_DATETIME] = (_ASCII, exif.datetime_original.encode("utf-8"))
    for name, tag in _EXIF_TEXT.items():
        if getattr(exif, name):
            sub[tag] = (_ASCII, getattr(exif, name).encode("utf-8"))
    for name, tag in _EXIF_RATIONAL.items():
        value = getattr(exif, name)
        if value is not None and math.isfinite(value) and value > 0:
            sub[tag] = (_RATIONAL, _rational(value))
    if exif.iso is not None and math.isfinite(exif.iso) and exif.iso > 0:
        iso = int(round(exif.iso))
        sub[_ISO] = (_SHORT, min(iso, 65535))
        if iso > 65535:
            sub[_SENSITIVITY_TYPE] = (_SHORT, 2)
            sub[_REI] = (_LONG, iso)
    if size is not None:
        sub[_PIXEL_X], sub[_PIXEL_Y] = (_LONG, int(size[0])), (_LONG, int(size[1]))
    return ifd0, sub


def pack_ifd(entries: Entries, offset: int) -> bytes:
    """One little-endian IFD with its values, to be placed at byte ``offset`` of a TIFF
    structure (value offsets are counted from the structure's start, TIFF 6.0 section 2)."""
    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=_TIFF_HEAD)
    for tag, (typ, value) in entries.items():
        ifd.tagtype[tag] = typ
        ifd[tag] = value
    return ifd.tobytes(offset)


def exif_bytes(exif: Exif | None, *, space: str = "srgb", size: tuple[int, int] | None = None,
               software: str | None = None, orientation: bool = True) -> bytes:
    """EXIF as a JPEG APP1 payload: b"Exif\\0\\0", a TIFF header, IFD0, then the EXIF IFD."""
    ifd0, sub = exif_entries(exif, space=space, size=size, software=software,
                             orientation=orientation)
    ifd0[EXIF_IFD] = (_LONG, 0)
    first = pack_ifd(ifd0, 8)                      # the pointer is inline: length is final
    sub_offset = 8 + len(first) + len(first) % 2
    ifd0[EXIF_IFD] = (_LONG, sub_offset)
    first = pack_ifd(ifd0, 8)
    return b"Exif\0\0" + _TIFF_HEAD + first.ljust(sub_offset - 8, b"\0") + pack_ifd(sub, sub_offset)


def exif_ifd_bytes(exif: Exif | None, offset: int, *, space: str = "srgb",
                   size: tuple[int, int] | None = None) -> bytes:
    """The EXIF IFD alone, for a TIFF file where it will start at byte ``offset``."""
    return pack_ifd(exif_entries(exif, space=space, size=size)[1], offset)


# tifffile refuses to write tag 34665 (it filters the tags that point at IFDs), so a TIFF is
# written with this placeholder entry, which ``attach_tiff_exif`` renames once the EXIF IFD is
# appended; no tag code lies between the two, so the IFD stays in ascending order.
_PLACEHOLDER_TAG = EXIF_IFD + 1
TIFF_EXIF_PLACEHOLDER = (_PLACEHOLDER_TAG, _LONG, 1, 0, True)   # a tifffile ``extratags`` entry


def attach_tiff_exif(path, exif: Exif | None, *, space: str = "srgb",
                     size: tuple[int, int] | None = None) -> None:
    """Append the EXIF IFD to a little-endian classic TIFF written by tifffile with
    ``TIFF_EXIF_PLACEHOLDER`` among its extratags, and point the first IFD's entry at it."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        entry = tif.pages.first.tags[_PLACEHOLDER_TAG].offset
    with open(path, "r+b") as fh:
        end = fh.seek(0, 2)
        end += end % 2                                   # IFDs start on a word boundary
        fh.seek(end)
        fh.write(exif_ifd_bytes(exif, end, space=space, size=size))
        fh.seek(entry)
        fh.write(struct.pack("<HHII", EXIF_IFD, _LONG, 1, end))


# --- parsing ---------------------------------------------------------------------------------

def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("latin-1", "replace")
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value).split(b"\0", 1)[0]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        return text.strip() or None
    return str(value).strip() or None


def _as_float(value) -> float | None:
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def parse_exif(source: bytes | Image.Exif | None) -> Exif:
    """An ``Exif`` record from EXIF bytes (with or without the b"Exif\\0\\0" prefix) or a
    Pillow ``Image.Exif``; missing or unreadable fields are None (Pillow's warnings about
    corrupt EXIF are silenced: a damaged EXIF block must not stop a develop)."""
    if source is None:
        return Exif()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if isinstance(source, Image.Exif):
                data = source
            else:
                data = Image.Exif()
                data.load(bytes(source))
            ifd0 = dict(data)
            sub = data.get_ifd(EXIF_IFD)
        except (SyntaxError, ValueError, OSError, IndexError, KeyError, TypeError, struct.error):
            return Exif()
    fields: dict[str, object] = {}
    for name, tag in _IFD0_TEXT.items():
        fields[name] = _as_text(ifd0.get(tag))
    for name, tag in _EXIF_TEXT.items():
        fields[name] = _as_text(sub.get(tag))
    for name, tag in _EXIF_RATIONAL.items():
        fields[name] = _as_float(sub.get(tag))
    iso = _as_float(sub.get(_ISO))
    if iso is not None and iso >= 65535 and _as_float(sub.get(_REI)):
        iso = _as_float(sub.get(_REI))
    fields["iso"] = iso
    return Exif(**fields)


def exif_orientation(source: Image.Exif | None) -> int:
    """EXIF Orientation 1..8 (1 where absent or out of range)."""
    if source is None:
        return 1
    value = source.get(_ORIENTATION, 1)
    if isinstance(value, (tuple, list)):
        value = value[0] if value else 1
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1
