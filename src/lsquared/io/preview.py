"""How the camera itself would show a raw file: its embedded preview, and the brightness its
maker declares (DNG BaselineExposure), for the default-brightness estimate
(estimators/brightness.py).

Cameras store a rendered JPEG (or, in older bodies and in DNGs, an uncompressed RGB image)
beside the sensor data: the picture shown on the camera's screen.  In a DNG it is an IFD with
NewSubFileType 1 (reduced resolution) and RGB or YCbCr samples (DNG 1.6, ch. 3, "Preview
images"); other formats are read with LibRaw's thumbnail extraction.  This is best effort: a
file without a usable preview, or with a damaged one, answers None and the develop falls back
to the declared or the default brightness; it never fails because of a preview.

(Other formats' thumbnails come from io.raw.read_thumbnail, the one place that opens LibRaw.)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIN_SIDE = 32                   # a smaller preview says too little about the picture
MAX_PIXELS = 50_000_000         # and a larger one is not a preview


@dataclass(frozen=True, slots=True)
class CameraRendering:
    preview: np.ndarray | None          # uint8 (h, w, 3), display-encoded (sRGB), or None
    baseline_exposure: float | None     # DNG BaselineExposure + BaselineExposureOffset, if declared


def camera_rendering(path: str | os.PathLike) -> CameraRendering:
    path = Path(path)
    if not path.is_file():
        return CameraRendering(None, None)
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        preview, baseline, is_dng = _from_tiff(path)
        if is_dng:
            return CameraRendering(preview, baseline)
        if preview is not None:
            return CameraRendering(preview, None)
    return CameraRendering(_from_libraw(path), None)


def _usable(a) -> np.ndarray | None:
    if a is None:
        return None
    a = np.asarray(a)
    if a.ndim != 3 or a.shape[2] < 3 or a.dtype != np.uint8:
        return None
    if min(a.shape[:2]) < MIN_SIDE or a.shape[0] * a.shape[1] > MAX_PIXELS:
        return None
    return np.ascontiguousarray(a[..., :3])


def _from_tiff(path: Path) -> tuple[np.ndarray | None, float | None, bool]:
    import tifffile

    from .dngtags import quiet_logging

    try:
        with quiet_logging("tifffile"), tifffile.TiffFile(path) as tf:
            ifd0 = tf.pages.first
            is_dng = 50706 in ifd0.tags
            baseline = None
            if is_dng and 50730 in ifd0.tags:
                baseline = _rational(ifd0.tags[50730].value)
                if baseline is not None and 51109 in ifd0.tags:
                    offset = _rational(ifd0.tags[51109].value)
                    baseline += offset or 0.0
            pages = [ifd0] + [p for p in (ifd0.pages or []) if p is not None]
            best = None
            for page in pages:
                subfile = int(page.tags[254].value) if 254 in page.tags else 0
                if not subfile & 1 or int(page.photometric) not in (2, 6) or page.samplesperpixel < 3:
                    continue
                if page.bitspersample != 8 or page.shape[0] * page.shape[1] > MAX_PIXELS:
                    continue
                if best is None or page.shape[0] * page.shape[1] > best.shape[0] * best.shape[1]:
                    best = page
            preview = _usable(best.asarray()) if best is not None else None
            return preview, baseline, is_dng
    except Exception:            # noqa: BLE001 - a damaged preview only means no preview
        return None, None, False


def _rational(value) -> float | None:
    """A tifffile (S)RATIONAL value (num, den) as a finite float, else None."""
    try:
        num, den = value if isinstance(value, tuple) and len(value) == 2 else (value, 1)
        v = float(num) / float(den)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) else None


def _from_libraw(path: Path) -> np.ndarray | None:
    from .raw import read_thumbnail

    try:
        thumb = read_thumbnail(path)
    except Exception:            # noqa: BLE001 - no thumbnail, an odd one, or not a raw at all
        return None
    return _usable(thumb[0]) if thumb is not None else None
