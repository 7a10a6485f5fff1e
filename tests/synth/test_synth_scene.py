"""Scenes: layout, anti-aliased detail, highlights, sizes and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.errors import ParameterError
from lsquared.synth import camera as C
from lsquared.synth import spectra as S
from lsquared.synth.scene import _bar_coverage, chart_scene


@pytest.mark.parametrize("size", [(1200, 800), (800, 1200), (480, 320), (240, 160)])
def test_layout_fits_and_nothing_overlaps(size):
    scene = chart_scene(*size)
    h, w = scene.shape
    assert (w, h) == size
    assert scene.mix.min() >= 0 and scene.mix.max() <= 1
    assert int(scene.index_a.max()) < len(scene.materials) and int(scene.index_b.max()) < len(scene.materials)
    boxes = [r for r in scene.regions if r.kind in ("patch", "wedge", "detail", "bars", "ramp")]
    taken = np.zeros((h, w), np.int32)
    for r in boxes:
        x0, y0, x1, y1 = r.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, r.name
        taken[y0:y1, x0:x1] += 1
    assert taken.max() == 1
    patches = [r for r in scene.regions if r.kind == "patch"]
    assert [r.name for r in patches] == list(S.COLORCHECKER_NAMES)
    side = patches[0].box[2] - patches[0].box[0]
    assert side >= 0.07 * min(size)


def test_patches_are_pure_and_the_ramp_is_linear():
    scene = chart_scene(1200, 800)
    for r in scene.regions:
        x0, y0, x1, y1 = r.box
        if r.kind in ("patch", "wedge"):
            assert np.all(scene.index_a[y0:y1, x0:x1] == r.material) and np.all(scene.mix[y0:y1, x0:x1] == 0)
    x0, y0, x1, y1 = scene.region("ramp").box
    row = scene.mix[y0 + 3, x0:x1].astype(np.float64)
    np.testing.assert_allclose(row, (np.arange(x1 - x0) + 0.5) / (x1 - x0), atol=1e-6)


def test_siemens_star_is_area_integrated():
    scene = chart_scene(1200, 800)
    x0, y0, x1, y1 = scene.region("siemens star").box
    mix = scene.mix[y0:y1, x0:x1]
    side = x1 - x0
    radius = 0.96 * side / 2
    # half the disc is white: the mean coverage is that area over the box, up to rim sampling
    assert mix.mean() == pytest.approx(np.pi * radius ** 2 / 2 / side ** 2, rel=2e-3)
    # on a ring well inside, a pixel straddling a spoke edge is grey, not 0/1 (anti-aliased)
    yy, xx = np.mgrid[0:side, 0:side] + 0.5
    ring = np.abs(np.hypot(xx - side / 2, yy - side / 2) - radius / 2) < 0.5
    values = mix[ring]
    assert ((values > 0.05) & (values < 0.95)).mean() > 0.1
    assert values.mean() == pytest.approx(0.5, abs=0.03)


def test_bar_coverage_is_exact():
    np.testing.assert_allclose(_bar_coverage(6, 2.0), [1, 0, 1, 0, 1, 0])
    np.testing.assert_allclose(_bar_coverage(5, 2.5), [1, 0.25, 0.5, 0.75, 0])
    np.testing.assert_allclose(_bar_coverage(300, 3.0).mean(), 0.5)


def test_highlights_run_far_past_clipping():
    scene = chart_scene(1200, 800, highlights=True)
    reference = C.render_reference(scene, C.SimulatedCamera())
    x0, y0, x1, y1 = scene.region("sky").box
    sky = reference[(y0 + y1) // 2, x0:x1]
    assert sky[:5].max() < 0.5 and sky[-5:].max(axis=1).min() > 8.0 and sky[-5:].min() > 2.0   # to 3+ stops over
    assert np.all(np.diff(sky.max(axis=1)) > 0)                           # smooth, monotonic in every column
    x0, y0, x1, y1 = scene.region("lamp").box
    lamp = reference[(y0 + y1) // 2, (x0 + x1) // 2]
    assert lamp[0] > 1.0 and lamp[2] < 1.0                               # clips in red, not in blue
    assert lamp[0] > lamp[1] > lamp[2]                                   # orange
    assert "bars 2px v" not in [r.name for r in scene.regions]


def test_illuminants_and_bad_arguments():
    for name in ("D65", "D50", "D55", "A", "F2", "FL11", 3200, "D5000", "LED-B3"):
        spd = S.illuminant_spd(name)
        assert spd.shape == (81,) and spd.min() >= 0 and spd[36] == pytest.approx(1.0)
    np.testing.assert_allclose(S.illuminant_spd("F2"), S.illuminant_spd("FL2"))
    with pytest.raises(ParameterError):
        S.illuminant_spd("Z99")
    with pytest.raises(ParameterError):
        S.illuminant_spd(500)
    with pytest.raises(ParameterError):
        S.camera_sensitivities("Phone")
    with pytest.raises(ParameterError):
        chart_scene(100, 80)
    with pytest.raises(ParameterError):
        C.SimulatedCamera(cfa="RGBW")


@pytest.mark.slow
def test_full_frame_scene_is_quick_enough_to_build():
    scene = chart_scene(6000, 4000, highlights=True)
    assert scene.shape == (4000, 6000)
    assert scene.notes["patch_px"] > 400
