"""The default demosaic: GBTF's green, red and blue as the mean of GBTF's and MLRI's."""

from __future__ import annotations

import numpy as np

from ...kernels.demosaic_auto import demosaic_auto_tiles
from ._mosaic import run_kernel


def demosaic_auto(cfa: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """The best quality lsquared has at a speed fit for a 24 MP develop (docs/demosaic.md).

    A combination of two published methods, with fixed design choices:
    green by GBTF (Pekkucuksen & Altunbasak, ICIP 2010) with direction weights
    1 / (gradient sum)^3; red and blue as the mean of GBTF's colour-difference estimate and
    MLRI's residual interpolation (Kiku et al., SPIE 2014) guided by that green, gain in
    [0, 1].  The two red/blue estimates carry the green's errors differently (one for one,
    and scaled by the local gain), so their mean is better than either.

    Domain: float32 (H, W) Bayer mosaic, linear, any scale (never clipped).
    Range: float32 (H, W, 3), same scale.  Kodak-24 mean CPSNR about 40.6 dB.
    """
    return run_kernel(demosaic_auto_tiles, cfa, pattern)
