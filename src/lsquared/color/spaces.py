"""RGB colour spaces by primaries and white point, and the matrices between them.

The normalized primary matrix is SMPTE RP 177-1993, eq. (3)-(6): columns are the XYZ of
the primaries scaled so that RGB (1,1,1) is the white point with Y = 1.
Chromaticities: sRGB / Rec.709 (ITU-R BT.709-6), Display P3 (Apple; DCI-P3 primaries, D65),
Rec.2020 (ITU-R BT.2020-2), V-Gamut (Panasonic, "V-Log/V-Gamut Reference manual", 2014).

The spaces' names and chromaticities import without numpy (the CLI's help and the recipe
read them); numpy and the adaptation matrices are imported by the functions that compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ..registry import Registry

if TYPE_CHECKING:
    import numpy as np

D65_XY = (0.3127, 0.3290)
D50_XY = (0.3457, 0.3585)


@dataclass(frozen=True, slots=True)
class RGBSpace:
    name: str
    primaries: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    white: tuple[float, float]
    transfer: str            # name in color.transfer.TRANSFERS: how values are encoded
    description: str         # for ICC profiles and ``info``

    @property
    def to_xyz(self) -> np.ndarray:
        return rgb_to_xyz_matrix(self.primaries, self.white)

    @property
    def from_xyz(self) -> np.ndarray:
        import numpy as np

        return np.linalg.inv(self.to_xyz)


@lru_cache(maxsize=64)
def rgb_to_xyz_matrix(primaries, white) -> np.ndarray:
    import numpy as np

    from .adaptation import xy_to_XYZ

    p = np.array([[x / y, 1.0, (1.0 - x - y) / y] for x, y in primaries]).T  # columns = primaries
    w = xy_to_XYZ(white)
    s = np.linalg.solve(p, w)
    m = p * s[None, :]
    m.setflags(write=False)
    return m


SPACES: Registry[RGBSpace] = Registry("colour space")
_REC709 = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
_P3 = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
_REC2020 = ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))
_VGAMUT = ((0.730, 0.280), (0.165, 0.840), (0.100, -0.030))

SPACES.register("srgb", RGBSpace("srgb", _REC709, D65_XY, "srgb", "sRGB IEC61966-2.1"))
SPACES.register("display-p3", RGBSpace("display-p3", _P3, D65_XY, "srgb", "Display P3"),
                aliases=("p3", "displayp3"))
SPACES.register("rec2020", RGBSpace("rec2020", _REC2020, D65_XY, "rec709", "ITU-R BT.2020"),
                aliases=("bt2020", "rec.2020"))
SPACES.register("rec709", RGBSpace("rec709", _REC709, D65_XY, "rec709", "ITU-R BT.709"),
                aliases=("bt709", "rec.709"))
SPACES.register("vlog", RGBSpace("vlog", _VGAMUT, D65_XY, "vlog", "Panasonic V-Log / V-Gamut"),
                aliases=("v-log", "vlog-vgamut"))
SPACES.register("vgamut", RGBSpace("vgamut", _VGAMUT, D65_XY, "linear", "Panasonic V-Gamut (linear)"),
                aliases=("v-gamut",))
SPACES.register("linear-srgb", RGBSpace("linear-srgb", _REC709, D65_XY, "linear", "Linear Rec.709"),
                aliases=("linear-rec709",))

OUTPUT_SPACES = ("srgb", "display-p3", "rec2020")
INPUT_SPACES = ("srgb", "display-p3", "rec709", "rec2020", "vlog")


def space(name: str) -> RGBSpace:
    return SPACES[name]


def rgb_to_rgb_matrix(src: str | RGBSpace, dst: str | RGBSpace, cat: str = "bradford") -> np.ndarray:
    """Linear src RGB -> linear dst RGB, with chromatic adaptation where whites differ."""
    from .adaptation import adaptation_matrix

    s = SPACES[src] if isinstance(src, str) else src
    d = SPACES[dst] if isinstance(dst, str) else dst
    m = s.to_xyz
    if s.white != d.white:
        m = adaptation_matrix(s.white, d.white, cat) @ m
    return d.from_xyz @ m


def xyz_d50_to_rgb_matrix(dst: str | RGBSpace, cat: str = "bradford") -> np.ndarray:
    """XYZ relative to D50 (the DNG and ICC connection space) -> linear dst RGB."""
    from .adaptation import adaptation_matrix

    d = SPACES[dst] if isinstance(dst, str) else dst
    return d.from_xyz @ adaptation_matrix(D50_XY, d.white, cat)
