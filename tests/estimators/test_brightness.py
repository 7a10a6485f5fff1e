"""Default brightness (estimators/brightness.py): a develop with default settings is as bright
as the camera's own rendering of the file, its embedded preview."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import RAW_DIR

import lsquared
from lsquared.estimators.brightness import DEFAULT_HEADROOM_EV, mean_luma, preview_ev
from lsquared.io.preview import camera_rendering
from lsquared.kernels.tail import render
from lsquared.looks import compile_look, resolve_look
from lsquared.synth.demo import make_demo_raw


@pytest.fixture(scope="module")
def table():
    return compile_look(resolve_look("standard"), output_space="srgb").table


def test_preview_ev_recovers_a_known_brightening(table):
    """A 'preview' rendered from the same linear picture k stops brighter: preview_ev finds k."""
    rng = np.random.default_rng(5)
    linear = np.exp(rng.normal(-2.5, 1.0, (120, 160, 3))).astype(np.float32)
    for k in (-1.3, 0.0, 0.7, 2.0):
        preview = render(linear, np.eye(3) * 2.0 ** k, table, np.uint8)
        assert preview_ev(linear, np.eye(3), table, preview) == pytest.approx(k, abs=0.03)


def test_flat_preview_says_nothing(table):
    linear = np.full((64, 64, 3), 0.1, np.float32)
    assert preview_ev(linear, np.eye(3), table, np.full((64, 64, 3), 120, np.uint8)) is None


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """The same scene exposed normally and 2.5 EV under, each with the truth as its preview,
    and one without a preview."""
    folder = tmp_path_factory.mktemp("brightness")
    normal = make_demo_raw(folder / "normal.dng", headroom_ev=0.5, seed=3)
    under = make_demo_raw(folder / "under.dng", headroom_ev=3.0, seed=3)
    bare = make_demo_raw(folder / "bare.dng", headroom_ev=0.5, seed=3, preview=False)
    return normal, under, bare


def test_default_develop_matches_the_preview_whatever_the_exposure(shots):
    normal, under, _ = shots
    a, b = lsquared.develop(normal.path), lsquared.develop(under.path)
    ea, eb = a.recipe.exposure, b.recipe.exposure
    assert ea.baseline_source == eb.baseline_source == "preview"
    assert eb.baseline_ev - ea.baseline_ev == pytest.approx(2.5, abs=0.15)
    preview = camera_rendering(normal.path).preview
    assert abs(mean_luma(a) - mean_luma(preview)) < 0.01
    assert abs(np.mean(a) - np.mean(b)) < 3.0
    again = lsquared.develop(under.path, b.recipe)                 # the recipe replays it exactly
    assert np.array_equal(again, b)


def test_without_preview_the_declared_baseline_then_the_default(shots, tmp_path):
    _, _, bare = shots
    picture = lsquared.develop(bare.path)
    declared = camera_rendering(bare.path).baseline_exposure
    e = picture.recipe.exposure
    if declared is not None:
        assert (e.baseline_source, e.baseline_ev) == ("file", pytest.approx(declared))
    else:
        assert (e.baseline_source, e.baseline_ev) == ("default", DEFAULT_HEADROOM_EV)
    off = lsquared.develop(bare.path, exposure__baseline=False)
    assert off.recipe.exposure.baseline_ev is None


def test_libraw_thumbnail_is_read_where_a_camera_file_has_one():
    kdc = RAW_DIR / "kodak-dc50-0.4mp.kdc"
    if not kdc.exists():
        pytest.skip(f"shared data not found at {kdc}")
    rendering = camera_rendering(kdc)
    assert rendering.preview is not None and rendering.preview.shape == (64, 96, 3)
    assert rendering.baseline_exposure is None
    e = lsquared.develop(kdc).recipe.exposure
    assert e.baseline_source == "preview" and -3 <= e.baseline_ev <= 3
