"""Camera RAW file -> Frame: sensor counts as float32 plus everything needed to develop them.

One rawpy (LibRaw) call per file, then only arrays and metadata; nothing else in lsquared
imports rawpy.  DNG files are described by their own tags (io.dngtags: LibRaw does not
expose the colour matrices), and when their mosaic is stored as lossless-JPEG tiles it is
decoded here in parallel (io.ljpeg) instead of by LibRaw, bit for bit the same.

What ``open_raw`` returns (see docs/formats.md):
- ``data``: float32, (H, W) for a Bayer mosaic or a monochrome sensor, (H, W, 3) for
  LinearRaw and for the fallback; the visible area (DNG: ActiveArea, then DefaultCrop).
- ``meta.black``: per 2x2 position of the returned array (top-left first, reading order),
  or per channel (R, G, B, G) for three-channel data.
- ``meta.encoding`` is RAW: black not subtracted, any LinearizationTable already applied.
- ``meta.orientation``: EXIF 1..8, not applied to the data.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, UnsupportedError
from ..frame import CFA_PATTERNS, CameraColor, Encoding, Exif, Frame, FrameMeta, SensorLayout
from . import dngtags
from .dngopcodes import APPLIED_OPCODES, apply_opcode_list2, parse_opcode_list
from .dngtags import PHOTOMETRIC_CFA, PHOTOMETRIC_LINEAR_RAW, DngTags
from .ljpeg import LJ92Corrupt, LJ92Unsupported, decode_lj92_tiles
from .raw_checks import check_data_extent, check_meta, tiff_data_extent

# LibRaw's sizes.flip (dcraw's 'flip') -> EXIF orientation; dcraw maps EXIF to flip with
# "50132467"[orientation & 7], this is its inverse.
FLIP_TO_ORIENTATION = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}
D65_XY = (0.31271, 0.32902)
_COLOR_LETTERS = {0: "R", 1: "G", 2: "B"}


# ----------------------------------------------------------------------------- public API


def open_raw(path: str | os.PathLike) -> Frame:
    """Decode a camera RAW file into a Frame of sensor counts (Encoding.RAW, float32)."""
    path = _checked_path(path)
    tags = dngtags.read_dng_tags(path)
    if tags is not None:
        return _open_dng(path, tags)
    _check_tiff_extent(path)
    with _libraw(path) as raw:
        meta = _meta_from_libraw(path, raw)
        data = _libraw_data(path, raw, meta)
    if meta.layout is SensorLayout.FALLBACK:
        meta = meta.replace(black=(0.0, 0.0, 0.0, 0.0), white=65535.0, cfa=None)
    return Frame(data=data, meta=meta.replace(extra={**meta.extra, "visible_size": data.shape[:2]}))


def read_metadata(path: str | os.PathLike) -> FrameMeta:
    """The FrameMeta ``open_raw`` would return, for ``info``: DNG files from their tags alone (no
    pixels decoded); other formats after LibRaw's unpack, without conversion or demosaic."""
    path = _checked_path(path)
    tags = dngtags.read_dng_tags(path)
    if tags is not None:
        geometry = _dng_geometry(tags)
        meta = _meta_from_dng(path, tags, geometry)
        return meta.replace(extra={**meta.extra, "decoder": _dng_decoder_name(tags, geometry)})
    # rawpy unpacks (decodes) before it reports levels, white balance or matrices: only the
    # float conversion and any demosaic are saved for non-DNG files
    _check_tiff_extent(path)
    with _libraw(path) as raw:
        meta = _meta_from_libraw(path, raw)
        if meta.layout is SensorLayout.FALLBACK:
            meta = meta.replace(black=(0.0, 0.0, 0.0, 0.0), white=65535.0, cfa=None)
        return meta


def read_thumbnail(path: str | os.PathLike, cap: int | None = None
                   ) -> tuple[np.ndarray, tuple[int, int], int] | None:
    """The camera's embedded preview (LibRaw's thumbnail) as (H, W, 3) uint8, not rotated, with
    the sensor's visible (width, height) and the EXIF orientation, read without decoding the
    raw data (LibRaw's open_file + unpack_thumb); None where there is none or it is unreadable.

    With ``cap``, only a preview whose long side reaches half the sensor's (what a half-size
    develop would give) or ``cap`` pixels is returned, a JPEG one decoded at the smallest DCT
    scale that still reaches that size; without, the whole preview, whatever its size."""
    import io

    import rawpy
    from PIL import Image

    raw = rawpy.RawPy()
    try:
        with _captured_stderr():
            raw.open_file(str(Path(path)))
            raw.unpack_thumb()
            thumb = raw.extract_thumb()
        sizes = (int(raw.sizes.width), int(raw.sizes.height))
        orientation = FLIP_TO_ORIENTATION.get(raw.sizes.flip, 1)
        min_side = max(1, min(int(cap), max(sizes) // 2)) if cap is not None else 1
        if thumb.format == rawpy.ThumbFormat.BITMAP:
            pixels = np.asarray(thumb.data)
            if pixels.ndim != 3 or pixels.dtype != np.uint8 or max(pixels.shape[:2]) < min_side:
                return None
            return np.ascontiguousarray(pixels[..., :3]), sizes, orientation
        if thumb.format != rawpy.ThumbFormat.JPEG:
            return None
        with Image.open(io.BytesIO(bytes(thumb.data))) as im:
            if max(im.size) < min_side:
                return None
            if cap is not None:
                scale = max(im.size) / min_side
                im.draft("RGB", (int(im.size[0] / scale) + 1, int(im.size[1] / scale) + 1))
            return np.asarray(im.convert("RGB")), sizes, orientation
    except (rawpy.LibRawError, OSError, ValueError):
        return None
    finally:
        raw.close()


def embedded_preview(path: str | os.PathLike, cap: int) -> tuple[np.ndarray, tuple[int, int], int] | None:
    """A preview as large as a half-size develop (or ``cap`` pixels), else None: the share
    service's fast first rendition."""
    return read_thumbnail(path, cap)


# ----------------------------------------------------------------------------- input checks


_RENDERED = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
)


def _checked_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path, hint="check the path")
    if path.is_dir():
        raise InputError("is a folder, not a raw file", path=path, hint="give a file inside it")
    if not path.is_file():
        raise InputError("is not a regular file", path=path)
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path=path) from None
    if not head:
        raise InputError("is empty", path=path, hint="copy the file again")
    return path


