"""What kind of file a name says it is, and a file's content hash: one list and one hash for
every front end that walks folders (batch, tether) or stores uploads (share)."""

from __future__ import annotations

import hashlib
import os

# the raw formats LibRaw reads, by their usual suffixes (LibRaw's own list of supported cameras)
RAW_SUFFIXES = frozenset(
    ".3fr .ari .arw .bay .cap .cr2 .cr3 .crw .dcr .dcs .dng .erf .fff .gpr .iiq .k25 .kdc .mdc .mef .mos .mrw "
    ".nef .nrw .orf .ori .pef .ptx .raf .raw .rw2 .rwl .sr2 .srf .srw .x3f".split())
PICTURE_SUFFIXES = frozenset(".jpg .jpeg .png .tif .tiff .heic .heif .avif .webp".split())


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in 4 MB pieces (hashlib releases the GIL)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()
