"""The noise estimator recovers the Poisson-Gaussian parameters of known noise: simulated
planes, and the synthetic camera's DNGs (whose NoiseProfile tag holds the truth)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from lsquared.estimators.noise import estimate_noise_profile, quantile_bias
from lsquared.io.raw import open_raw
from lsquared.ops.levels import levels
from lsquared.ops.white_balance import WhiteBalanceParams, white_balance
from lsquared.synth import make_demo_raw


def _noisy_mosaic(s, o, shape=(600, 900), seed=0):
    """A smooth scene (gradients and steps: what the Immerkær mask must ignore) with
    var = s x + o Gaussian noise per photosite."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    clean = 0.02 + 0.8 * (xx / shape[1]) * (0.6 + 0.4 * (yy / shape[0]))
    clean[:, shape[1] // 2:] *= 0.5                                    # a hard edge
    return (clean + rng.standard_normal(shape) * np.sqrt(s * clean + o)).astype(np.float32)


@pytest.mark.parametrize("s, o", [(3.3e-5, 1e-8), (1e-3, 1e-5), (4e-3, 6e-5)])
def test_recovers_known_parameters(s, o):
    est = estimate_noise_profile(_noisy_mosaic(s, o), "RGGB")
    assert est.scale == pytest.approx(s, rel=0.05)
    if o > 1e-7:                                                       # at base ISO O is below what can be seen
        assert est.offset == pytest.approx(o, rel=0.25)


def test_white_balance_is_undone():
    s, o = 1e-3, 1e-5
    mosaic = _noisy_mosaic(s, o)
    mult = np.array([2.0, 1.0, 1.5], np.float32)
    scaled = mosaic.copy()
    scaled[0::2, 0::2] *= mult[0]
    scaled[1::2, 1::2] *= mult[2]
    est = estimate_noise_profile(scaled, "RGGB", mult)
    assert est.scale == pytest.approx(s, rel=0.05)


def _file_noise_profile(path):
    """DNG NoiseProfile (tag 51041) of the raw IFD, read with tifffile (an independent reader)."""
    with tifffile.TiffFile(path) as tif:
        for page in [tif.pages[0], *(tif.pages[0].pages or [])]:
            tag = page.tags.get(51041)
            if tag is not None:
                return tuple(float(v) for v in tag.value)
    return None


@pytest.mark.parametrize("iso", [800, 3200, 6400])
def test_synthetic_camera_files(tmp_path, iso):
    info = make_demo_raw(tmp_path / f"iso{iso}.dng", iso=iso, size=(900, 600))
    frame, _ = white_balance(levels(open_raw(info.path)), WhiteBalanceParams())
    est = estimate_noise_profile(frame.data, frame.meta.cfa, frame.meta.wb_multipliers)
    tag = _file_noise_profile(info.path)
    assert tag == pytest.approx(info.noise_profile)                    # the file holds the truth
    assert est.scale == pytest.approx(tag[0], rel=0.06)                # cross-check with the file
    assert est.offset == pytest.approx(tag[1], rel=0.3)


def test_bias_constant_and_small_inputs():
    assert 0.5 < quantile_bias() < 1.0                                 # the 20th percentile sits below the mean
    assert estimate_noise_profile(np.zeros((20, 20), np.float32), "RGGB") is None
