"""How video stores colour: Y'CbCr matrices and ranges, colour tags, input spaces.

A decoded video frame holds integer Y'CbCr codes.  Turning them into R'G'B' values in [0, 1]
takes three facts the stream carries in its tags (ITU-T H.273):
- the matrix (luma coefficients Kr, Kb): BT.601-7, BT.709-6, BT.2020-2 (non-constant
  luminance), SMPTE 240M, FCC (H.273 table 4);
- the range: limited ("tv"/"mpeg": Y' in 16..235, C in 16..240 at 8 bits, scaled by 2^(n-8)
  for n bits, BT.709-6 item 4.6 / BT.2100-2 table 9) or full ("pc"/"jpeg": 0..2^n-1, with
  chroma centred on 2^(n-1), BT.2100-2 table 9);
- the bit depth of the pixel format.

Then the R'G'B' values are in some encoded space (Rec.709, V-Log, HLG ...); ``to_vlog``
converts them to the scene-referred intermediate of lsquared (V-Log on V-Gamut), the domain
of every look LUT, and ``compose_lut`` folds that conversion into the look's 3D LUT once
per clip, so the per-pixel work is one LUT lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..color import transfer
from ..color.spaces import SPACES, rgb_to_rgb_matrix
from ..errors import ParameterError, UnsupportedError
from ..kernels.lut3d import apply_lut3d

# --- Y'CbCr matrices: (Kr, Kb), ITU-T H.273 table 4 -----------------------------------
LUMA_COEFFICIENTS = {
    "bt709": (0.2126, 0.0722),
    "bt601": (0.299, 0.114),
    "bt2020": (0.2627, 0.0593),
    "smpte240m": (0.212, 0.087),
    "fcc": (0.30, 0.11),
}

# FFmpeg's AVColorSpace / AVColorPrimaries / AVColorTransferCharacteristic / AVColorRange
# values are the H.273 code points (ranges are FFmpeg's own).
MATRIX_CODES = {1: "bt709", 4: "fcc", 5: "bt601", 6: "bt601", 7: "smpte240m", 9: "bt2020"}
UNSUPPORTED_MATRIX_CODES = {0: "RGB/GBR", 8: "YCgCo", 10: "BT.2020 constant luminance",
                            14: "ICtCp"}
PRIMARIES_NAMES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
                   8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432"}
TRANSFER_NAMES = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m",
                  8: "linear", 9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e",
                  13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084",
                  17: "smpte428", 18: "arib-std-b67"}
RANGE_LIMITED, RANGE_FULL = 1, 2
UNSPECIFIED = 2

# Tags written on graded output: the looks render Rec.709 primaries with the BT.709 transfer.
MATRIX_TAG = {"bt709": 1, "bt601": 6, "bt2020": 9, "smpte240m": 7, "fcc": 4}
REC709_PRIMARIES_TAG = 1
REC709_TRANSFER_TAG = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class YCbCrCoding:
    """How R'G'B' in [0, 1] is stored as integer Y'CbCr codes."""

    matrix: str = "bt709"          # a key of LUMA_COEFFICIENTS
    full_range: bool = False
    bit_depth: int = 8

    def levels(self) -> tuple[float, float, float, float]:
        """(y_black, y_span, c_zero, c_span) in codes: Y' = y_black + y_span * E'_Y."""
        scale = float(1 << (self.bit_depth - 8))
        if self.full_range:
            top = float((1 << self.bit_depth) - 1)
            return 0.0, top, float(1 << (self.bit_depth - 1)), top
        return 16.0 * scale, 219.0 * scale, 128.0 * scale, 224.0 * scale

    def rgb_to_ycbcr(self) -> tuple[np.ndarray, np.ndarray]:
        """(M, offset) with codes = M @ rgb + offset (float64)."""
        kr, kb = LUMA_COEFFICIENTS[self.matrix]
        kg = 1.0 - kr - kb
        # E'_Y = Kr R + Kg G + Kb B; E'_Cb = (B - Y) / (2 (1 - Kb)); E'_Cr = (R - Y) / (2 (1 - Kr))
        m = np.array([
            [kr, kg, kb],
            [-kr / (2 * (1 - kb)), -kg / (2 * (1 - kb)), 0.5],
            [0.5, -kg / (2 * (1 - kr)), -kb / (2 * (1 - kr))],
        ])
        y0, ys, c0, cs = self.levels()
        return np.diag([ys, cs, cs]) @ m, np.array([y0, c0, c0])

    def ycbcr_to_rgb(self) -> tuple[np.ndarray, np.ndarray]:
        """(M, offset) with rgb = M @ (codes - offset) (float64)."""
        m, off = self.rgb_to_ycbcr()
        return np.linalg.inv(m), off


def default_matrix(height: int, primaries_code: int) -> str:
    """The matrix to assume when a stream leaves it unspecified (what players do)."""
    if primaries_code == 9:
        return "bt2020"
    return "bt709" if height >= 720 else "bt601"


def coding_from_tags(*, colorspace: int, color_range: int, primaries: int, height: int,
                     bit_depth: int, jpeg_format: bool, source: str = "") -> YCbCrCoding:
    """The Y'CbCr coding of a stream from its H.273 tags (unspecified -> the usual guess)."""
    if colorspace in UNSUPPORTED_MATRIX_CODES:
        raise UnsupportedError(f"{UNSUPPORTED_MATRIX_CODES[colorspace]} colour matrix is not supported",
                               path=source or None, hint="convert to BT.709/BT.2020 Y'CbCr first")
    matrix = MATRIX_CODES.get(colorspace) or default_matrix(height, primaries)
    full = color_range == RANGE_FULL or (color_range != RANGE_LIMITED and jpeg_format)
    return YCbCrCoding(matrix=matrix, full_range=full, bit_depth=bit_depth)


