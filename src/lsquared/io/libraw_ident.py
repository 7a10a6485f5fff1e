"""The camera LibRaw identifies, for raws whose make and model are in no EXIF tag.

Headerless and early raws (old Kodak, Casio, some Nikon and Minolta files) carry no EXIF
Make/Model: LibRaw recognises the camera from the file's size and header bytes, using its own
table (``identify()`` in LibRaw's source).  rawpy does not expose that result, so this module
asks LibRaw through its C API (``libraw_init``, ``libraw_open_file``, which parses the header
only, ``libraw_get_iparams``; LibRaw's libraw.h) on the copy of LibRaw that rawpy ships.

``libraw_iparams_t`` (LibRaw 0.20 and later) begins ``char guard[4]; char make[64]; char
model[64]; char software[64]; char normalized_make[64]; char normalized_model[64]``.  Only
that prefix is read; with an older or missing library the answer is None (best effort: the
caller keeps what EXIF said).
"""

from __future__ import annotations

import ctypes
import functools
import os
from pathlib import Path

_GUARD = 4
_FIELD = 64
_MIN_VERSION = (0, 20)


@functools.lru_cache(maxsize=1)
def _library():
    """rawpy's LibRaw as a ctypes library with the four calls typed, or None."""
    try:
        import rawpy
    except ImportError:
        return None
    if tuple(getattr(rawpy, "libraw_version", (0, 0)))[:2] < _MIN_VERSION:
        return None
    folder = Path(rawpy.__file__).parent
    candidates = sorted(folder.glob("libraw*")) + sorted((folder.parent / "rawpy.libs").glob("libraw*"))
    for candidate in candidates:
        try:
            lib = ctypes.CDLL(str(candidate))
            lib.libraw_init.restype = ctypes.c_void_p
            lib.libraw_init.argtypes = [ctypes.c_uint]
            lib.libraw_open_file.restype = ctypes.c_int
            lib.libraw_open_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.libraw_get_iparams.restype = ctypes.c_void_p
            lib.libraw_get_iparams.argtypes = [ctypes.c_void_p]
            lib.libraw_close.restype = None
            lib.libraw_close.argtypes = [ctypes.c_void_p]
            return lib
        except (OSError, AttributeError):
            continue
    return None


def _text(block: bytes, index: int) -> str | None:
    raw = block[_GUARD + _FIELD * index:_GUARD + _FIELD * (index + 1)].split(b"\0", 1)[0]
    text = raw.decode("ascii", "replace").strip()
    return text if text and text.isprintable() else None


def camera_identity(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """(make, model) as LibRaw identifies the file's camera (its normalised names where the
    plain ones are empty), or (None, None) when LibRaw cannot open the file or is not available."""
    lib = _library()
    if lib is None:
        return None, None
    handle = lib.libraw_init(0)
    if not handle:
        return None, None
    try:
        if lib.libraw_open_file(handle, os.fsencode(path)) != 0:
            return None, None
        params = lib.libraw_get_iparams(handle)
        if not params:
            return None, None
        block = ctypes.string_at(params, _GUARD + 5 * _FIELD)
        make = _text(block, 0) or _text(block, 3)
        model = _text(block, 1) or _text(block, 4)
        return make, model
    finally:
        lib.libraw_close(handle)