def _check_tiff_extent(path: Path) -> None:
    """A TIFF-based raw (CR2, NEF, ARW, ORF, PEF, RW2, KDC ...) whose strips or tiles run past
    the end of the file is refused before LibRaw, which would often fill the rest silently.
    DNG files get the same check from their raw IFD (io.dngtags)."""
    extent = tiff_data_extent(path)
    if extent is not None:
        check_data_extent(path, extent[0], extent[1], path.stat().st_size, what="image data")


def _kind_of(path: Path) -> str | None:
    """What a file LibRaw refused seems to be, for the error message."""
    with open(path, "rb") as f:
        head = f.read(4096)
    for magic, name in _RENDERED:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif", b"ftypmsf1"):
        return "a HEIF/AVIF image"
    if dngtags.is_tiff_header(head):
        try:
            import tifffile

            with dngtags.quiet_logging("tifffile"), tifffile.TiffFile(path) as tf:
                photometric = int(tf.pages.first.photometric)
            if photometric in (0, 1, 2, 3, 6):     # grey, RGB, palette, YCbCr: a rendered picture
                return "a TIFF image"
        except Exception:
            return None
        return None
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "a text file"
        except UnicodeDecodeError:
            pass
    return None


# ----------------------------------------------------------------------------- LibRaw


class _StderrCapture:
    """Collect what LibRaw prints on file descriptor 2 ("Unexpected end of file", "data corrupted
    at ...") so that it ends up in our one-line error instead of beside it.

    fd 2 is process-wide: the first caller redirects it into a temporary file and the last one
    restores it, so LibRaw calls in several threads still run concurrently (anything another
    thread prints meanwhile lands in the same file)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.depth = 0
        self.saved: int | None = None
        self.sink = None

    @contextlib.contextmanager
    def __call__(self):
        with self.lock:
            if self.depth == 0:
                self.sink = tempfile.TemporaryFile(mode="w+b")
                try:
                    self.saved = os.dup(2)
                    os.dup2(self.sink.fileno(), 2)
                except OSError:
                    self.saved = None
            self.depth += 1
            sink = self.sink
            start = os.fstat(sink.fileno()).st_size
        box: list[str] = []
        try:
            yield box
        finally:
            with self.lock:
                said = os.pread(sink.fileno(), 1 << 16, start)
                box.append(said.decode("utf-8", "replace").strip())
                self.depth -= 1
                if self.depth == 0:
                    if self.saved is not None:
                        os.dup2(self.saved, 2)
                        os.close(self.saved)
                        self.saved = None
                    sink.close()
                    self.sink = None


_captured_stderr = _StderrCapture()


def _libraw_message(text: str, path: Path) -> str:
    lines = [ln.replace(str(path) + ": ", "").strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(dict.fromkeys(lines))


@contextlib.contextmanager
def _libraw(path: Path, *, tags: DngTags | None = None):
    """rawpy.RawPy for ``path``, opened and unpacked, errors as InputError."""
    import rawpy

    raw = rawpy.RawPy()
    try:
        with _captured_stderr() as said:
            error = None
            try:
                raw.open_file(str(path))
                raw.unpack()
            except rawpy.LibRawError as exc:
                error = exc
        if error is not None:
            raise _libraw_error(path, error, _libraw_message(said[0], path), tags) from None
        yield raw
    finally:
        raw.close()


def _libraw_error(path: Path, exc: Exception, said: str, tags: DngTags | None) -> InputError:
    import rawpy

    detail = f" (LibRaw: {said})" if said else ""
    if isinstance(exc, rawpy.LibRawFileUnsupportedError):
        if tags is not None and tags.layout.compression == 9:
            return UnsupportedError("GoPro GPR raw (DNG with VC-5 compression): this LibRaw is built without "
                                    "the VC-5 decoder", path=path,
                                    hint="convert it to a plain DNG with GoPro's gpr_tools first")
        if tags is not None:
            name = dngtags.COMPRESSION_NAMES.get(tags.layout.compression, f"compression {tags.layout.compression}")
            return UnsupportedError(f"DNG with {name} raw data that LibRaw cannot decode", path=path)
        kind = _kind_of(path)
        if kind in ("a text file", None):
            what = "a text file, " if kind else ""
            return UnsupportedError(f"{what}not a raw file LibRaw can read", path=path,
                                    hint="give a camera RAW file such as .dng, .rw2, .cr2, .nef, .arw")
        return UnsupportedError(f"{kind}: a rendered picture, not a camera raw file", path=path,
                                hint="'lsquared develop' applies looks to rendered images; 'info' needs a raw")
    if isinstance(exc, rawpy.LibRawIOError):
        return InputError(f"truncated or unreadable raw file{detail}", path=path, hint="copy the file again")
    if isinstance(exc, rawpy.LibRawDataError):
        return InputError(f"corrupt raw data{detail}", path=path, hint="copy the file again")
    if isinstance(exc, (rawpy.LibRawTooBigError, rawpy.LibRawUnsufficientMemoryError)):
        return InputError(f"too large to decode{detail}", path=path)
    return InputError(f"LibRaw cannot decode it: {exc}{detail}", path=path)


def _libraw_layout(raw) -> tuple[SensorLayout, str | None, np.ndarray | None]:
    """Sensor layout, Bayer string and 2x2 colour-index pattern as LibRaw sees the visible area."""
    import rawpy

    if raw.raw_type != rawpy.RawType.Flat:
        return SensorLayout.FALLBACK, None, None
    if raw.num_colors == 1:
        return SensorLayout.MONO, None, None
    pattern = raw.raw_pattern
    desc = raw.color_desc.decode("ascii", "replace")
    if pattern is None or pattern.shape != (2, 2) or raw.num_colors not in (3, 4):
        return SensorLayout.FALLBACK, None, None
    letters = "".join(desc[int(i)] if int(i) < len(desc) else "?" for i in pattern.ravel())
    if letters not in CFA_PATTERNS:
        return SensorLayout.FALLBACK, None, None
    return SensorLayout.BAYER, letters, pattern


def _describe_libraw_sensor(raw) -> str:
    pattern = raw.raw_pattern
    desc = raw.color_desc.decode("ascii", "replace")
    if pattern is not None and pattern.shape == (6, 6):
        return "X-Trans 6x6"
    if str(raw.raw_type).endswith("Stack"):
        return "three-colour (stacked) raw"
    if raw.num_colors == 4 and set(desc) - set("RGB"):
        return f"four-colour {desc}"
    shape = "x".join(map(str, pattern.shape)) if pattern is not None else "unknown"
    return f"{shape} {desc} colour filter"


def _libraw_demosaic(raw) -> np.ndarray:
    """LibRaw's own demosaic into linear camera RGB, 0 = black, 65535 = white, orientation kept."""
    import rawpy

    rgb = raw.postprocess(output_color=rawpy.ColorSpace.raw, gamma=(1, 1), no_auto_bright=True,
                          user_wb=[1.0, 1.0, 1.0, 1.0], output_bps=16, highlight_mode=rawpy.HighlightMode.Clip,
                          user_flip=0, use_camera_wb=False, use_auto_wb=False)
    return rgb.astype(np.float32)


