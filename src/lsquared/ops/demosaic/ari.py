"""ARI (Monno, Kiku, Tanaka & Okutomi 2015/2017): adaptive residual interpolation."""

from __future__ import annotations

import numpy as np

from ...kernels.demosaic_ari import demosaic_ari_tiles
from ._mosaic import run_kernel


def demosaic_ari(cfa: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """Y. Monno, D. Kiku, M. Tanaka, M. Okutomi, "Adaptive residual interpolation for color
    image demosaicking", ICIP 2015, and "... for color and multispectral image demosaicking",
    Sensors 17(12) 2787, 2017.  Green from iterated residual interpolation (RI and MLRI, along
    rows and columns), the iteration and the estimate chosen and weighted per pixel by a
    residual criterion; red and blue by residual interpolation guided by that green
    (kernels/demosaic_ari.py states the departures from the paper).

    Domain: float32 (H, W) Bayer mosaic, linear, any scale (never clipped).
    Range: float32 (H, W, 3), same scale.  Slow (a reference method): docs/demosaic.md.
    """
    return run_kernel(demosaic_ari_tiles, cfa, pattern)
