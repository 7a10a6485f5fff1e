"""Menon, Andriani & Calvagno (2007) DDFAPD: the classic directional colour-difference method."""

from __future__ import annotations

import numpy as np

from ...kernels.demosaic_menon2007 import demosaic_menon2007_tiles
from ._mosaic import run_kernel


def demosaic_menon2007(cfa: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """D. Menon, S. Andriani, G. Calvagno, "Demosaicing with directional filtering and a
    posteriori decision", IEEE TIP 16(1), 2007 (DDFAPD), with its refining step: green
    interpolated along rows and along columns, the direction with the smaller chrominance
    gradients chosen per pixel, red and blue from colour differences along it, then one
    refinement pass.  Equal to colour-demosaicing's implementation away from the borders.

    Domain: float32 (H, W) Bayer mosaic, linear, any scale (never clipped).
    Range: float32 (H, W, 3), same scale.  Kodak-24 mean CPSNR about 39.1 dB.
    """
    return run_kernel(demosaic_menon2007_tiles, cfa, pattern)