def _libraw_data(path: Path, raw, meta: FrameMeta) -> np.ndarray:
    import rawpy

    try:
        with _captured_stderr() as said:
            if meta.layout is SensorLayout.FALLBACK:
                return _libraw_demosaic(raw)
            data = empty_frame(raw.raw_image_visible.shape)
            np.copyto(data, raw.raw_image_visible)
            return data
    except rawpy.LibRawError as exc:
        raise _libraw_error(path, exc, _libraw_message(said[0], path), None) from None


def _exif_from_exifread(path: Path) -> dict[str, Any]:
    """EXIF of a TIFF-like raw (CR2, NEF, ARW, ORF, Panasonic RW2 with magic 0x55, ...) via exifread."""
    try:
        import exifread
    except ImportError:
        return {}
    try:
        with dngtags.quiet_logging("exifread"), open(path, "rb") as f:
            tags = exifread.process_file(f, details=False, extract_thumbnail=False)
    except Exception:           # exifread is best effort on formats it does not know
        return {}
    out: dict[str, Any] = {}
    for key, tag in tags.items():
        values = getattr(tag, "values", None)
        name = key.split(" ", 1)[-1]
        if isinstance(values, str):
            out.setdefault(name, values)
        elif isinstance(values, (list, tuple)) and values:
            v = values[0]
            if not isinstance(v, int) and hasattr(v, "numerator") and hasattr(v, "denominator"):
                v = (int(v.numerator), int(v.denominator))      # exifread's Ratio
            out.setdefault(name, v)
    return out


def _libraw_exif(path: Path, other=None, lens=None) -> Exif:
    """EXIF of a non-DNG raw: exifread's reading of the file (TIFF-like raws, RW2 with its magic
    0x55 included), gaps filled from LibRaw's own parse (``other``: iso, shutter, aperture, focal
    length, time; ``lens``: make and model, e.g. from Panasonic maker notes)."""
    ex = _exif_from_exifread(path)

    def libraw(obj, name):
        return getattr(obj, name, None) if obj is not None else None

    stamp = libraw(other, "timestamp")
    make, model = _clean(ex.get("Make")), _clean(ex.get("Model"))
    if make is None or model is None:       # headerless raws: the camera LibRaw recognised
        from .libraw_ident import camera_identity
        found = camera_identity(path)
        make, model = make or _clean(found[0]), model or _clean(found[1])
    return Exif(
        make=make, model=model,
        lens_make=_clean(ex.get("LensMake")) or _clean(libraw(lens, "make")),
        lens_model=_clean(ex.get("LensModel")) or _clean(libraw(lens, "model")),
        exposure_time=_positive(ex.get("ExposureTime")) or _positive(libraw(other, "shutter_speed")),
        f_number=_positive(ex.get("FNumber")) or _positive(libraw(other, "aperture")),
        iso=_positive(_first(ex.get("ISOSpeedRatings"))) or _positive(libraw(other, "iso_speed")),
        focal_length=_positive(ex.get("FocalLength")) or _positive(libraw(other, "focal_length")),
        datetime_original=_clean(ex.get("DateTimeOriginal")) or _clean(ex.get("DateTime"))
        or (stamp.strftime("%Y:%m:%d %H:%M:%S") if stamp is not None and stamp.year > 1970 else None),
        artist=_clean(ex.get("Artist")) or _clean(libraw(other, "artist")), copyright=_clean(ex.get("Copyright")),
        software=_clean(ex.get("Software")),
        serial_number=_clean(ex.get("BodySerialNumber")) or _clean(ex.get("CameraSerialNumber")),
    )


