"""Finished pictures out and in: JPEG, TIFF, PNG, HEIF and AVIF with EXIF and ICC profiles.

``write_image`` takes integers the pipeline has already quantized (uint8 or uint16, (H, W, 3) RGB
or (H, W) grey), display-encoded in one of the output spaces and already oriented, and writes
them atomically with the space's ICC profile and the picture's EXIF.  ``read_image`` reads an
already rendered picture back as float32 RGB for ``lsquared develop`` on a JPEG/PNG/TIFF.

Encoders (docs/formats.md, "Output formats", has the reasons and the measured costs):
  jpeg  libjpeg-turbo (imagecodecs), 8 bit, standard Huffman tables, strips encoded in parallel and
        joined by restart markers (io/jpeg.py), 4:4:4 at quality >= 90 else 4:2:0
  tiff  tifffile, 8 or 16 bit, Adobe Deflate with horizontal predictor, strips compressed in
        parallel; ICC in tag 34675, baseline Make/Model/... tags and an EXIF IFD
  png   imagecodecs (libpng), 8 or 16 bit, with iCCP and eXIf chunks spliced in after IHDR
  heif  pillow-heif (libheif + x265), 8 bit, or 10 bit from uint16; 4:2:0 (HEVC Main/Main 10,
        what phones and operating systems decode)
  avif  Pillow's own AVIF plugin (libavif + libaom), 8 bit, chroma as for JPEG
"""

from __future__ import annotations

import os
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..color import transfer
from ..color.adaptation import adaptation_matrix
from ..color.spaces import OUTPUT_SPACES, SPACES
from ..orientation import orient
from .atomic import atomic_write
from ..errors import InputError, OutputError, ParameterError, UnsupportedError
from ..frame import Exif
from ..registry import Registry
from . import exif as exif_io
from .icc import ICC_D50_XYZ, icc_profile, identify_space, matrix_trc_model

# --- formats -------------------------------------------------------------------------------