# --- input spaces ----------------------------------------------------------------------
# BT.2408-7 section 2.1: HLG reference white is 75% signal (scene light 0.2647 of peak) and
# PQ reference white 203 cd/m^2; both are mapped to diffuse white 1.0 of lsquared's scene
# linear (where 18% grey is 0.18), which lands 18% grey on HLG 38% as BT.2408 says.
HLG_REFERENCE_WHITE = float(transfer.hlg_decode(0.75))
PQ_REFERENCE_WHITE = 203.0 / 10000.0

INPUT_SPACES = ("vlog", "rec709", "srgb", "rec2020", "display-p3", "hlg", "pq")


def validate_input_space(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    key = {"bt709": "rec709", "rec.709": "rec709", "v-log": "vlog", "bt2020": "rec2020",
           "arib-std-b67": "hlg", "smpte2084": "pq", "p3": "display-p3"}.get(key, key)
    if key not in INPUT_SPACES:
        raise ParameterError(f"unknown input space '{name}'; choose one of: {', '.join(INPUT_SPACES)}")
    return key


def to_vlog(rgb: np.ndarray, input_space: str) -> np.ndarray:
    """Encoded R'G'B' of ``input_space`` -> V-Log encoded V-Gamut (float64, same shape).

    The spaces stills know (rec709, srgb, rec2020, display-p3) convert exactly as the stills
    path does (lsquared.looks.render.decode_input: the space's transfer decoded, its
    primaries to V-Gamut); hlg and pq decode with BT.2100 and put reference white at 1.0."""
    name = validate_input_space(input_space)
    rgb = np.asarray(rgb, dtype=np.float64)
    if name == "vlog":
        return rgb.copy()
    if name in ("hlg", "pq"):
        linear = (transfer.hlg_decode(rgb) / HLG_REFERENCE_WHITE if name == "hlg"
                  else transfer.pq_decode(rgb) / PQ_REFERENCE_WHITE)
        return transfer.vlog_encode(linear @ rgb_to_rgb_matrix("rec2020", "vgamut").T)
    from ..looks.render import decode_input

    return np.asarray(decode_input(rgb, SPACES.validate(name)), dtype=np.float64)


def compose_lut(look_table: np.ndarray, input_space: str, size: int = 65) -> np.ndarray:
    """A 3D LUT over ``input_space`` codes that equals: to_vlog, then the look's LUT.

    Each grid point is converted exactly and then sampled in the look's table with the same
    tetrahedral kernel the stills path uses, so grid points match stills exactly and only the
    interpolation between them differs (a 65-point grid keeps that well under a code value).
    """
    name = validate_input_space(input_space)
    table = np.ascontiguousarray(look_table, dtype=np.float32)
    if name == "vlog":
        return table
    axis = np.linspace(0.0, 1.0, size)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1)   # [r, g, b]
    vlog = to_vlog(grid, name).astype(np.float32)
    return apply_lut3d(vlog.reshape(size, size * size, 3), table).reshape(size, size, size, 3)


def colorimetric_lut(size: int = 33) -> np.ndarray:
    """V-Log/V-Gamut -> Rec.709 (BT.709 OETF), colorimetric, clipped: the plainest look.

    Used where a look is not given (the preview's original side) and by the tests and the
    benchmark as a look-shaped LUT that does not depend on lsquared.looks.
    """
    axis = np.linspace(0.0, 1.0, size)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1)
    linear = transfer.vlog_decode(grid) @ rgb_to_rgb_matrix("vgamut", "rec709").T
    return transfer.rec709_encode(np.clip(linear, 0.0, 1.0)).astype(np.float32)


def identity_lut(size: int = 2) -> np.ndarray:
    """The identity 3D LUT (exact for tetrahedral interpolation at any size)."""
    axis = np.linspace(0.0, 1.0, size, dtype=np.float32)
    return np.ascontiguousarray(np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1))


# --- what the stream says about its space ------------------------------------------------
_VLOG_WORD = re.compile(r"\bv[-_ ]log\b")
_GAMMA_KEY = re.compile(r"gamma|transfer|trc|colou?r|log|picture|profile")

def detect_input_space(*, transfer_code: int, primaries_code: int, metadata: dict[str, str]) -> str:
    """Input space from the stream: V-Log named in the metadata (Panasonic writes its gamma
    mode into the clip metadata), HLG and PQ by their transfer characteristic, sRGB by
    IEC 61966-2-1, BT.2020 primaries as rec2020; anything else is Rec.709."""
    for key, value in metadata.items():
        value = str(value).lower()
        # "V-Log", "V-Log L", "V_LOG" anywhere; bare "vlog" only under a gamma-like key, so
        # that a title such as "my vlog" does not turn a clip into log footage.
        if _VLOG_WORD.search(value) or (_GAMMA_KEY.search(key.lower()) and "vlog" in value):
            return "vlog"
    if transfer_code == 18:
        return "hlg"
    if transfer_code == 16:
        return "pq"
    if transfer_code == 13:
        return "srgb"
    if primaries_code == 9:
        return "rec2020"
    return "rec709"