def _meta_from_libraw(path: Path, raw) -> FrameMeta:
    warnings: list[str] = []
    layout, cfa, pattern = _libraw_layout(raw)
    sizes = raw.sizes
    blpc = [float(v) for v in raw.black_level_per_channel]
    if layout is SensorLayout.BAYER:
        black = tuple(blpc[int(i)] for i in pattern.ravel())
    elif layout is SensorLayout.MONO:
        black = (blpc[0],) * 4
    else:
        black = (blpc[0], blpc[1], blpc[2], blpc[1])
    if layout is SensorLayout.FALLBACK:
        warnings.append(f"fallback: LibRaw demosaiced this {_describe_libraw_sensor(raw)} sensor into linear "
                        "camera RGB (black 0, white 65535); lsquared's demosaic and highlight steps are skipped")
    white = float(raw.white_level)

    camera_wb = np.asarray(raw.camera_whitebalance[:3], dtype=np.float64)
    daylight = np.asarray(raw.daylight_whitebalance[:3], dtype=np.float64)
    if layout is SensorLayout.MONO:
        neutral = (1.0, 1.0, 1.0)
    elif np.all(np.isfinite(camera_wb)) and np.all(camera_wb > 0):
        neutral = tuple(float(camera_wb[1] / v) for v in camera_wb)
    elif np.all(np.isfinite(daylight)) and np.all(daylight > 0):
        neutral = tuple(float(daylight[1] / v) for v in daylight)
        warnings.append("no as-shot white balance in the file: daylight multipliers used")
    else:
        neutral = (1.0, 1.0, 1.0)
        warnings.append("no as-shot white balance in the file: (1, 1, 1) used")

    color = CameraColor(source="none")
    if layout is not SensorLayout.MONO:
        xyz_to_cam = np.asarray(raw.rgb_xyz_matrix, dtype=np.float64)[:3]
        if raw.num_colors == 3 and np.any(xyz_to_cam) and np.all(np.isfinite(xyz_to_cam)):
            color = CameraColor(color_matrix=(xyz_to_cam, None), illuminant=(21, None), source="libraw")
        else:
            warnings.append("no colour matrix known for this camera")

    exif = _libraw_exif(path, raw.other, raw.lens)
    if sizes.pixel_aspect and abs(sizes.pixel_aspect - 1.0) > 1e-3:
        warnings.append(f"non-square pixels (aspect {sizes.pixel_aspect:.3f}) are not corrected")
    extra = {
        "format": "LibRaw",
        "decoder": "LibRaw" + (" (demosaiced: fallback)" if layout is SensorLayout.FALLBACK else ""),
        "visible_size": (int(sizes.height), int(sizes.width)),
        "margins": (int(sizes.top_margin), int(sizes.left_margin)),
        "libraw_color_desc": raw.color_desc.decode("ascii", "replace"),
        "libraw_black_per_channel": tuple(blpc),
        "camera_white_per_channel": tuple(int(v) for v in raw.camera_white_level_per_channel)
        if raw.camera_white_level_per_channel is not None else None,
    }
    return check_meta(FrameMeta(      # what LibRaw reports, checked as the DNG tags are
        source=str(path), exif=exif, layout=layout, cfa=cfa, black=black, white=white,
        as_shot_neutral=neutral, camera_color=color, orientation=FLIP_TO_ORIENTATION.get(int(sizes.flip), 1),
        encoding=Encoding.RAW, raw_size=(int(sizes.raw_height), int(sizes.raw_width)),
        bits_per_sample=max(int(white).bit_length(), 8), warnings=tuple(warnings), extra=extra,
    ))


# ----------------------------------------------------------------------------- DNG


class _Geometry:
    """Where the returned array lies in the stored image, and what sort of sensor it holds."""

    __slots__ = ("window", "layout", "cfa", "phase")

    def __init__(self, window, layout, cfa, phase):
        self.window = window          # (top, left, height, width) in stored-image pixels
        self.layout = layout
        self.cfa = cfa
        self.phase = phase            # (row, col) of the window origin relative to the active area


def _dng_layout(tags: DngTags) -> SensorLayout:
    spp = tags.layout.samples_per_pixel
    if tags.photometric == PHOTOMETRIC_LINEAR_RAW:
        return {1: SensorLayout.MONO, 3: SensorLayout.LINEAR_RGB}.get(spp, SensorLayout.FALLBACK)
    if (tags.photometric == PHOTOMETRIC_CFA and spp == 1 and tags.cfa_repeat == (2, 2) and tags.cfa_pattern
            and len(tags.cfa_pattern) == 4 and set(tags.cfa_pattern) == {0, 1, 2}
            and tuple(tags.cfa_plane_color[:3]) == (0, 1, 2) and tags.cfa_layout == 1):
        return SensorLayout.BAYER
    return SensorLayout.FALLBACK


