"""Automatic exposure: the stops that bring a picture to a normal brightness without pushing
its highlights past the look's white.

Scene luminance Y is measured on a subsample (about 250 000 pixels) of the linear image as
the tail will see it (camera RGB through the camera -> V-Gamut matrix; Y is V-Gamut's XYZ Y
row, so a neutral of value v has Y = v).  Two figures of it:

- the key: the mean of log2 Y over its 5th-95th percentiles, a trimmed form of the
  log-average luminance that photographic tone reproduction takes as the scene's key
  (Reinhard, Stark, Shirley & Ferwerda, "Photographic tone reproduction for digital images",
  SIGGRAPH 2002, eq. 1); trimming keeps black borders and specular highlights out of it.
  The key goes to mid grey, 0.18 (the reflectance a reflected-light meter assumes).
- the highlights: the 99.5th percentile of Y.

Brightening (an underexposed raw) stops where the highlights reach the look's white (the scene
level its neutral axis renders at 98 % of the output range), so auto exposure never blows
more than the brightest 0.5 % of the picture that the camera kept; darkening (an overexposed
raw) follows the key alone.  The result is limited to -4..+4 EV.

Scaling the image by 2^k changes the result by exactly -k stops (inside the limits): the
estimate depends on the scene, not on how the camera exposed it.
"""

from __future__ import annotations

import numpy as np

from ..color.transfer import vlog_decode

MID_GREY = 0.18
SAMPLES = 250_000
KEY_PERCENTILES = (5.0, 95.0)
HIGHLIGHT_PERCENTILE = 99.5
WHITE_LEVEL = 0.98
EV_LIMITS = (-4.0, 4.0)
FLOOR = 2.0 ** -20            # Y below this (black, noise below zero) counts as this


def luminance_sample(linear: np.ndarray, matrix: np.ndarray, y_row: np.ndarray) -> np.ndarray:
    """Y of a regular subsample of ``linear`` (H, W, 3) camera RGB, or (H, W) for a
    monochrome sensor, through ``matrix`` (camera -> working RGB; for one channel only
    [0, 0] is used, as in the tail) and ``y_row`` (the working space's RGB -> Y row)."""
    h, w = linear.shape[:2]
    step = max(1, int(np.sqrt(h * w / SAMPLES)))
    sub = linear[step // 2::step, step // 2::step]
    if linear.ndim == 2:
        return sub.astype(np.float64).ravel() * float(matrix[0, 0]) * float(np.sum(y_row))
    coefficients = np.asarray(y_row, dtype=np.float64) @ np.asarray(matrix, dtype=np.float64)
    return (sub.reshape(-1, 3).astype(np.float64) @ coefficients)


def auto_exposure_ev(luminance: np.ndarray, white: float) -> float:
    """Stops to apply to a picture of luminances ``luminance`` (linear, any sample) whose look
    renders ``white`` as white."""
    y = np.asarray(luminance, dtype=np.float64)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return 0.0
    logs = np.log2(np.maximum(y, FLOOR))
    lo, hi = np.percentile(logs, KEY_PERCENTILES)
    middle = logs[(logs >= lo) & (logs <= hi)]
    key = float(middle.mean()) if middle.size else float(np.median(logs))
    ev = np.log2(MID_GREY) - key
    if ev > 0.0:
        headroom = np.log2(white) - float(np.percentile(logs, HIGHLIGHT_PERCENTILE))
        ev = max(0.0, min(ev, headroom))
    return float(np.clip(ev, *EV_LIMITS))


def look_white(table: np.ndarray) -> float:
    """Scene-linear level that the look's 3D LUT (V-Log in, display out) renders at
    WHITE_LEVEL on its neutral axis (green channel), interpolated between nodes; the top of
    the V-Log range if it never gets there."""
    n = table.shape[0]
    diagonal = np.asarray(table[np.arange(n), np.arange(n), np.arange(n), 1], dtype=np.float64)
    codes = np.linspace(0.0, 1.0, n)
    above = np.nonzero(diagonal >= WHITE_LEVEL)[0]
    if above.size == 0 or above[0] == 0:
        code = 1.0 if above.size == 0 else 0.0
    else:
        i = int(above[0])
        a, b = diagonal[i - 1], diagonal[i]
        code = codes[i - 1] + (WHITE_LEVEL - a) / (b - a) * (codes[i] - codes[i - 1])
    return float(vlog_decode(np.float64(code)))
