"""What an uploaded file is, from its content (never its name).

The first bytes say which family a file claims to be; then the library that will decode it
must accept it: LibRaw (through lsquared.io.raw) for raw files, Pillow (with pillow-heif) for
JPEG/PNG/TIFF/HEIF, PyAV for MP4/MOV.  Anything else is refused (the API answers 415).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import LsquaredError


class NotMedia(LsquaredError):
    """Not an image, raw or video lsquared can read (the API answers 415)."""


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: str           # raw | image | video
    media_type: str     # image/jpeg, image/x-adobe-dng, video/mp4 ...
    extension: str      # for downloads: .jpg .png .tif .heic .dng .raw .mp4 .mov


_VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"qt  ",
                 b"M4V ", b"MSNV", b"dash", b"XAVC", b"3gp4", b"3gp5", b"3g2a", b"mp71"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"hevc", b"hevx"}
_RAW_BRANDS = {b"crx "}          # Canon CR3 (ISO base media file)


def _image(path: Path, fmt_expected: set[str]) -> Sniffed | None:
    from ..io.image import PICTURE_ERRORS, open_picture

    try:
        with open_picture(path) as im:
            fmt = (im.format or "").upper()
            im.size  # header parsed
    except PICTURE_ERRORS:
        return None
    if fmt not in fmt_expected:
        return None
    media = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "TIFF": ("image/tiff", ".tif"),
             "HEIF": ("image/heif", ".heic"), "AVIF": ("image/avif", ".avif")}[fmt]
    return Sniffed("image", *media)


def _raw(path: Path) -> Sniffed | None:
    from ..io import dngtags
    from ..io.raw import read_metadata

    try:
        if dngtags.read_dng_tags(path) is not None:
            # tags alone (cheap); a DNG whose compression no decoder here reads (GoPro's VC-5
            # GPR) is refused now rather than failing in the worker
            if str(read_metadata(path).extra.get("decoder", "")).startswith("none"):
                return None
            return Sniffed("raw", "image/x-adobe-dng", ".dng")
        read_metadata(path)
    except LsquaredError:
        return None
    return Sniffed("raw", "image/x-raw", ".raw")


def _video(path: Path) -> Sniffed | None:
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            fmt = container.format.name
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    if "mp4" not in fmt and "mov" not in fmt:
        return None
    with open(path, "rb") as f:
        head = f.read(12)
    is_qt = head[8:12] == b"qt  " or head[4:8] in (b"moov", b"wide", b"mdat", b"free")
    return Sniffed("video", "video/quicktime" if is_qt else "video/mp4", ".mov" if is_qt else ".mp4")


def sniff(path: Path) -> Sniffed:
    """Identify ``path`` by its content; NotMedia when it is nothing lsquared reads."""
    with open(path, "rb") as f:
        head = f.read(64)
    if not head:
        raise NotMedia("the file is empty")
    found: Sniffed | None = None
    if head.startswith(b"\xff\xd8\xff"):
        found = _image(path, {"JPEG"})
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = _image(path, {"PNG"})
    elif head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            found = _image(path, {"HEIF", "AVIF"})
        elif brand in _RAW_BRANDS:
            found = _raw(path)
        else:
            found = _video(path) if brand in _VIDEO_BRANDS else (_video(path) or _raw(path))
    elif head[4:8] in (b"moov", b"wide", b"mdat", b"free"):
        found = _video(path)
    elif head[:4] in (b"II*\x00", b"MM\x00*"):
        # TIFF container: a raw (DNG, NEF, CR2, ARW, ...) or a rendered TIFF image
        found = _raw(path) or _image(path, {"TIFF"})
    else:
        found = _raw(path)          # the other raw families (RAF, ORF, RW2, CRW, X3F, ...)
    if found is None:
        raise NotMedia("not an image, raw or video that lsquared can read",
                       hint="upload JPEG, PNG, TIFF, HEIF, a camera raw, or MP4/MOV")
    return found