def _dng_geometry(tags: DngTags) -> _Geometry:
    """The visible area: the ActiveArea, then DefaultCropOrigin/Size within it (DNG 1.6 p. 30-31)."""
    top, left, bottom, right = tags.active_area
    ox, oy = (int(round(v)) for v in tags.default_crop_origin)
    ox, oy = min(max(ox, 0), right - left - 1), min(max(oy, 0), bottom - top - 1)
    if tags.default_crop_size is not None:
        w, h = (int(round(v)) for v in tags.default_crop_size)
    else:
        w, h = right - left, bottom - top
    w, h = max(1, min(w, right - left - ox)), max(1, min(h, bottom - top - oy))
    layout = _dng_layout(tags)
    cfa = None
    if layout is SensorLayout.BAYER:
        letters = [_COLOR_LETTERS[c] for c in tags.cfa_pattern]
        # the pattern is given at the active area's origin; shift it to the crop origin
        cfa = "".join(letters[((oy + r) % 2) * 2 + (ox + c) % 2] for r in (0, 1) for c in (0, 1))
    return _Geometry((top + oy, left + ox, h, w), layout, cfa, (oy, ox))


def _black_phases(tags: DngTags):
    """(row phase, column phase, sample, step) of each black value: the four 2x2 positions for
    one sample per pixel, each channel over the whole window for three samples."""
    spp = tags.black_level.shape[2]
    if spp == 1:
        return [(r, c, 0, 2) for r in (0, 1) for c in (0, 1)]
    return [(0, 0, ch, 1) for ch in range(spp)]


def _black_indices(tags: DngTags, geometry: _Geometry):
    """Pattern row/column of every window row/column, and the window's deltas (or None)."""
    oy, ox = geometry.phase
    _, _, h, w = geometry.window
    rows, cols = tags.black_repeat
    dv = tags.black_delta_v[oy:oy + h] if tags.black_delta_v is not None else None
    dh = tags.black_delta_h[ox:ox + w] if tags.black_delta_h is not None else None
    return (np.arange(h) + oy) % rows, (np.arange(w) + ox) % cols, dv, dh


def _dng_black(tags: DngTags, geometry: _Geometry) -> tuple[float, float, float, float]:
    """Black per 2x2 position of the window (one sample per pixel) or per channel (R, G, B, G).

    The DNG black of a pixel is BlackLevel (a repeat pattern anchored at the active area's
    corner) + BlackLevelDeltaV[row] + BlackLevelDeltaH[column] (DNG 1.6 p. 25-26); each value
    here is its mean over the window's pixels of that position, and ``_subtract_black_detail``
    takes what varies around it out of the data."""
    ys_all, xs_all, dv, dh = _black_indices(tags, geometry)
    rows, cols = tags.black_repeat
    black = []
    for r, c, ch, step in _black_phases(tags):
        ys, xs = ys_all[r::step] if r < len(ys_all) else ys_all, xs_all[c::step] if c < len(xs_all) else xs_all
        level = (np.bincount(ys, minlength=rows) / ys.size) @ tags.black_level[:, :, ch] \
            @ (np.bincount(xs, minlength=cols) / xs.size)
        level += dv[r::step].mean() if dv is not None and r < len(dv) else 0.0
        level += dh[c::step].mean() if dh is not None and c < len(dh) else 0.0
        black.append(float(level))
    if len(black) == 3:
        black.append(black[1])
    return tuple(black[:4])


def _subtract_black_detail(data: np.ndarray, tags: DngTags, geometry: _Geometry, black) -> None:
    """Make ``data - black`` exact per pixel where the DNG black varies more finely than the four
    values of ``black`` (BlackLevelDeltaH/V, or a repeat pattern other than 1 or 2 wide)."""
    rows, cols = tags.black_repeat
    limit = (1, 2) if tags.black_level.shape[2] == 1 else (1,)
    fine = rows not in limit or cols not in limit
    ys_all, xs_all, dv, dh = _black_indices(tags, geometry)
    if not fine and dv is None and dh is None:
        return
    for i, (r, c, ch, step) in enumerate(_black_phases(tags)):
        view = data[r::step, c::step] if data.ndim == 2 else data[r::step, c::step, ch]
        ys, xs = ys_all[r::step], xs_all[c::step]
        if view.size == 0:
            continue
        if fine:
            view -= tags.black_level[ys][:, xs, ch].astype(np.float32)
        else:
            view -= np.float32(tags.black_level[ys[0], xs[0], ch])
        if dv is not None:
            view -= dv[r::step, None].astype(np.float32)
        if dh is not None:
            view -= dh[None, c::step].astype(np.float32)
        view += np.float32(black[i])


