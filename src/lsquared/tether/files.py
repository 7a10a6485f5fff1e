"""Which files in a watched folder are pictures, and when one is complete.

A file is sent only when (1) its name is a raw, image or video name and not an editor's or
writer's temporary (dot files, ``~`` files, ``.tmp``/``.part``/``.crdownload`` ...), (2) its
size and modification time have not changed for the settle time, and (3) it opens as what
its name says: a raw through lsquared.io.raw (LibRaw; DNG tags are checked against the file
size, so a truncated copy is refused), an image through Pillow with every pixel decoded, a
video through PyAV with its index (an MP4/MOV being recorded has no ``moov`` box yet).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError, LsquaredError, UnsupportedError

VIDEO_SUFFIXES = frozenset(".mp4 .mov .m4v".split())
TEMP_SUFFIXES = frozenset(".tmp .temp .part .partial .crdownload .download .swp .lock .~tmp".split())


def _suffix_sets():
    from ..io.files import PICTURE_SUFFIXES, RAW_SUFFIXES     # one list of names for batch and tether

    return RAW_SUFFIXES, PICTURE_SUFFIXES


def kind_by_name(path: Path) -> str | None:
    """'raw', 'image' or 'video' from the name alone; None for anything not to send."""
    name = path.name
    if not name or name.startswith((".", "~", "#")) or name.endswith(("~", "#")):
        return None
    suffix = path.suffix.lower()
    if suffix in TEMP_SUFFIXES or any(part.startswith(".") for part in path.parts[-2:-1]):
        return None
    raws, pictures = _suffix_sets()
    if suffix in raws:
        return "raw"
    if suffix in pictures:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return None


def check_opens(path: Path, kind: str) -> None:
    """InputError unless ``path`` opens completely as a ``kind`` file."""
    if kind == "raw":
        from ..io.raw import read_metadata

        decoder = str(read_metadata(path).extra.get("decoder", ""))
        if decoder.startswith("none"):            # e.g. a GoPro GPR: a DNG LibRaw cannot decode
            raise UnsupportedError(f"cannot be decoded: {decoder}", path=path)
    elif kind == "image":
        from ..io.image import PICTURE_ERRORS, open_picture

        try:
            with open_picture(path) as im:
                im.load()              # a truncated JPEG/PNG fails here (LOAD_TRUNCATED_IMAGES is off)
        except PICTURE_ERRORS as exc:
            raise InputError(f"not a complete image ({exc})", path=path) from None
    elif kind == "video":
        import av

        try:
            with av.open(str(path)) as container:
                if not container.streams.video:
                    raise InputError("has no video stream", path=path)
                if container.duration is None and not container.streams.video[0].frames:
                    raise InputError("has no index yet (still being recorded?)", path=path)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise InputError(f"not a complete video ({exc})", path=path) from None
    else:
        raise InputError(f"not a kind of file the tether sends ({kind})", path=path)


def opens_as_named(path: Path) -> str | None:
    """None when the file is complete and readable as its name says; else why not (one line)."""
    kind = kind_by_name(path)
    if kind is None:
        return "not a picture name"
    try:
        check_opens(path, kind)
    except LsquaredError as exc:
        return exc.one_line()
    except Exception as exc:               # a decoder's own error on a half-written file
        return f"{path}: cannot be read ({type(exc).__name__}: {exc})"
    return None


def signature(path: Path) -> tuple[int, int] | None:
    """(size, mtime in ns): what the settle check watches; None when the file is gone."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    return st.st_size, st.st_mtime_ns


def walk(folder: Path, skip: set[Path] = frozenset()):
    """Every candidate file under ``folder`` (recursively: cards have DCIM/100XXXXX), skipping
    dot folders and the state file."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if path not in skip and kind_by_name(path) is not None:
                yield path
