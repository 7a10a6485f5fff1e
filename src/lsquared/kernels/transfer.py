"""Transfer functions as numba scalar functions, to inline into kernels; the formulas, their
sources and the numpy versions are in color/transfer.py (which re-exports these by name).
"""

from __future__ import annotations

import math

from numba import njit

from ..color.transfer import BT_ALPHA, BT_BETA, VLOG_B, VLOG_C, VLOG_CUT1, VLOG_CUT2, VLOG_D


@njit(cache=True, inline="always")
def vlog_encode_scalar(x):
    if x < VLOG_CUT1:
        return 5.6 * x + 0.125
    return VLOG_C * math.log10(x + VLOG_B) + VLOG_D


@njit(cache=True, inline="always")
def vlog_decode_scalar(y):
    if y < VLOG_CUT2:
        return (y - 0.125) / 5.6
    return 10.0 ** ((y - VLOG_D) / VLOG_C) - VLOG_B


@njit(cache=True, inline="always")
def srgb_encode_scalar(x):
    if x <= 0.0031308:
        return 12.92 * x
    return 1.055 * x ** (1.0 / 2.4) - 0.055


@njit(cache=True, inline="always")
def srgb_decode_scalar(y):
    if y <= 0.04045:
        return y / 12.92
    return ((y + 0.055) / 1.055) ** 2.4


@njit(cache=True, inline="always")
def rec709_encode_scalar(x):
    if x < BT_BETA:
        return 4.5 * x
    return BT_ALPHA * x ** 0.45 - (BT_ALPHA - 1.0)


@njit(cache=True, inline="always")
def rec709_decode_scalar(y):
    if y < 4.5 * BT_BETA:
        return y / 4.5
    return ((y + (BT_ALPHA - 1.0)) / BT_ALPHA) ** (1.0 / 0.45)
