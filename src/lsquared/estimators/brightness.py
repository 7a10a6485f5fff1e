"""Default brightness: the stops that make a develop with default settings as bright as the
camera's own rendering of the same file.

Cameras expose raw files with headroom for highlights: mid grey sits lower in the raw data
than in the camera's JPEG, whose tone curve lifts it.  Raw converters compensate: the DNG
format carries the maker's figure (BaselineExposure, DNG 1.6 p. 60: "the amount by which to
brighten ... a normally exposed raw"), and darktable's exposure module adds +0.7 EV to every
raw file by default (its "compensate camera exposure" default, darktable 3.0 and later).

Here, in order of trust:

1. ``preview_ev``: where the file carries a rendered preview (the camera's own picture), the
   stops that bring a quick render of the raw (a subsample through the default look's LUT,
   the fused tail kernel itself) to the preview's mean display brightness (Rec. 709 luma of
   the encoded values), found by bisection: brightness is monotonic in the gain.  Limited to
   PREVIEW_LIMITS; a preview too small or flat to say anything is not used.
2. the file's BaselineExposure (+ BaselineExposureOffset), where declared (DNG);
3. DEFAULT_HEADROOM_EV, darktable's +0.7 EV.

The result is stored in the recipe (``exposure.baseline_ev``, with ``baseline_source``) like
``auto_ev``, so a replay does not measure again.  docs/quality.md has the table of every
shared camera file (bench/brightness.py prints it).
"""

from __future__ import annotations

import numpy as np

DEFAULT_HEADROOM_EV = 0.7
PREVIEW_LIMITS = (-3.0, 3.0)
SAMPLES = 65_536               # pixels of the quick render
LUMA = np.array([0.2126, 0.7152, 0.0722])      # Rec. 709 luma weights
MIN_PREVIEW_SPREAD = 8 / 255   # a preview flatter than this (max - min of its luma) says nothing
STEPS = 14                     # bisection steps: 6 EV / 2^14, far below what the eye sees


def mean_luma(display: np.ndarray) -> float:
    """Mean Rec. 709 luma of display-encoded RGB (0..1 floats, or uint8), 0..1."""
    a = np.asarray(display, dtype=np.float64)
    if np.asarray(display).dtype == np.uint8:
        a = a / 255.0
    return float((a.reshape(-1, a.shape[-1])[:, :3] @ LUMA).mean()) if a.ndim == 3 else float(a.mean())


def _subsample(linear: np.ndarray) -> np.ndarray:
    h, w = linear.shape[:2]
    step = max(1, int(np.sqrt(h * w / SAMPLES)))
    return np.ascontiguousarray(linear[step // 2::step, step // 2::step], dtype=np.float32)


def preview_ev(linear: np.ndarray, matrix: np.ndarray, table: np.ndarray, preview: np.ndarray) -> float | None:
    """Stops to apply to ``linear`` (camera RGB (H, W, 3), or (H, W) monochrome, rendered
    through ``matrix`` and the look ``table`` by the tail) so that its mean display luma equals
    ``preview``'s (uint8 sRGB); None when the preview cannot tell."""
    from ..kernels.tail import render

    pre = np.asarray(preview, dtype=np.float64) / 255.0
    luma = pre.reshape(-1, 3) @ LUMA
    if luma.size == 0 or luma.max() - luma.min() < MIN_PREVIEW_SPREAD:
        return None
    target = float(luma.mean())
    sub = _subsample(linear)
    m = np.asarray(matrix, dtype=np.float64)

    def brightness(ev: float) -> float:
        return mean_luma(render(sub, m * 2.0 ** ev, table, np.float32))

    lo, hi = PREVIEW_LIMITS
    if brightness(hi) <= target:
        return hi
    if brightness(lo) >= target:
        return lo
    for _ in range(STEPS):
        mid = 0.5 * (lo + hi)
        if brightness(mid) < target:
            lo = mid
        else:
            hi = mid
    return round(0.5 * (lo + hi), 3)


def default_brightness(linear: np.ndarray, matrix: np.ndarray, table: np.ndarray, preview: np.ndarray | None,
                       declared: float | None) -> tuple[float, str]:
    """(stops, where they come from): the preview, the file's declaration, or the default."""
    if preview is not None:
        ev = preview_ev(linear, matrix, table, preview)
        if ev is not None:
            return ev, "preview"
    if declared is not None:
        return float(declared), "file"
    return DEFAULT_HEADROOM_EV, "default"
