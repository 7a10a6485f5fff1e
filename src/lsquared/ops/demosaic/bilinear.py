"""Bilinear demosaic: the floor every other method is measured against."""

from __future__ import annotations

import numpy as np

from ...kernels.demosaic_bilinear import demosaic_bilinear_tiles
from ._mosaic import run_kernel


def demosaic_bilinear(cfa: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """Bilinear interpolation of each colour plane (the textbook method; no paper to cite).

    Domain: float32 (H, W) Bayer mosaic, linear, any scale (never clipped).
    Range: float32 (H, W, 3), same scale.  Exact on flat fields and linear ramps.
    Kodak-24 mean CPSNR about 30 dB: blurred edges and colour zippering.
    """
    return run_kernel(demosaic_bilinear_tiles, cfa, pattern)
