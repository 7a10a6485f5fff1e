"""Weighted MLRI (Kiku, Monno, Tanaka & Okutomi 2014/2016): residual interpolation as published."""

from __future__ import annotations

import numpy as np

from ...kernels.demosaic_wmlri import demosaic_wmlri_tiles
from ._mosaic import run_kernel


def demosaic_wmlri2016(cfa: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """D. Kiku, Y. Monno, M. Tanaka, M. Okutomi, "Minimized-Laplacian residual interpolation
    for color image demosaicking", Proc. SPIE 9023, 2014, and "Beyond color difference:
    residual interpolation for color image demosaicking", IEEE TIP 25(3), 2016: the published
    MLRI with the TIP paper's weighted averaging of the guided filter's coefficients.  Unlike
    ``mlri`` (a hybrid whose gain is pulled towards the colour-difference model), a flat
    guide gives the target's local mean: better on saturated, weakly correlated colour
    (McMaster), worse on Kodak (kernels/demosaic_wmlri.py states the departures).

    Domain: float32 (H, W) Bayer mosaic, linear, any scale (never clipped).
    Range: float32 (H, W, 3), same scale.  A reference method (float64 planes), not fast.
    """
    return run_kernel(demosaic_wmlri_tiles, cfa, pattern)
