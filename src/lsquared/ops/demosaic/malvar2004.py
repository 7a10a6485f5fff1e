"""Malvar-He-Cutler (2004) gradient-corrected linear demosaic."""

from __future__ import annotations

import numpy as np

from ...kernels.demosaic_malvar2004 import demosaic_malvar2004_tiles
from ._mosaic import run_kernel


def demosaic_malvar2004(cfa: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """H. S. Malvar, L.-W. He, R. Cutler, "High-quality linear interpolation for demosaicing of
    Bayer-patterned color images", ICASSP 2004: bilinear corrected by a scaled Laplacian of
    the channel sampled at the pixel, as fixed 5x5 filters (figure 2 of the paper).

    Domain: float32 (H, W) Bayer mosaic, linear, any scale (never clipped).
    Range: float32 (H, W, 3), same scale.  Kodak-24 mean CPSNR about 35 dB; the fastest
    method after bilinear, for previews and video.
    """
    return run_kernel(demosaic_malvar2004_tiles, cfa, pattern)
