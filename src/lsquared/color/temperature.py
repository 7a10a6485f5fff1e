"""Correlated colour temperature and tint <-> CIE xy, by Robertson's method.

Robertson, A. R. (1968), "Computation of correlated color temperature and distribution
temperature", JOSA 58(11).  The 31 isotemperature lines (reciprocal megakelvin, u, v, slope)
are the table of Wyszecki & Stiles, "Color Science" 2nd ed., table 1(3.11), in the CIE 1960
UCS.  Tint follows the convention of the DNG SDK and Adobe's raw converters: the signed
distance from the Planckian locus along the isotemperature line, scaled by -3000, so positive
tint is towards magenta.
"""

from __future__ import annotations

import math

import numpy as np

# (mired, u, v, t): Wyszecki & Stiles table 1(3.11)
ROBERTSON_LINES = np.array([
    (0, 0.18006, 0.26352, -0.24341),
    (10, 0.18066, 0.26589, -0.25479),
    (20, 0.18133, 0.26846, -0.26876),
    (30, 0.18208, 0.27119, -0.28539),
    (40, 0.18293, 0.27407, -0.3047),
    (50, 0.18388, 0.27709, -0.32675),
    (60, 0.18494, 0.28021, -0.35156),
    (70, 0.18611, 0.28342, -0.37915),
    (80, 0.1874, 0.28668, -0.40955),
    (90, 0.1888, 0.28997, -0.44278),
    (100, 0.19032, 0.29326, -0.47888),
    (125, 0.19462, 0.30141, -0.58204),
    (150, 0.19962, 0.30921, -0.70471),
    (175, 0.20525, 0.31647, -0.84901),
    (200, 0.21142, 0.32312, -1.0182),
    (225, 0.21807, 0.32909, -1.2168),
    (250, 0.22511, 0.33439, -1.4512),
    (275, 0.23247, 0.33904, -1.7298),
    (300, 0.2401, 0.34308, -2.0637),
    (325, 0.24792, 0.34655, -2.4681),
    (350, 0.25591, 0.34951, -2.9641),
    (375, 0.264, 0.352, -3.5814),
    (400, 0.27218, 0.35407, -4.3633),
    (425, 0.28039, 0.35577, -5.3762),
    (450, 0.28863, 0.35714, -6.7262),
    (475, 0.29685, 0.35823, -8.5955),
    (500, 0.30505, 0.35907, -11.324),
    (525, 0.3132, 0.35968, -15.628),
    (550, 0.32129, 0.36011, -23.325),
    (575, 0.32931, 0.36038, -40.77),
    (600, 0.33724, 0.36051, -116.45),
])
TINT_SCALE = -3000.0
MIN_KELVIN = 1700.0
MAX_KELVIN = 50000.0


def xy_to_uv(xy) -> tuple[float, float]:
    x, y = float(xy[0]), float(xy[1])
    d = 1.5 - x + 6.0 * y
    return 2.0 * x / d, 3.0 * y / d


def uv_to_xy(u: float, v: float) -> tuple[float, float]:
    d = u - 4.0 * v + 2.0
    return 1.5 * u / d, v / d


def _unit_normal(slope: float) -> tuple[float, float]:
    n = math.hypot(1.0, slope)
    return 1.0 / n, slope / n


def temperature_to_xy(kelvin: float, tint: float = 0.0) -> tuple[float, float]:
    """CIE xy of the point ``tint`` away from the Planckian locus at ``kelvin``."""
    kelvin = min(max(float(kelvin), MIN_KELVIN), MAX_KELVIN)
    r = 1.0e6 / kelvin
    lines = ROBERTSON_LINES
    i = int(np.searchsorted(lines[:, 0], r, side="right")) - 1
    i = min(max(i, 0), len(lines) - 2)
    f = (r - lines[i, 0]) / (lines[i + 1, 0] - lines[i, 0])
    u = lines[i, 1] * (1 - f) + lines[i + 1, 1] * f
    v = lines[i, 2] * (1 - f) + lines[i + 1, 2] * f
    du1, dv1 = _unit_normal(lines[i, 3])
    du2, dv2 = _unit_normal(lines[i + 1, 3])
    du, dv = du1 * (1 - f) + du2 * f, dv1 * (1 - f) + dv2 * f
    n = math.hypot(du, dv)
    offset = tint / TINT_SCALE
    return uv_to_xy(u + du / n * offset, v + dv / n * offset)


def xy_to_temperature(xy) -> tuple[float, float]:
    """(kelvin, tint) of a chromaticity, by Robertson's interpolation between isotemperature lines."""
    u, v = xy_to_uv(xy)
    lines = ROBERTSON_LINES
    last_dt = last_du = last_dv = 0.0
    for i in range(1, len(lines)):
        du, dv = _unit_normal(lines[i, 3])
        uu, vv = u - lines[i, 1], v - lines[i, 2]
        dt = -uu * dv + vv * du            # signed distance to the isotemperature line
        if dt <= 0.0 or i == len(lines) - 1:
            dt = -min(dt, 0.0)
            f = 0.0 if i == 1 else dt / (last_dt + dt)
            kelvin = 1.0e6 / (lines[i - 1, 0] * f + lines[i, 0] * (1 - f))
            uu = u - (lines[i - 1, 1] * f + lines[i, 1] * (1 - f))
            vv = v - (lines[i - 1, 2] * f + lines[i, 2] * (1 - f))
            du, dv = du * (1 - f) + last_du * f, dv * (1 - f) + last_dv * f
            n = math.hypot(du, dv)
            tint = (uu * du / n + vv * dv / n) * TINT_SCALE
            return min(kelvin, MAX_KELVIN), tint
        last_dt, last_du, last_dv = dt, du, dv
    raise AssertionError("unreachable")


# EXIF LightSource codes (EXIF 2.32, tag 0x9208) -> correlated colour temperature in kelvin,
# as used for DNG CalibrationIlluminant interpolation.
LIGHT_SOURCE_KELVIN = {
    1: 5500.0,   # daylight
    2: 4150.0,   # fluorescent
    3: 2850.0,   # tungsten
    4: 5500.0,   # flash
    9: 5500.0,   # fine weather
    10: 6500.0,  # cloudy
    11: 7500.0,  # shade
    12: 6430.0,  # daylight fluorescent (D 5700-7100K)
    13: 5000.0,  # day white fluorescent
    14: 4150.0,  # cool white fluorescent
    15: 3450.0,  # white fluorescent
    16: 2940.0,  # warm white fluorescent
    17: 2856.0,  # standard light A
    18: 4874.0,  # standard light B
    19: 6774.0,  # standard light C
    20: 5503.0,  # D55
    21: 6504.0,  # D65
    22: 7504.0,  # D75
    23: 5003.0,  # D50
    24: 3200.0,  # ISO studio tungsten
}