def _dng_exif(tags: DngTags) -> Exif:
    ex = tags.exif

    def text(key: str) -> str | None:
        return _clean(ex.get(key))

    iso = _first(ex.get("ISOSpeedRatings")) or _first(ex.get("PhotographicSensitivity")) \
        or _first(ex.get("RecommendedExposureIndex"))
    return Exif(
        make=tags.make, model=tags.model, lens_make=text("LensMake"), lens_model=text("LensModel"),
        exposure_time=_positive(ex.get("ExposureTime")), f_number=_positive(ex.get("FNumber")),
        iso=_positive(iso), focal_length=_positive(ex.get("FocalLength")),
        datetime_original=text("DateTimeOriginal"), artist=tags.artist, copyright=tags.copyright,
        software=tags.software, serial_number=text("BodySerialNumber") or tags.camera_serial,
    )


def _dng_color(tags: DngTags, warnings: list[str]) -> CameraColor:
    """The DNG's colour tags as CameraColor (a lone ColorMatrix2 stands in as the only one)."""
    def square(m):
        return m if m is not None and m.shape == (3, 3) else None

    usable = [i for i in (0, 1) if square(tags.color_matrix[i]) is not None]
    if not usable:
        present = any(m is not None for m in tags.color_matrix)
        warnings.append("the DNG's colour matrix is not 3x3: no colour matrix used" if present
                        else "the DNG has no colour matrix")
        return CameraColor(source="none")

    def pick(pair):
        return tuple(square(pair[i]) for i in usable) + (None,) * (2 - len(usable))

    illuminants = tuple(tags.calibration_illuminant[i] or 0 for i in usable) + (None,) * (2 - len(usable))
    ab = tags.analog_balance if tags.analog_balance is not None and tags.analog_balance.size == 3 else None
    return CameraColor(color_matrix=pick(tags.color_matrix), forward_matrix=pick(tags.forward_matrix),
                       camera_calibration=pick(tags.camera_calibration), illuminant=illuminants,
                       analog_balance=ab, source="dng")


def _dng_neutral(tags: DngTags, color: CameraColor, layout: SensorLayout, warnings: list[str]):
    if layout is SensorLayout.MONO:
        return (1.0, 1.0, 1.0)
    if tags.as_shot_neutral is not None and tags.as_shot_neutral.size == 3:
        n = tags.as_shot_neutral / tags.as_shot_neutral[1]
        return (float(n[0]), float(n[1]), float(n[2]))
    if color.has_matrix:
        from ..color.dng_model import xy_to_neutral   # the DNG colour model converts a white to camera RGB

        if tags.as_shot_white_xy is not None:
            return tuple(float(v) for v in xy_to_neutral(color, tags.as_shot_white_xy))
        warnings.append("no as-shot white balance in the file: daylight (D65) through the colour matrix used")
        return tuple(float(v) for v in xy_to_neutral(color, D65_XY))
    warnings.append("no as-shot white balance in the file: (1, 1, 1) used")
    return (1.0, 1.0, 1.0)


def _meta_from_dng(path: Path, tags: DngTags, geometry: _Geometry) -> FrameMeta:
    warnings = list(tags.notes)
    layout = geometry.layout
    if layout is SensorLayout.FALLBACK:
        desc = f"{tags.cfa_repeat} CFA {tags.cfa_pattern}" if tags.photometric == PHOTOMETRIC_CFA \
            else f"LinearRaw with {tags.layout.samples_per_pixel} samples"
        warnings.append(f"fallback: LibRaw demosaiced this {desc} sensor into linear camera RGB "
                        "(black 0, white 65535); lsquared's demosaic and highlight steps are skipped")
    if tags.layout.compression == 9:
        warnings.append("the raw data are VC-5 compressed (GoPro GPR): LibRaw cannot decode them")
    black = _dng_black(tags, geometry)
    white = min(tags.white_level)
    if len(set(tags.white_level)) > 1:
        warnings.append(f"WhiteLevel differs per sample {tags.white_level}: the lowest is used")
    color = _dng_color(tags, warnings) if layout is not SensorLayout.MONO else CameraColor(source="none")
    neutral = _dng_neutral(tags, color, layout, warnings)
    skipped = _opcodes_not_applied(tags, layout)
    for name, ops in skipped.items():
        warnings.append(f"{name} ({', '.join(ops)}) is not applied")
    top, left, h, w = geometry.window
    extra = {
        "format": f"DNG {'.'.join(map(str, tags.dng_version))}",
        "compression": dngtags.COMPRESSION_NAMES.get(tags.layout.compression, str(tags.layout.compression)),
        "raw_ifd": tags.raw_ifd,
        "active_area": tags.active_area,
        "default_crop": (tags.default_crop_origin, tags.default_crop_size),
        "visible_size": (h, w),
        "visible_origin": (top, left),
        "black_per_sample": tuple(float(v) for v in tags.black_level.reshape(-1, tags.black_level.shape[2])[0]),
        "black_repeat": tags.black_repeat,
        "white_per_sample": tags.white_level,
        "unique_camera_model": tags.unique_camera_model,
        "profile_name": tags.profile_name,
        "lens_info": tags.lens_info,
        "opcodes": {k: list(v) for k, v in tags.opcodes.items()},
        "opcodes_applied": [op for op in tags.opcodes.get("OpcodeList2", ())
                            if op not in skipped.get("OpcodeList2", ())],
        "tile_size": (tags.layout.tile_height, tags.layout.tile_width) if tags.layout.tiled else None,
    }
    if tags.as_shot_white_xy is not None:
        extra["as_shot_white_xy"] = tags.as_shot_white_xy
    if layout is SensorLayout.FALLBACK:
        black, white = (0.0, 0.0, 0.0, 0.0), 65535.0
    bits = max(tags.layout.bits_per_sample, int(white).bit_length())
    return FrameMeta(
        source=str(path), exif=_dng_exif(tags), layout=layout, cfa=geometry.cfa, black=black, white=float(white),
        linearization=tags.linearization_table, as_shot_neutral=neutral, camera_color=color,
        baseline_exposure=tags.baseline_exposure + tags.baseline_exposure_offset,
        orientation=tags.orientation, encoding=Encoding.RAW, raw_size=(tags.layout.height, tags.layout.width),
        bits_per_sample=bits, warnings=tuple(warnings), extra=extra,
    )


