"""ARI on the scene that broke it: a one-pixel dark line on a red row beside a saturated plateau.

Kodak's kodim10 has such a line (a dark edge under a white, clipped area); ARI's guided
filters fitted a gain of 30-40 in windows whose guide (green at the blue sites) was almost
constant at 1.0, and extrapolated it to the line, where the green is 0.3: blue came out at
-26 (kodim10 27.9 dB, below bilinear's 32.5).  The gain's ridge towards 1
(kernels/demosaic_ari.py, RIDGE_REL) fixes it; with the old near-zero ridge this scene gives
-18.
"""

from __future__ import annotations

import numpy as np

from lsquared.ops.demosaic import demosaic_array
from lsquared.synth.kodak import mosaic_rggb


def _line_beside_plateau() -> np.ndarray:
    h, w, row = 48, 64, 24          # row is even: a red/green row of the RGGB mosaic
    x = np.arange(w)
    rgb = np.ones((h, w, 3), np.float32)
    ramp = 0.5 + 0.1 * np.sin(x / 5.0)
    rgb[row - 1] = np.stack([ramp + 0.05, ramp + 0.1, ramp], -1)
    rgb[row] = np.stack([0.35 + 0.03 * np.sin(x / 3), 0.31 + 0.03 * np.sin(x / 3), 0.15 + 0.05 * np.sin(x / 4)], -1)
    rgb[row + 1] = np.stack([0.9 + 0.05 * np.sin(x / 6), np.ones(w), 0.88 + 0.1 * np.sin(x / 7)], -1)
    return np.clip(rgb, 0, 1)


def test_ari_does_not_extrapolate_a_flat_windows_gain():
    rgb = _line_beside_plateau()
    out = demosaic_array(mosaic_rggb(rgb), "RGGB", "ari")
    # a residual method may overshoot a hard edge a little; here the truth spans [0.1, 1]
    assert out.min() > -0.1 and out.max() < 1.1, (out.min(), out.max())
    assert np.abs(out - rgb).max() < 0.3
    bilinear = demosaic_array(mosaic_rggb(rgb), "RGGB", "bilinear")
    assert np.mean((out - rgb) ** 2) < np.mean((bilinear - rgb) ** 2)
