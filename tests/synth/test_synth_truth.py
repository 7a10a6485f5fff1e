"""Ground truth: reference colours against published data, boxes against the rendered scene,
and the chart score against a straightforward DNG-model development of the demo raw."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rawpy

from lsquared.color.adaptation import adaptation_matrix
from lsquared.color.dng_model import whitebalanced_camera_to_xyz_d50
from lsquared.color.spaces import D50_XY, D65_XY, SPACES
from lsquared.color.transfer import encode
from lsquared.frame import CameraColor, cfa_channel_map
from lsquared.synth import spectra as S
from lsquared.synth.demo import make_demo_raw
from lsquared.synth.scene import chart_scene
from lsquared.synth.truth import chart_truth, delta_e_2000, evaluate_chart, xyz_to_lab

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import colour


def published_lab(name: str, white_xy) -> np.ndarray:
    ccs = colour.CCS_COLOURCHECKERS[name]
    xyz = colour.xyY_to_XYZ(np.array(list(ccs.data.values())))
    if tuple(np.round(ccs.illuminant, 4)) != tuple(np.round(white_xy, 4)):
        xyz = xyz @ adaptation_matrix(ccs.illuminant, white_xy).T
    return colour.XYZ_to_Lab(xyz, white_xy)


def test_chart_xyz_matches_colour_science_and_published_values():
    chart = S.colorchecker_reflectances("BabelColor Average")
    # the integral itself, against colour-science's sd_to_XYZ (same 5 nm data)
    sd = colour.SDS_COLOURCHECKERS["BabelColor Average"]["moderate red"].copy().align(S.SHAPE)
    d65 = colour.SDS_ILLUMINANTS["D65"].copy().align(S.SHAPE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = colour.sd_to_XYZ(sd, illuminant=d65, method="Integration") / 100
    np.testing.assert_allclose(S.spectrum_to_XYZ(chart[8], S.illuminant_spd("D65")), ref, atol=2e-4)
    # under D50, BabelColor's published chromaticities are the same quantity: max 0.17 measured
    d50 = S.illuminant_spd("D50")
    lab50 = xyz_to_lab(S.spectrum_to_XYZ(chart, d50), S.spectrum_to_XYZ(np.ones(81), d50))
    de = delta_e_2000(lab50, published_lab("BabelColor Average", D50_XY))
    assert de.max() < 0.5
    # the D65 truth against the published values Bradford-adapted to D65: within a couple of dE
    truth = chart_truth(chart_scene(480, 320))
    lab65 = np.array([p.lab for p in truth if p.kind == "patch"])
    de = delta_e_2000(lab65, published_lab("BabelColor Average", D65_XY))
    assert de.mean() < 1.0 and de.max() < 2.0


@pytest.mark.parametrize("orientation,crop", [(1, None), (3, (8, 6, 464, 308)), (6, None), (8, (4, 8, 460, 300))])
def test_boxes_cover_uniform_patches_of_the_right_colour(tmp_path, orientation, crop):
    info = make_demo_raw(tmp_path / "b.dng", size=(480, 320),
                         orientation=orientation, crop=crop, psf_sigma=0.0, noise=False)
    xyz = info.reference_xyz()
    assert xyz.shape[:2] == info.picture_shape
    if crop is not None:
        assert info.picture_shape == ((crop[3], crop[2]) if orientation < 5 else (crop[2], crop[3]))
    assert len(info.patches) == 24 + 12
    for p in info.patches:
        x0, y0, x1, y1 = p.box
        assert 0 <= x0 < x1 <= xyz.shape[1] and 0 <= y0 < y1 <= xyz.shape[0] and (x1 - x0) >= 8
        block = xyz[y0:y1, x0:x1].reshape(-1, 3)
        np.testing.assert_allclose(block, np.broadcast_to(p.xyz, block.shape), atol=1e-5, err_msg=p.name)
    neutral = [p.name for p in info.patches if p.neutral and p.kind == "patch"]
    assert neutral == list(S.COLORCHECKER_NAMES[18:])


def test_sensor_boxes_point_at_the_same_patch(tmp_path):
    info = make_demo_raw(tmp_path / "s.dng", size=(480, 320), orientation=6, psf_sigma=0.0, noise=False)
    with rawpy.imread(str(info.path)) as raw:
        mosaic = raw.raw_image_visible.astype(np.float64)
    white = next(p for p in info.patches if p.name == "white 9.5")
    black = next(p for p in info.patches if p.name == "black 2")
    x0, y0, x1, y1 = white.sensor_box
    b0, b1, b2, b3 = black.sensor_box
    assert mosaic[y0:y1, x0:x1].mean() > 5 * mosaic[b1:b3, b0:b2].mean()


def test_evaluate_chart_scores_truth_as_perfect_and_a_cast_as_wrong(tmp_path):
    info = make_demo_raw(tmp_path / "e.dng", size=(480, 320), psf_sigma=0.0, noise=False)
    rgb = info.reference_xyz() @ SPACES["srgb"].from_xyz.T * 0.8      # linear sRGB, cyan out of gamut
    perfect = evaluate_chart(rgb, info.patches, encoded=False)
    assert perfect.max < 1e-3 and perfect.exposure_scale == pytest.approx(1.25, rel=1e-4)
    assert np.abs(perfect.neutral_ab_error()).max() < 1e-3
    assert perfect.neutral_ab()[0, 1] == pytest.approx(2.6, abs=0.1)     # white 9.5 is slightly yellow
    clipped = np.clip(rgb, 0, 1)
    linear = evaluate_chart(clipped, info.patches, encoded=False)
    encoded = evaluate_chart(encode(clipped, "srgb"), info.patches)
    np.testing.assert_allclose(encoded.delta_e, linear.delta_e, atol=1e-6)
    assert linear.max > 1.0                            # the clipped cyan patch
    as_8bit = evaluate_chart((encode(clipped, "srgb") * 255 + 0.5).astype(np.uint8), info.patches)
    assert abs(as_8bit.mean - linear.mean) < 0.3
    tinted = evaluate_chart(clipped * np.array([1.0, 1.0, 0.85]), info.patches, encoded=False)
    assert tinted.mean > linear.mean + 2.0


def develop_patches_dng_model(info) -> np.ndarray:
    """Reference development of the patch boxes, as the DNG specification describes it:
    black-subtract, per-channel box means (no demosaic needed for flat patches), white balance
    by AsShotNeutral, CameraToXYZ(D50) from ColorMatrix1/2 interpolated at the neutral's white,
    Bradford D50 -> D65.  Returns XYZ (D65) per ColorChecker patch."""
    with rawpy.imread(str(info.path)) as raw:
        mosaic = raw.raw_image_visible.astype(np.float64)
    cam = info.camera
    x = (mosaic - cam.black_level) / (cam.white - cam.black_level)
    cmap = cfa_channel_map(cam.cfa)
    ys, xs = np.mgrid[0:x.shape[0], 0:x.shape[1]]
    ch = cmap[ys & 1, xs & 1]
    p = info.profile
    color = CameraColor(color_matrix=(p.color_matrix1, p.color_matrix2), illuminant=(17, 21), source="dng")
    m = whitebalanced_camera_to_xyz_d50(color, info.as_shot_neutral)
    to_d65 = adaptation_matrix(D50_XY, D65_XY)
    out = []
    for patch in info.patches[:24]:
        x0, y0, x1, y1 = patch.sensor_box
        rgb = np.array([x[y0:y1, x0:x1][ch[y0:y1, x0:x1] == c].mean() for c in range(3)])
        out.append(to_d65 @ m @ (rgb / info.as_shot_neutral))
    return np.array(out)


def chart_delta_e(info) -> np.ndarray:
    xyz = develop_patches_dng_model(info)
    truth = np.array([p.xyz for p in info.patches[:24]])
    xyz *= truth[21, 1] / xyz[21, 1]                    # exposure set on "neutral 5"
    return delta_e_2000(xyz_to_lab(xyz), xyz_to_lab(truth))


def test_daylight_scene_develops_to_the_truth_through_the_dng_model(tmp_path):
    """The simulated camera and its profile make the issue's bar reachable, not trivial:
    measured mean 0.95, max 3.1 CIEDE2000 under D65 (metamerism, not zero)."""
    de = chart_delta_e(make_demo_raw(tmp_path / "d.dng", size=(480, 320), iso=100))
    assert 0.3 < de.mean() < 1.5 and de.max() < 4.0


def test_tungsten_scene_and_the_colour_inconstancy_floor(tmp_path):
    """Under Standard light A the chart itself looks different: even a perfect camera with a
    Bradford white balance lands at mean 2.03 from the D65 truth.  The DNG-model development
    stays within 0.6 of that floor, and greys stay grey."""
    info = make_demo_raw(tmp_path / "a.dng", size=(480, 320), illuminant="A", iso=100)
    de = chart_delta_e(info)
    floor = delta_e_2000(xyz_to_lab(np.array([p.xyz_adapted for p in info.patches[:24]])),
                         xyz_to_lab(np.array([p.xyz for p in info.patches[:24]])))
    assert floor.mean() == pytest.approx(2.03, abs=0.02)
    assert floor.mean() < de.mean() < floor.mean() + 0.6
    xyz = develop_patches_dng_model(info)
    truth = np.array([p.xyz for p in info.patches[:24]])
    lab = xyz_to_lab(xyz * truth[21, 1] / xyz[21, 1])
    ab_error = lab[18:24, 1:] - xyz_to_lab(truth)[18:24, 1:]
    assert np.abs(ab_error).max() < 1.5                # greys as grey as the true chart
