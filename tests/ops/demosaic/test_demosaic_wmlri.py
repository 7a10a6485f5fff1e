"""Weighted MLRI (the published minimized-Laplacian residual interpolation): known truths.

The generic identities (flat fields, ramps, phases, mirroring, sizes, exposure, hostile
input) are in test_demosaic.py, which runs every registered method, and its McMaster scores
in test_mcmaster.py.  Here: what sets the published MLRI apart from a colour-difference method
and from lsquared's ``mlri`` (whose gain is limited to [0, 1]).
"""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.kernels.demosaic_wmlri import wmlri_channel
from lsquared.ops.demosaic import demosaic_array
from lsquared.synth.kodak import mosaic_rggb


def textured_green(h: int = 96, w: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return 0.5 + 0.3 * np.sin(0.35 * x + 0.2 * y) * np.cos(0.27 * y - 0.1 * x)


def test_flat_red_and_blue_under_a_textured_green_stay_flat():
    # Saturated colour at its simplest: red and blue do not follow green at all.  The fit's
    # gain comes from the target's Laplacian, which is 0, so the estimate is the local mean:
    # exact.  A colour-difference method (gbtf, auto) copies green's texture into them.
    g = textured_green()
    rgb = np.stack([np.full_like(g, 0.7), g, np.full_like(g, 0.2)], axis=2).astype(np.float32)
    cfa = mosaic_rggb(rgb)
    inner = (slice(24, -24), slice(24, -24))
    out = demosaic_array(cfa, "RGGB", "wmlri")
    assert np.abs(out[..., 0] - 0.7)[inner].max() < 1e-6
    assert np.abs(out[..., 2] - 0.2)[inner].max() < 1e-6
    cd = demosaic_array(cfa, "RGGB", "gbtf")
    assert np.abs(cd[..., 0] - 0.7)[inner].max() > 0.02       # the scene does tell them apart


@pytest.mark.parametrize("gain_r,gain_b", [(1.5, -0.5), (0.25, 2.0)])
def test_red_and_blue_follow_any_linear_model_of_green(gain_r, gain_b):
    # With the true green as guide, red = a green + b is recovered exactly for any a: the
    # published fit does not limit the gain (lsquared's mlri clips it to [0, 1], the
    # colour-difference model's bound, so it cannot reproduce a = 1.5 or a < 0).
    g = textured_green()
    red, blue = gain_r * g + 0.1, gain_b * g + 0.3
    t = g.copy()
    t[0::2, 0::2] = red[0::2, 0::2]
    t[1::2, 1::2] = blue[1::2, 1::2]
    inner = (slice(12, -12), slice(12, -12))
    assert np.abs(wmlri_channel(t, g, 0) - red)[inner].max() < 1e-6
    assert np.abs(wmlri_channel(t, g, 1) - blue)[inner].max() < 1e-6
