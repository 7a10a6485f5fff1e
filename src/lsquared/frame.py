"""A Frame is pixels plus the metadata that says what they are.

Every operation takes a Frame and returns a new one; the metadata travels with the
buffer (as in vkdt), so a step never has to guess the encoding or the sensor layout.

Conventions
-----------
- ``data`` is float32 from the moment io.raw hands it over (uint16 only inside io),
  (H, W) for a mosaic or a monochrome sensor, (H, W, 3) channel-last otherwise.
- Until ``levels`` runs, values are raw sensor counts; afterwards 0 is black and 1 is the
  sensor's white level (saturation) for every photosite.
- The 2x2 CFA pattern is written top-left first in reading order, e.g. "RGGB".
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:       # numpy is imported where it is used: the schema modules the CLI's help
    import numpy as np  # reads (ops/params.py, ops/demosaic) import this module without numpy


class Encoding(enum.Enum):
    RAW = "raw"                # sensor counts, black not subtracted
    CFA = "cfa"                # mosaic, normalized linear camera values
    MONO = "mono"              # one channel per pixel, normalized linear (no colour filter)
    CAMERA_RGB = "camera_rgb"  # three channels per pixel, normalized linear camera RGB
    VGAMUT = "vgamut"          # scene-referred linear V-Gamut (D65)
    VLOG = "vlog"              # V-Log encoded V-Gamut: the one scene-referred intermediate
    DISPLAY = "display"        # output space, display-encoded (the look has run)


class SensorLayout(enum.Enum):
    BAYER = "bayer"            # 2x2 colour filter array, demosaic needed
    MONO = "mono"              # no colour filter (Leica Monochrom): no demosaic
    LINEAR_RGB = "linear_rgb"  # already three samples per pixel (DNG LinearRaw)
    FALLBACK = "fallback"      # X-Trans and other layouts: LibRaw demosaics for us


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraColor:
    """The camera's colour description, in the DNG specification's terms (DNG 1.6, ch. 6).

    ``color_matrix`` maps XYZ to reference camera space under its calibration illuminant,
    ``forward_matrix`` maps white-balanced camera space to XYZ(D50), ``camera_calibration``
    maps reference camera space to this individual camera.  Index 0 and 1 are the two
    calibration illuminants (EXIF LightSource codes); ``None`` where the file has no second one.
    For non-DNG files LibRaw's single matrix is stored as ``color_matrix[0]`` with illuminant D65.
    """

    color_matrix: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    forward_matrix: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    camera_calibration: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    illuminant: tuple[int | None, int | None] = (21, None)   # 21 = D65, 17 = Standard light A
    analog_balance: np.ndarray | None = None
    source: str = "none"      # "dng" (the file's own tags), "libraw", or "none" (no matrix known)

    @property
    def has_matrix(self) -> bool:
        return self.color_matrix[0] is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Exif:
    """What the picture's EXIF says, the fields we carry to the output and show in ``info``."""

    make: str | None = None
    model: str | None = None
    lens_make: str | None = None
    lens_model: str | None = None
    exposure_time: float | None = None     # seconds
    f_number: float | None = None
    iso: float | None = None
    focal_length: float | None = None      # mm
    datetime_original: str | None = None   # "YYYY:MM:DD HH:MM:SS" as EXIF writes it
    artist: str | None = None
    copyright: str | None = None
    software: str | None = None
    serial_number: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameMeta:
    source: str = ""
    exif: Exif = field(default_factory=Exif)
    layout: SensorLayout = SensorLayout.BAYER
    cfa: str | None = "RGGB"               # 2x2 pattern, None where there is no Bayer CFA
    black: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # per 2x2 position (or channel)
    white: float = 1.0
    linearization: np.ndarray | None = None    # DNG LinearizationTable, applied by io.raw
    as_shot_neutral: tuple[float, float, float] = (1.0, 1.0, 1.0)   # camera RGB of a neutral, G=1
    wb_multipliers: tuple[float, float, float] | None = None       # applied by white_balance
    camera_color: CameraColor = field(default_factory=CameraColor)
    baseline_exposure: float = 0.0          # EV, DNG BaselineExposure (+ BaselineExposureOffset)
    orientation: int = 1                    # EXIF orientation 1..8
    encoding: Encoding = Encoding.RAW
    space: str = "camera"                   # colour space name for RGB encodings
    raw_size: tuple[int, int] = (0, 0)      # (height, width) of the full sensor readout
    bits_per_sample: int = 16
    warnings: tuple[str, ...] = ()          # notes gathered on the way (fallbacks, uncorrected lens)
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific details for ``info``

    def replace(self, **changes: Any) -> "FrameMeta":
        return dataclasses.replace(self, **changes)

    def warn(self, message: str) -> "FrameMeta":
        return dataclasses.replace(self, warnings=self.warnings + (message,))


@dataclass(frozen=True, slots=True)
class Frame:
    data: np.ndarray
    meta: FrameMeta

    def replace(self, **changes: Any) -> "Frame":
        return dataclasses.replace(self, **changes)

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])


CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")


def cfa_channel_map(pattern: str) -> np.ndarray:
    """2x2 array of channel indices (R=0, G=1, B=2) for a Bayer pattern like "GRBG"."""
    pattern = pattern.upper()
    if pattern not in CFA_PATTERNS:
        raise ValueError(f"unknown Bayer pattern {pattern!r}; expected one of {CFA_PATTERNS}")
    import numpy as np

    index = {"R": 0, "G": 1, "B": 2}
    return np.array([[index[pattern[0]], index[pattern[1]]], [index[pattern[2]], index[pattern[3]]]],
                    dtype=np.int64)
