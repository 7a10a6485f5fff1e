"""Automatic exposure (estimators/exposure.py, ops/exposure.py): known scenes, known answers."""

from __future__ import annotations

import numpy as np
import pytest

import lsquared
from lsquared.color.transfer import srgb_decode, srgb_encode, vlog_decode
from lsquared.errors import ParameterError
from lsquared.estimators.exposure import (
    EV_LIMITS,
    MID_GREY,
    WHITE_LEVEL,
    auto_exposure_ev,
    look_white,
    luminance_sample,
)
from lsquared.ops.exposure import parse_exposure
from lsquared.synth.demo import make_demo_raw


def _scene(seed=0, n=200_000, key=0.05, spread=1.5):
    """Log-normal luminances (a natural scene's histogram is roughly log-normal) of log2 mean
    log2(key) and standard deviation ``spread`` stops."""
    rng = np.random.default_rng(seed)
    return 2.0 ** rng.normal(np.log2(key), spread, n)


def test_key_goes_to_mid_grey():
    y = _scene(key=0.02, spread=1.0)
    ev = auto_exposure_ev(y, white=100.0)              # no highlight limit in reach
    logs = np.log2(y * 2.0 ** ev)
    lo, hi = np.percentile(logs, [5, 95])
    assert np.mean(logs[(logs >= lo) & (logs <= hi)]) == pytest.approx(np.log2(MID_GREY), abs=1e-9)


@pytest.mark.parametrize("stops", [-2.5, -1.0, 0.7, 1.5])
def test_estimate_follows_the_scene_not_the_camera(stops):
    """Exposing the same scene 2^k brighter changes the answer by exactly -k stops."""
    y = _scene(key=0.1, spread=1.0)                     # +0.85 EV, highlights not in reach
    white = 2.0
    assert auto_exposure_ev(y * 2.0 ** stops, white) == pytest.approx(auto_exposure_ev(y, white) - stops, abs=1e-9)


def test_brightening_stops_at_the_highlights():
    y = _scene(key=0.01, spread=1.0)                    # dark: the key alone asks about +4.2 EV
    y[:2000] = 0.2                                      # 1 % of the picture is bright
    ev = auto_exposure_ev(y, white=1.0)
    assert ev == pytest.approx(np.log2(1.0 / 0.2), abs=1e-6)     # 0.2 * 2^ev reaches the white
    y[:2000] = 0.01                                     # no bright 0.5 %: the key rules again
    y[:500] = 0.2                                       # 0.25 % bright (a lamp) may clip
    assert auto_exposure_ev(y, white=1.0) > np.log2(1.0 / 0.2) + 1.0


def test_overexposed_scene_is_darkened_by_its_key_and_limits_hold():
    y = _scene(key=1.5, spread=0.8)
    ev = auto_exposure_ev(y, white=1.0)
    assert -4.0 < ev < -2.5                              # log2(0.18 / 1.5) = -3.06
    assert auto_exposure_ev(np.full(1000, 1e-9), 1.0) == EV_LIMITS[1]
    assert auto_exposure_ev(np.full(1000, 1e4), 1.0) == EV_LIMITS[0]
    assert auto_exposure_ev(np.array([np.nan, np.inf]), 1.0) == 0.0


def test_look_white_of_a_plain_srgb_rendering():
    """A table rendering V-Log straight to sRGB (no tone curve) reaches 98 % at the linear
    level sRGB encodes as 0.98."""
    n = 65
    code = np.linspace(0.0, 1.0, n)
    grid = np.stack(np.meshgrid(code, code, code, indexing="ij"), axis=-1)
    table = np.clip(srgb_encode(np.maximum(vlog_decode(grid), 0.0)), 0.0, 1.0)
    expected = float(srgb_decode(np.float64(WHITE_LEVEL)))
    assert look_white(table) == pytest.approx(expected, rel=0.02)
    assert look_white(table * 0.5) == pytest.approx(float(vlog_decode(np.float64(1.0))))


def test_luminance_sample_weights_and_mono():
    rgb = np.zeros((400, 600, 3), np.float32)
    rgb[..., 1] = 0.5
    matrix = np.diag([1.0, 2.0, 1.0])
    y_row = np.array([0.2, 0.7, 0.1])
    assert np.allclose(luminance_sample(rgb, matrix, y_row), 0.7 * 2.0 * 0.5)
    mono = np.full((400, 600), 0.25, np.float32)
    assert np.allclose(luminance_sample(mono, 3.0 * np.eye(3), y_row), 0.75)


def test_parse_exposure():
    assert parse_exposure("+0.7").ev == pytest.approx(0.7) and not parse_exposure("0.7").auto
    p = parse_exposure("auto-1")
    assert p.auto and p.ev == -1.0 and p.auto_ev is None
    with pytest.raises(ParameterError, match="unknown exposure 'bright'"):
        parse_exposure("bright")


def _wedge_levels(picture, demo) -> np.ndarray:
    """Mean 8-bit green level of each step of the chart's grey wedge."""
    return np.array([picture[y0:y1, x0:x1, 1].mean() for x0, y0, x1, y1 in
                     (p.box for p in demo.patches if p.kind == "wedge")])


@pytest.fixture(scope="module")
def exposures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exposure")
    normal = make_demo_raw(folder / "normal.dng", headroom_ev=0.5, seed=3)
    under = make_demo_raw(folder / "under.dng", headroom_ev=3.0, seed=3)
    return normal, under


def test_auto_exposure_on_the_synthetic_scene(exposures):
    """The same scene 2.5 EV underexposed: auto exposure measures 2.5 EV more, and the two
    developments' grey steps agree; a recipe replays the measured exposure exactly."""
    normal, under = exposures
    a = lsquared.develop(normal.path, look="neutral", exposure="auto")
    b = lsquared.develop(under.path, look="neutral", exposure="auto")
    assert b.recipe.exposure.auto_ev - a.recipe.exposure.auto_ev == pytest.approx(2.5, abs=0.15)
    grey_a, grey_b = _wedge_levels(a, normal), _wedge_levels(b, under)
    lit = grey_a > 30                                    # deep shadows: the noise differs
    assert lit.sum() >= 6
    assert np.abs(grey_a[lit] - grey_b[lit]).max() < 4.0, (grey_a, grey_b)
    again = lsquared.develop(under.path, b.recipe)
    assert np.array_equal(again, b)
    # without auto and without the default brightness (which matches the file's preview, the
    # camera's own rendering: estimators/brightness.py): the raw's own exposure, 2.5 EV darker
    plain = lsquared.develop(under.path, look="neutral", exposure__baseline=False)
    assert plain.recipe.exposure.auto_ev is None
    assert np.mean(plain) < np.mean(b) - 20