TIFF_DEFLATE_LEVEL = 1          # zlib level: 2.5x faster than 6 for <= 3% larger files (docs)
TIFF_ROWS_PER_STRIP = 64        # small strips let tifffile compress on every core
PNG_DEFLATE_LEVEL = 1           # likewise (libpng compresses on one core)
HEIF_X265_PRESET = "ultrafast"  # x265's "slow" default takes minutes for 24 MP (docs/formats.md)
AVIF_SPEED = 9                  # libaom speed 0..10; Pillow's default 6 takes minutes for 24 MP


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything an encoder needs besides the target path and the pixels."""
    quality: int                    # 0 for the lossless formats (ignored)
    icc: bytes | None               # None: no display profile for this space (V-Log)
    exif: Exif | None
    space: str

    def exif_payload(self, pixels: np.ndarray, orientation: bool = True) -> bytes:
        return exif_io.exif_bytes(self.exif, space=self.space, size=(pixels.shape[1], pixels.shape[0]),
                                  orientation=orientation)


@dataclass(frozen=True, slots=True)
class ImageFormat:
    name: str
    suffix: str
    default_quality: int | None     # None: lossless, quality is ignored
    bits: tuple[int, ...]           # sample depths the file can hold
    encode: Callable[[Path, np.ndarray, _Job], None]


FORMATS: Registry[ImageFormat] = Registry("output format")
SUFFIX_FORMATS = {".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff", ".png": "png",
                  ".heic": "heif", ".heif": "heif", ".avif": "avif"}


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    """uint16 -> uint8 by rounding v / 257 (65535 -> 255 exactly); uint8 passes through."""
    if pixels.dtype == np.uint8:
        return pixels
    return ((pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _pillow_image(pixels: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(_to_uint8(pixels)))


def _encode_jpeg(path: Path, pixels: np.ndarray, job: _Job) -> None:
    from .jpeg import encode_jpeg

    q = job.quality
    # Standard Huffman tables: optimized ones (a second pass) cost 0.33 s on a 24 MP picture at
    # quality 92, 4:4:4 (0.52 s instead of 0.18 s) to save 1.5 % of the file; standard tables
    # also let the strips be encoded in parallel (io/jpeg.py).
    data = encode_jpeg(_to_uint8(pixels), q, chroma_444=q >= 90, exif=job.exif_payload(pixels), icc=job.icc)
    with open(path, "wb") as fh:
        fh.write(data)


def _encode_avif(path: Path, pixels: np.ndarray, job: _Job) -> None:
    from PIL import features

    if not features.check("avif"):
        raise OutputError("this Pillow has no AVIF encoder", path=path,
                          hint="install Pillow >= 11.3 from its wheels, or choose another format")
    q = job.quality
    options = {} if pixels.ndim == 2 else {"subsampling": "4:4:4" if q >= 90 else "4:2:0"}
    # Orientation stays out of the EXIF: Pillow would move it to irot/imir and re-encode the
    # EXIF as pure ASCII on the way (mangling accented names); no irot/imir means upright.
    _pillow_image(pixels).save(path, "AVIF", quality=q, speed=AVIF_SPEED, icc_profile=job.icc,
                               exif=job.exif_payload(pixels, orientation=False), **options)


# ITU-T H.273 code points (colour primaries, transfer characteristics) of the output spaces, for
# the HEVC stream's VUI: what a reader that ignores the ICC profile falls back on.  The matrix is
# BT.601 full range, libheif's RGB -> YCbCr conversion.
_H273 = {"srgb": (1, 13), "display-p3": (12, 13), "rec2020": (9, 1), "rec709": (1, 1), "vlog": (2, 2)}
# Spaces a picture may be written in: the display spaces, plus the two grading intermediates
# (Rec.709 video, and V-Log, which is written without an ICC profile: a colour-managed viewer
# would show log footage as the very dark scene light it encodes, while untagged it shows the
# flat log picture a colourist expects to grade).
WRITABLE_SPACES = (*OUTPUT_SPACES, "rec709", "vlog")


def _encode_heif(path: Path, pixels: np.ndarray, job: _Job) -> None:
    try:
        import pillow_heif
    except ImportError as exc:
        raise OutputError("HEIF output needs pillow-heif", path=path,
                          hint="pip install 'lsquared[heif]'") from exc
    deep = pixels.dtype == np.uint16
    mode = ("RGB;16" if deep else "RGB") if pixels.ndim == 3 else ("I;16" if deep else "L")
    heif = pillow_heif.from_bytes(mode=mode, size=(pixels.shape[1], pixels.shape[0]),
                                  data=np.ascontiguousarray(pixels).tobytes())
    primaries, curve = _H273[job.space]
    heif.save(path, format="HEIF", quality=job.quality, chroma=420, icc_profile=job.icc,
              exif=job.exif_payload(pixels), enc_params={"preset": HEIF_X265_PRESET},
              color_primaries=primaries, transfer_characteristics=curve,
              matrix_coefficients=6, full_range_flag=1)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _encode_png(path: Path, pixels: np.ndarray, job: _Job) -> None:
    """libpng through imagecodecs (Pillow cannot hold 16-bit RGB), then the iCCP chunk
    (PNG 3rd ed. 11.3.2.3: name, 0, method 0, zlib stream) and eXIf (11.3.6.1: the TIFF
    structure without the JPEG "Exif\\0\\0" prefix) spliced in after the 25-byte IHDR."""
    import imagecodecs

    data = imagecodecs.png_encode(np.ascontiguousarray(pixels), level=PNG_DEFLATE_LEVEL)
    name = SPACES[job.space].description.encode("latin-1", "replace")[:79]
    extra = ((_png_chunk(b"iCCP", name + b"\0\0" + zlib.compress(job.icc, 9)) if job.icc else b"")
             + _png_chunk(b"eXIf", job.exif_payload(pixels)[6:]))
    with open(path, "wb") as fh:
        fh.write(data[:33] + extra + data[33:])


def _encode_tiff(path: Path, pixels: np.ndarray, job: _Job) -> None:
    """tifffile, then the EXIF IFD appended (tifffile does not write nested IFDs)."""
    import tifffile

    height, width = pixels.shape[:2]
    ifd0, _ = exif_io.exif_entries(job.exif, space=job.space, size=(width, height))
    extratags = [(tag, typ, 0 if typ == 2 else 1, value, True) for tag, (typ, value) in ifd0.items()]
    extratags.append(exif_io.TIFF_EXIF_PLACEHOLDER)
    tifffile.imwrite(path, pixels, photometric="rgb" if pixels.ndim == 3 else "minisblack",
                     compression="zlib", compressionargs={"level": TIFF_DEFLATE_LEVEL},
                     predictor=True, rowsperstrip=TIFF_ROWS_PER_STRIP, maxworkers=os.cpu_count(),
                     iccprofile=job.icc, extratags=extratags, software=False, metadata=None,
                     byteorder="<", bigtiff=False)
    exif_io.attach_tiff_exif(path, job.exif, space=job.space, size=(width, height))


FORMATS.register("jpeg", ImageFormat("jpeg", ".jpg", 92, (8,), _encode_jpeg), aliases=("jpg",))
FORMATS.register("tiff", ImageFormat("tiff", ".tif", None, (8, 16), _encode_tiff), aliases=("tif",))
FORMATS.register("png", ImageFormat("png", ".png", None, (8, 16), _encode_png))
FORMATS.register("heif", ImageFormat("heif", ".heic", 60, (8, 10), _encode_heif), aliases=("heic",))
FORMATS.register("avif", ImageFormat("avif", ".avif", 90, (8,), _encode_avif))


def format_for_path(path: str | os.PathLike, format: str | None = None) -> str:
    """The canonical format name: ``format`` if given, else from the suffix, else "jpeg"."""
    if format is not None:
        return FORMATS.validate(format)
    return SUFFIX_FORMATS.get(Path(path).suffix.lower(), "jpeg")


def _check_pixels(pixels: np.ndarray) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"write_image takes uint8 or uint16 pixels, not {pixels.dtype} "
                         "(quantize in the pipeline)")
    if not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)) or 0 in pixels.shape:
        raise ValueError(f"write_image takes (H, W, 3) RGB or (H, W) grey, not {pixels.shape}")
    return pixels


def write_image(path: str | os.PathLike, pixels: np.ndarray, *, format: str | None = None,
                quality: int | None = None, exif: Exif | None = None, space: str = "srgb",
                overwrite: bool = False) -> Path:
    """Write a finished picture with its ICC profile and EXIF; returns the path written.

    ``pixels``: uint8 or uint16, (H, W, 3) or (H, W) grey, oriented, display-encoded in
    ``space`` (srgb, display-p3, rec2020).  ``format``: jpeg, tiff, png, heif, avif (None: from
    the suffix, else jpeg).  ``quality``: 1..100 for the lossy formats (JPEG 92, HEIF 60,
    AVIF 90 by default: on the Kodak set HEIF and AVIF then match or beat JPEG's PSNR in
    smaller files), ignored by the lossless ones.  uint16 goes to 8-bit-only formats
    rounded to 8 bits, to HEIF as 10 bits.  Raises OutputError (existing file without
    ``overwrite``, missing or unwritable folder, disk full) and never leaves a partial file."""
    pixels = _check_pixels(pixels)
    fmt = FORMATS[format_for_path(path, format)]
    key = SPACES.validate(space)
    if key not in WRITABLE_SPACES:
        raise ParameterError(f"unknown output space '{space}'; choose one of: {', '.join(WRITABLE_SPACES)}")
    if quality is not None and not (isinstance(quality, (int, np.integer)) and 1 <= quality <= 100):
        raise ParameterError(f"quality must be a whole number from 1 to 100, not {quality!r}")
    job = _Job(quality=int(quality if quality is not None else (fmt.default_quality or 0)),
               icc=None if key == "vlog" else icc_profile(key, grey=pixels.ndim == 2), exif=exif, space=key)
    return atomic_write(path, lambda tmp: fmt.encode(tmp, pixels, job), overwrite=overwrite)


# --- reading -------------------------------------------------------------------------------

READABLE = "JPEG, PNG, TIFF, HEIF or AVIF"

def _check_input(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file", path=path, hint="check the name")
    if path.is_dir():
        raise InputError("is a folder, not an image file", path=path, hint="name a picture file")


def _read_head(path: Path, n: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def _picture_signature(head: bytes) -> bool:
    """Does the file start like a JPEG, PNG or HEIF/AVIF (ISO-BMFF "ftyp") picture?  Then a
    decoder that cannot identify it met a damaged file, not some other kind of file."""
    return (head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n"
            or (head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"avif", b"avis", b"msf1")))


_TIFF_MAGIC = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")
_DNG_VERSION = 50706


def _read_tiff(path: Path):
    """tifffile for the pixels (Pillow cannot hold 16-bit RGB or float TIFFs), Pillow's EXIF
    reader for IFD0 and the EXIF IFD."""
    import tifffile
    from PIL import Image

    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        if _DNG_VERSION in page.tags:
            raise InputError("is a camera raw file (DNG), not a rendered picture", path=path,
                             hint="develop it as a raw file")
        photometric = page.photometric
        if photometric in (tifffile.PHOTOMETRIC.SEPARATED, tifffile.PHOTOMETRIC.CIELAB,
                           tifffile.PHOTOMETRIC.ICCLAB, tifffile.PHOTOMETRIC.ITULAB):
            name = "CMYK" if photometric == tifffile.PHOTOMETRIC.SEPARATED else photometric.name
            raise UnsupportedError(f"{name} TIFF pictures are not supported", path=path,
                                   hint="convert the picture to RGB first")
        data = page.asarray()
        if photometric == tifffile.PHOTOMETRIC.PALETTE:
            data = np.moveaxis(tifffile.apply_colormap(data, page.colormap), 0, -1)
        elif page.planarconfig == tifffile.PLANARCONFIG.SEPARATE and data.ndim == 3:
            data = np.moveaxis(data, 0, -1)
        if photometric == tifffile.PHOTOMETRIC.MINISWHITE:
            data = (np.iinfo(data.dtype).max - data) if data.dtype.kind == "u" else 1.0 - data
        icc = page.iccprofile
    with open(path, "rb") as fh:
        block = Image.Exif()
        block.load_from_fp(fh)
        block.get_ifd(exif_io.EXIF_IFD)                   # read while the file is open
    return data, icc, block


def _decode_heif(path: Path) -> np.ndarray:
    """pillow-heif gives 10- and 12-bit pictures as uint16 shifted left (1023 -> 65472):
    scaled here so that white is 1.0."""
    import pillow_heif

    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=False)
    data = np.asarray(heif)
    depth = int(heif.info.get("bit_depth", 8))
    if data.dtype == np.uint16 and 8 < depth < 16:
        return data.astype(np.float32) * np.float32(1.0 / (((1 << depth) - 1) << (16 - depth)))
    return data


def _decode_pillow(im) -> np.ndarray:
    if im.mode in ("P", "PA", "1", "YCbCr"):
        im = im.convert("RGBA" if "transparency" in im.info or im.mode == "PA" else "RGB")
    return np.asarray(im)


def _normalize(data: np.ndarray, path: Path) -> np.ndarray:
    """Integers or floats (H, W[, C]) -> float32 (H, W, 3) in [0, 1]; grey is repeated and
    alpha dropped (the picture is developed as if composed on nothing)."""
    if data.ndim == 3 and data.shape[2] in (2, 4):
        data = data[..., :-1]
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[..., 0]
    if data.ndim not in (2, 3) or (data.ndim == 3 and data.shape[2] != 3):
        raise UnsupportedError(f"images of shape {data.shape} are not supported", path=path,
                               hint="give an RGB or grey picture")
    if data.dtype.kind == "u":
        out = data.astype(np.float32) * np.float32(1.0 / np.iinfo(data.dtype).max)
    elif data.dtype.kind == "i":
        out = np.clip(data.astype(np.float32) * np.float32(1.0 / np.iinfo(data.dtype).max), 0.0, 1.0)
    else:
        out = np.clip(data.astype(np.float32), 0.0, 1.0)
    if out.ndim == 2:
        out = np.repeat(out[..., None], 3, axis=2)
    return np.ascontiguousarray(out)


def _into_known_space(pixels: np.ndarray, icc: bytes, path: Path) -> tuple[np.ndarray, str | None]:
    """Pixels tagged with a profile we do not recognise (Adobe RGB, ProPhoto, a monitor's
    profile): converted through its matrix and curves to Rec.2020, which holds every common
    working space's gamut but ProPhoto's extremes (those clip).  LUT-based or broken profiles:
    the pixels are kept and called untagged, with a warning."""
    model = matrix_trc_model(icc)
    if model is None:
        warnings.warn(f"{path}: its ICC profile is neither recognised nor a matrix/TRC profile; "
                      "the pixels are used as they are (use --input-space to say what they are)",
                      stacklevel=3)
        return pixels, None
    decode, to_pcs = model
    target = SPACES["rec2020"]
    m = target.from_xyz @ adaptation_matrix(ICC_D50_XYZ, target.white, "bradford") @ to_pcs
    out = np.empty_like(pixels)
    for y in range(0, pixels.shape[0], 256):         # bands keep the float64 work small
        linear = decode(pixels[y:y + 256]) @ m.T
        out[y:y + 256] = transfer.encode(np.clip(linear, 0.0, 1.0), target.transfer)
    return out, "rec2020"


# what Pillow raises for a file that is not (or not wholly) a picture it can read
PICTURE_ERRORS = (OSError, ValueError, SyntaxError)      # UnidentifiedImageError is an OSError


def open_picture(path: str | os.PathLike):
    """``PIL.Image.open`` with HEIF/AVIF readable where pillow-heif is installed: the one
    place that teaches Pillow those formats (read_image, the share service's sniffing and
    the tether's completeness check all open pictures through it)."""
    from PIL import Image

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    return Image.open(path)


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, str | None, Exif]:
    """A rendered picture as (float32 (H, W, 3) in [0, 1] upright, space name or None, Exif).

    The space comes from the embedded ICC profile (``identify_space``); a profile that names
    none of lsquared's spaces is converted to Rec.2020; None means there is no profile.
    Raises InputError (UnsupportedError for CMYK and the like) with one line naming the file."""
    from PIL import UnidentifiedImageError

    p = Path(path)
    _check_input(p)
    try:
        magic = _read_head(p, 4)
        if magic in _TIFF_MAGIC:
            data, icc, exif_block = _read_tiff(p)
        else:
            with open_picture(p) as im:
                exif_block, icc = im.getexif(), im.info.get("icc_profile")
                if im.mode in ("CMYK", "LAB", "HSV"):
                    raise UnsupportedError(f"{im.mode} pictures are not supported", path=p,
                                           hint="convert the picture to RGB first")
                if im.format == "PNG":               # Pillow reads 16-bit RGB PNG as 8 bit
                    import imagecodecs
                    data = imagecodecs.png_decode(p.read_bytes())
                elif im.format == "HEIF":            # pillow-heif keeps 10 bits this way
                    data = _decode_heif(p)
                else:
                    im.load()
                    data = _decode_pillow(im)
    except UnidentifiedImageError as exc:
        if _picture_signature(_read_head(p, 12)):
            raise InputError("cannot decode the picture, it is truncated or corrupt", path=p,
                             hint="re-export or copy the file again") from exc
        raise InputError(f"not a picture lsquared can read ({READABLE})", path=p,
                         hint="for camera raw files use the raw reader") from exc
    except InputError:
        raise
    except Exception as exc:
        # Pillow raises OSError/SyntaxError/ValueError on truncated data, the codecs their own
        # error classes; a bug of ours (any other module) keeps its traceback.
        origin = type(exc).__module__.split(".")[0]
        if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError, struct.error)) or \
                origin in ("imagecodecs", "tifffile", "pillow_heif", "PIL"):
            raise InputError(f"cannot decode the picture, it is truncated or corrupt ({exc})",
                             path=p, hint="re-export or copy the file again") from exc
        raise
    pixels = _normalize(data, p)
    pixels = np.ascontiguousarray(orient(pixels, exif_io.exif_orientation(exif_block)))
    space = identify_space(icc) if icc else None
    if icc and space not in SPACES:
        pixels, space = _into_known_space(pixels, icc, p)
    return pixels, space, exif_io.parse_exif(exif_block)
