"""RCD (Sanz Rodríguez 2017): Ratio Corrected Demosaicing, the default of RawTherapee and darktable."""

from __future__ import annotations

import numpy as np

from ...kernels.demosaic_rcd import demosaic_rcd_tiles
from ._mosaic import run_kernel


def demosaic_rcd(cfa: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """L. Sanz Rodríguez, "Ratio Corrected Demosaicing" (RCD), v2.3, 2017 (the author's
    public RCD-Demosaicing description; the default demosaic of RawTherapee and darktable).
    A vertical/horizontal discrimination from squared high-passes of the CFA; green at red
    and blue sites from the four cardinal greens, each corrected by the ratio of a low-pass
    filtered CFA here and two sites away, weighted by inverse gradients and blended by the
    discrimination; red/blue from colour differences, across the diagonals (with a diagonal
    discrimination) and then at green sites.  Step by step in kernels/demosaic_rcd.py.

    Domain: float32 (H, W) Bayer mosaic, linear, any scale (never clipped).
    Range: float32 (H, W, 3), same scale.
    """
    return run_kernel(demosaic_rcd_tiles, cfa, pattern)
