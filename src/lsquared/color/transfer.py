"""Transfer functions (encodings), as numpy array functions (the fused kernel's V-Log, a
vectorizable float32 form of the same formula, is kernels/tail.py's ``vlog_row``).

Sources of the formulas and constants:
- sRGB: IEC 61966-2-1:1999, section 5.2.
- Rec.709 / Rec.2020 OETF: ITU-R BT.709-6 item 1.2 and BT.2020-2 table 4 (the precise
  alpha = 1.09929682680944, beta = 0.018053968510807 of BT.2020 for both).
- V-Log: Panasonic, "V-Log/V-Gamut Reference Manual" (2014-11-28), section 2.
  cut1 = 0.01, b = 0.00873, c = 0.241514, d = 0.598206; 18% grey encodes to 0.4233.
- HLG: ITU-R BT.2100-2 table 5.  PQ: SMPTE ST 2084:2014, with 1.0 = 10000 cd/m^2.

Linear values are scene or display light relative to diffuse white = 1 (V-Log: reflectance
with 18% grey = 0.18).  Encoders clamp negative inputs of power segments to 0; the linear
toe segments pass negative values through, as the standards define.
"""

from __future__ import annotations

import math

import numpy as np

from ..registry import Registry

# --- V-Log -------------------------------------------------------------------------------
VLOG_CUT1 = 0.01
VLOG_CUT2 = 0.181
VLOG_B = 0.00873
VLOG_C = 0.241514
VLOG_D = 0.598206

# --- Rec.709 / Rec.2020 ------------------------------------------------------------------
BT_ALPHA = 1.09929682680944
BT_BETA = 0.018053968510807

# --- HLG ---------------------------------------------------------------------------------
HLG_A = 0.17883277
HLG_B = 1.0 - 4.0 * HLG_A
HLG_C = 0.5 - HLG_A * math.log(4.0 * HLG_A)

# --- PQ ----------------------------------------------------------------------------------
PQ_M1 = 2610.0 / 16384.0
PQ_M2 = 2523.0 / 4096.0 * 128.0
PQ_C1 = 3424.0 / 4096.0
PQ_C2 = 2413.0 / 4096.0 * 32.0
PQ_C3 = 2392.0 / 4096.0 * 32.0


def vlog_encode(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x < VLOG_CUT1, 5.6 * x + 0.125,
                    VLOG_C * np.log10(np.maximum(x, VLOG_CUT1) + VLOG_B) + VLOG_D)


def vlog_decode(y):
    y = np.asarray(y, dtype=np.float64)
    return np.where(y < VLOG_CUT2, (y - 0.125) / 5.6,
                    10.0 ** ((np.maximum(y, VLOG_CUT2) - VLOG_D) / VLOG_C) - VLOG_B)


def srgb_encode(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.maximum(x, 0.0031308) ** (1 / 2.4) - 0.055)


def srgb_decode(y):
    y = np.asarray(y, dtype=np.float64)
    return np.where(y <= 0.04045, y / 12.92, ((np.maximum(y, 0.04045) + 0.055) / 1.055) ** 2.4)


def rec709_encode(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x < BT_BETA, 4.5 * x, BT_ALPHA * np.maximum(x, BT_BETA) ** 0.45 - (BT_ALPHA - 1))


def rec709_decode(y):
    y = np.asarray(y, dtype=np.float64)
    return np.where(y < 4.5 * BT_BETA, y / 4.5,
                    ((np.maximum(y, 4.5 * BT_BETA) + (BT_ALPHA - 1)) / BT_ALPHA) ** (1 / 0.45))


def hlg_encode(x):
    """BT.2100 HLG OETF, scene light E in [0, 1]."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    return np.where(x <= 1 / 12, np.sqrt(3 * x),
                    HLG_A * np.log(np.maximum(12 * x - HLG_B, 1e-12)) + HLG_C)


def hlg_decode(y):
    y = np.maximum(np.asarray(y, dtype=np.float64), 0.0)
    return np.where(y <= 0.5, y * y / 3, (np.exp((y - HLG_C) / HLG_A) + HLG_B) / 12)


def pq_encode(x):
    """ST 2084 inverse EOTF, display light with 1.0 = 10000 cd/m^2."""
    yp = np.maximum(np.asarray(x, dtype=np.float64), 0.0) ** PQ_M1
    return ((PQ_C1 + PQ_C2 * yp) / (1 + PQ_C3 * yp)) ** PQ_M2


def pq_decode(y):
    ep = np.maximum(np.asarray(y, dtype=np.float64), 0.0) ** (1 / PQ_M2)
    return (np.maximum(ep - PQ_C1, 0.0) / (PQ_C2 - PQ_C3 * ep)) ** (1 / PQ_M1)


def _identity(x):
    return np.asarray(x, dtype=np.float64)


TRANSFERS: Registry[tuple] = Registry("transfer function")
TRANSFERS.register("linear", (_identity, _identity))
TRANSFERS.register("srgb", (srgb_encode, srgb_decode))
TRANSFERS.register("rec709", (rec709_encode, rec709_decode), aliases=("bt709", "rec2020", "bt1886-oetf"))
TRANSFERS.register("vlog", (vlog_encode, vlog_decode), aliases=("v-log",))
TRANSFERS.register("hlg", (hlg_encode, hlg_decode), aliases=("arib-std-b67",))
TRANSFERS.register("pq", (pq_encode, pq_decode), aliases=("st2084", "smpte2084"))


def encode(x, transfer: str):
    """Linear -> encoded with the named transfer function."""
    return TRANSFERS[transfer][0](x)


def decode(y, transfer: str):
    """Encoded -> linear with the named transfer function."""
    return TRANSFERS[transfer][1](y)