def _opcodes_not_applied(tags: DngTags, layout: SensorLayout) -> dict[str, tuple[str, ...]]:
    """Opcodes lsquared leaves out: OpcodeList1 and 3 (bad pixels, lens warps), and whatever of
    OpcodeList2 io.dngopcodes does not implement (all of it for the fallback)."""
    out = {}
    for name, ops in tags.opcodes.items():
        left = ops if name != "OpcodeList2" or layout is SensorLayout.FALLBACK \
            else tuple(op for op in ops if op not in APPLIED_OPCODES)
        if left:
            out[name] = left
    return out


def _fast_path_ok(tags: DngTags, geometry: _Geometry) -> bool:
    lay = tags.layout
    return (lay.compression == 7 and lay.planar_config == 1 and lay.predictor == 1 and lay.sample_format == 1
            and lay.bits_per_sample <= 16 and geometry.layout is not SensorLayout.FALLBACK
            and lay.samples_per_pixel in (1, 3))


def _lossy_path_ok(tags: DngTags, geometry: _Geometry) -> bool:
    lay = tags.layout
    return (lay.compression == 34892 and lay.bits_per_sample == 8 and lay.planar_config == 1
            and lay.samples_per_pixel in (1, 3) and geometry.layout is not SensorLayout.FALLBACK)


def _dng_decoder_name(tags: DngTags, geometry: _Geometry) -> str:
    if tags.layout.compression == 9:
        return "none (LibRaw lacks the VC-5 decoder)"
    if _lossy_path_ok(tags, geometry):
        return "lsquared lossy JPEG (libjpeg-turbo tiles)"
    if geometry.layout is SensorLayout.FALLBACK:
        return "LibRaw (demosaiced: fallback)"
    return "lsquared lossless JPEG (parallel tiles)" if _fast_path_ok(tags, geometry) else "LibRaw"


def empty_frame(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialized float32 array for a whole frame, on transparent huge pages where Linux offers
    them (madvise): touching a 100-240 MB frame for the first time then costs a few hundred page
    faults instead of tens of thousands (measured here: 0.6 s -> 0.04 s of CPU for 60 MP)."""
    nbytes = int(np.prod(shape)) * 4
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if nbytes < (8 << 20) or advice is None:
        return np.empty(shape, np.float32)
    try:
        block = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        block.madvise(advice)
    except (OSError, ValueError, AttributeError):
        return np.empty(shape, np.float32)
    return np.frombuffer(block, np.float32).reshape(shape)


def _linearization_values(tags: DngTags) -> np.ndarray | None:
    """LinearizationTable as a 65536-entry float32 lookup (values past its end take its last entry,
    as LibRaw and the DNG SDK do)."""
    table = tags.linearization_table
    if table is None or table.size == 0:
        return None
    values = np.empty(1 << 16, np.float32)
    n = min(table.size, 1 << 16)
    values[:n] = table[:n]
    values[n:] = table[n - 1]
    return values


def _decode_dng_fast(path: Path, tags: DngTags, geometry: _Geometry) -> np.ndarray | None:
    """Decode lossless-JPEG tiles ourselves; None when LibRaw should do it."""
    lay = tags.layout
    start = int(lay.offsets.min())
    with open(path, "rb") as f:
        f.seek(start)
        buf = np.empty(lay.data_end - start, np.uint8)
        if f.readinto(memoryview(buf)) != buf.size:
            raise InputError("truncated: the raw data end early", path=path, hint="copy the file again")
    try:
        data = decode_lj92_tiles(buf, lay.offsets - start, lay.byte_counts, image_size=(lay.height, lay.width),
                                 tile_size=(lay.tile_height, lay.tile_width), samples_per_pixel=lay.samples_per_pixel,
                                 window=geometry.window, values=_linearization_values(tags),
                                 cat16_extra_bits=tags.dng_version < (1, 1, 0, 0),
                                 out=empty_frame(geometry.window[2:] + (lay.samples_per_pixel,)))
    except LJ92Unsupported:
        return None
    except LJ92Corrupt as exc:
        raise InputError(f"corrupt raw data: lossless JPEG {exc}", path=path, hint="copy the file again") from None
    return data[..., 0] if lay.samples_per_pixel == 1 else data


def _decode_dng_lossy(path: Path, tags: DngTags, geometry: _Geometry) -> np.ndarray:
    """Decode lossy-JPEG tiles (Compression 34892, DNG 1.4) with libjpeg-turbo (imagecodecs).

    Not LibRaw: its lossy_dng_load_raw maps the 8-bit samples through OpcodeList2's
    MapPolynomial itself (or, without one, an inverse sRGB curve) into 0..65535, ignores MapTable
    and the LinearizationTable, and leaves the BlackLevel/WhiteLevel tags (in stored units) to
    describe data they no longer fit.  Here the samples stay as stored, the LinearizationTable
    maps them, and OpcodeList2 runs afterwards on the levels the tags give (DNG 1.6 ch. 5, 7)."""
    import imagecodecs
    from concurrent.futures import ThreadPoolExecutor

    lay = tags.layout
    spp = lay.samples_per_pixel
    top, left, h, w = geometry.window
    with open(path, "rb") as f:
        blobs = []
        for offset, count in zip(lay.offsets.tolist(), lay.byte_counts.tolist()):
            f.seek(offset)
            blobs.append(f.read(count))
    out = empty_frame((h, w, spp))
    values = _linearization_values(tags)

    def place(index: int) -> None:
        ty, tx = divmod(index, lay.tiles_across)
        y0, x0 = ty * lay.tile_height, tx * lay.tile_width
        # the part of this tile inside the window, in tile and in output coordinates
        ys, ye = max(y0, top), min(y0 + lay.tile_height, top + h, lay.height)
        xs, xe = max(x0, left), min(x0 + lay.tile_width, left + w, lay.width)
        if ys >= ye or xs >= xe:
            return
        try:
            tile = imagecodecs.jpeg8_decode(blobs[index])
        except Exception as exc:                   # imagecodecs raises its own Jpeg8Error
            raise InputError(f"corrupt raw data: lossy JPEG tile {index} ({exc})", path=path,
                             hint="copy the file again") from None
        tile = tile.reshape(tile.shape[0], tile.shape[1], -1)
        if tile.shape[2] != spp or tile.shape[0] < ye - y0 or tile.shape[1] < xe - x0:
            raise InputError(f"corrupt raw data: lossy JPEG tile {index} is {tile.shape[1]}x{tile.shape[0]}x"
                             f"{tile.shape[2]} where the DNG needs {xe - x0}x{ye - y0}x{spp}", path=path)
        part = tile[ys - y0:ye - y0, xs - x0:xe - x0]
        target = out[ys - top:ye - top, xs - left:xe - left]
        np.copyto(target, values[part] if values is not None else part)

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        list(pool.map(place, range(len(blobs))))
    return out[..., 0] if spp == 1 else out


def _decode_dng_libraw(path: Path, tags: DngTags, geometry: _Geometry) -> np.ndarray:
    import rawpy

    top, left, h, w = geometry.window
    with _libraw(path, tags=tags) as raw:
        try:
            with _captured_stderr() as said:
                if geometry.layout is SensorLayout.FALLBACK:
                    rgb = _libraw_demosaic(raw)
                    # LibRaw's visible area starts at its own margins; keep the DNG default crop
                    y0, x0 = max(top - raw.sizes.top_margin, 0), max(left - raw.sizes.left_margin, 0)
                    return np.ascontiguousarray(rgb[y0:y0 + h, x0:x0 + w])
                image = raw.raw_image
                if image.shape[:2] != (tags.layout.height, tags.layout.width):
                    raise InputError(f"LibRaw decoded {image.shape[1]}x{image.shape[0]} pixels where the DNG "
                                     f"stores {tags.layout.width}x{tags.layout.height}", path=path)
                if image.ndim == 3:
                    image = image[..., :3]
                part = image[top:top + h, left:left + w]
                data = empty_frame(part.shape)
                np.copyto(data, part)               # uint16 -> float32, the one conversion
                return data
        except rawpy.LibRawError as exc:
            raise _libraw_error(path, exc, _libraw_message(said[0], path), tags) from None


def _open_dng(path: Path, tags: DngTags) -> Frame:
    geometry = _dng_geometry(tags)
    meta = _meta_from_dng(path, tags, geometry)
    data = None
    if _lossy_path_ok(tags, geometry):
        data, decoder = _decode_dng_lossy(path, tags, geometry), "lsquared lossy JPEG (libjpeg-turbo tiles)"
    elif _fast_path_ok(tags, geometry):
        data, decoder = _decode_dng_fast(path, tags, geometry), "lsquared lossless JPEG (parallel tiles)"
    if data is None:
        data = _decode_dng_libraw(path, tags, geometry)
        decoder = "LibRaw" + (" (demosaiced: fallback)" if geometry.layout is SensorLayout.FALLBACK else "")
    if geometry.layout is SensorLayout.MONO and data.ndim == 3:
        data = data[..., 0]
    if geometry.layout is not SensorLayout.FALLBACK:
        _subtract_black_detail(data, tags, geometry, meta.black)
        if "OpcodeList2" in tags.opcode_lists:          # maps on linear reference values (DNG 1.6 ch. 7)
            apply_opcode_list2(data, parse_opcode_list(tags.opcode_lists["OpcodeList2"]), origin=geometry.phase,
                               black=meta.black, white=meta.white)
    meta = meta.replace(extra={**meta.extra, "decoder": decoder, "visible_size": data.shape[:2]})
    return Frame(data=data, meta=meta)


# ----------------------------------------------------------------------------- small helpers


def _clean(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    value = str(value).strip("\x00 ").strip()
    return value or None


def _first(value):
    """The first of a multi-valued EXIF field (ISOSpeedRatings may hold several)."""
    return value[0] if isinstance(value, (tuple, list)) and value else value


def _positive(value) -> float | None:
    """A positive number from an EXIF value: int, float, (num, den) or a sequence of them."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and all(isinstance(v, int) for v in value):
            num, den = value
            value = num / den if den else 0.0
        elif value:
            return _positive(value[0])
        else:
            return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value > 0 and np.isfinite(value) else None
