"""The DNG colour-model paths a plain ColorMatrix file does not take, developed end to end.

- ForwardMatrix (DNG 1.6 ch. 6): CameraToXYZ_D50 = FM * inv(diag(ReferenceNeutral)) * inv(AB*CC).
  The simulated camera is profiled with ForwardMatrix1/2 the way a maker profiles one
  (lsquared.synth.camera.profile_camera), so a file written with them has a known truth: the
  chart's CIE colours.  Leaving out the reference neutral gives a strong colour cast.
- BaselineExposure: the maker's statement that a raw is to be brightened by that many stops.
  A scene shot ``b`` stops under with BaselineExposure = +b must develop like the same scene
  shot normally with none.
Scored by CIEDE2000 (lsquared.synth.truth, itself checked against colour-science).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import lsquared
from lsquared.synth.demo import make_demo_raw
from lsquared.synth.truth import delta_e_2000, evaluate_chart, picture_to_xyz, xyz_to_lab
from shared_data import RAW_DIR

SIZE = (600, 400)


def _without_forward_matrix(frame):
    """The same Frame with its ForwardMatrix tags dropped: the ColorMatrix path of the model."""
    color = dataclasses.replace(frame.meta.camera_color, forward_matrix=(None, None))
    return dataclasses.replace(frame, meta=dataclasses.replace(frame.meta, camera_color=color))


def _picture_delta_e(a: np.ndarray, b: np.ndarray, step: int = 4) -> np.ndarray:
    """CIEDE2000 between two developed sRGB pictures, pixel by pixel on a grid."""
    la = xyz_to_lab(picture_to_xyz(a[::step, ::step]).reshape(-1, 3))
    lb = xyz_to_lab(picture_to_xyz(b[::step, ::step]).reshape(-1, 3))
    return delta_e_2000(la, lb)


@pytest.mark.parametrize("illuminant", ["D65", "A"])
def test_forward_matrix_file_reproduces_the_chart(tmp_path, illuminant):
    """A DNG with ForwardMatrix1/2 (and AsShotNeutral far from 1, 1, 1 under either light)
    develops to the chart's true colours, as closely as the ColorMatrix path of the same file."""
    info = make_demo_raw(tmp_path / f"fm-{illuminant}.dng", illuminant=illuminant, forward_matrix=True,
                         size=SIZE, noise=False)
    assert abs(np.log2(info.as_shot_neutral)).max() > 0.2        # the neutral matters here
    frame = lsquared.open_raw(info.path)
    assert frame.meta.camera_color.forward_matrix[1] is not None
    adapted = illuminant != "D65"               # under A: the corresponding colours under D65 (Bradford)
    fm = lsquared.develop(frame, look="neutral")
    score = evaluate_chart(fm, info.patches, adapted=adapted)
    assert score.mean <= 1.5, score.delta_e
    assert score.max <= 5.0, score.delta_e
    assert np.abs(score.neutral_ab_error()).max() <= 1.5, score.neutral_ab_error()
    cm = lsquared.develop(_without_forward_matrix(frame), look="neutral")
    assert evaluate_chart(cm, info.patches, adapted=adapted).mean <= 1.5
    assert np.median(_picture_delta_e(fm, cm)) <= 1.5


def test_camera_calibration_and_analog_balance_are_undone(tmp_path):
    """An individual camera whose channels read differently from the profiled reference:
    DNG 1.6 ch. 6 has camera RGB = AB * CC * reference camera RGB.  The same scene with its
    raw channels scaled by AB * CC, the tags (AnalogBalance, CameraCalibration1/2) saying so
    and AsShotNeutral scaled alike, must develop to the colours of the plain file, through the
    ForwardMatrix (whose reference neutral is inv(AB * CC) * neutral) and through the
    ColorMatrix."""
    import rawpy

    from lsquared.frame import cfa_channel_map
    from lsquared.io.dng import write_dng

    info = make_demo_raw(tmp_path / "reference.dng", forward_matrix=True, size=SIZE, noise=False,
                         compression="none")
    ab, cc = np.array([0.9, 1.0, 0.85]), np.array([0.92, 1.0, 0.88])
    with rawpy.imread(str(info.path)) as raw:
        mosaic = raw.raw_image.astype(np.float64)
    black, p = info.camera.black_level, info.profile
    gain = (ab * cc)[cfa_channel_map("RGGB")]
    scaled = np.round((mosaic - black) * np.tile(gain, (SIZE[1] // 2, SIZE[0] // 2)) + black).astype(np.uint16)
    calibrated = write_dng(tmp_path / "calibrated.dng", scaled, cfa="RGGB", black_level=black,
                           white_level=info.camera.white, bits=info.camera.bits,
                           color_matrix1=p.color_matrix1, calibration_illuminant1=p.calibration_illuminant1,
                           color_matrix2=p.color_matrix2, calibration_illuminant2=p.calibration_illuminant2,
                           forward_matrix1=p.forward_matrix1, forward_matrix2=p.forward_matrix2,
                           camera_calibration1=np.diag(cc), camera_calibration2=np.diag(cc), analog_balance=ab,
                           as_shot_neutral=info.as_shot_neutral * ab * cc, model=info.model, compression="none")
    frame = lsquared.open_raw(calibrated)
    assert frame.meta.camera_color.analog_balance is not None
    reference = lsquared.open_raw(info.path)
    for strip in (lambda f: f, _without_forward_matrix):
        # the same exposure for both: only the reference carries a preview, from which the
        # default brightness would be matched (estimators/brightness.py); colour is the question
        want = lsquared.develop(strip(reference), look="neutral", exposure__baseline=False)
        got = lsquared.develop(strip(frame), look="neutral", exposure__baseline=False)
        assert evaluate_chart(got, info.patches).mean <= 1.5
        assert np.median(_picture_delta_e(got, want)) <= 0.3


SONY = RAW_DIR / "sony-a7r4-linear-lossy-6mp.dng"


@pytest.mark.slow
def test_real_forward_matrix_agrees_with_the_color_matrix(raw_dir):
    """The Sony A7R IV DNG (Adobe's profile: ColorMatrix1/2, ForwardMatrix1/2 and
    CameraCalibration for A and D65) developed through its ForwardMatrix and through its
    ColorMatrix: two routes to XYZ that the maker's profile means to agree.  They measure a
    mean CIEDE2000 of 3.05 apart; dropping the reference neutral from the ForwardMatrix
    route puts them 18.6 apart (a green cast)."""
    assert SONY.exists(), f"{SONY} is part of the shared set"
    frame = lsquared.open_raw(SONY)
    assert frame.meta.camera_color.forward_matrix[0] is not None
    options = dict(look="neutral", denoise="off", sharpen="off")
    fm = lsquared.develop(frame, **options)
    cm = lsquared.develop(_without_forward_matrix(frame), **options)
    de = _picture_delta_e(fm, cm, step=8)
    assert de.mean() <= 4.5, de.mean()


@pytest.mark.parametrize("headroom", [0.5, 1.5])
def test_white_level_is_the_scene_white(tmp_path, headroom):
    """Scene-linear light is scaled so that the sensor's white level is Y = 1: a chart whose
    perfect white diffuser sits ``headroom`` stops below clipping comes out (in the
    colorimetric look, no exposure added) with every patch 2 ** -headroom of its true Y."""
    info = make_demo_raw(tmp_path / "chart.dng", size=SIZE, noise=False, headroom_ev=headroom)
    score = evaluate_chart(lsquared.develop(info.path, look="neutral", exposure__baseline=False), info.patches)
    assert score.exposure_scale == pytest.approx(2.0 ** headroom, rel=0.02)


@pytest.mark.parametrize("stops", [1.25, -0.75])
def test_baseline_exposure_brightens_an_underexposed_raw(tmp_path, stops):
    """The chart shot ``stops`` under (its white that much further below clipping) with its
    BaselineExposure ``stops`` higher develops like the chart shot normally: same brightness,
    same colours.  (Negative: shot over, darkened back.)  Absolute too: scene white at the
    sensor's white level is Y = 1 (test above), so a chart whose white sits ``h`` stops under
    clipping, brightened by ``b``, needs a scale of 2 ** (h - b) to match its truth.  No
    embedded preview, so that the file's BaselineExposure is all there is to go by."""
    normal = make_demo_raw(tmp_path / "normal.dng", size=SIZE, noise=False, headroom_ev=1.0,
                           baseline_exposure=0.5, preview=False)
    under = make_demo_raw(tmp_path / "under.dng", size=SIZE, noise=False, headroom_ev=1.0 + stops,
                          baseline_exposure=0.5 + stops, preview=False)
    assert lsquared.open_raw(under.path).meta.baseline_exposure == pytest.approx(0.5 + stops, abs=1e-3)
    a = evaluate_chart(lsquared.develop(normal.path, look="neutral"), normal.patches)
    b = evaluate_chart(lsquared.develop(under.path, look="neutral"), under.patches)
    # 2 ** stops apart if BaselineExposure were ignored
    assert a.exposure_scale == pytest.approx(2.0 ** 0.5, rel=0.03)
    assert b.exposure_scale == pytest.approx(2.0 ** 0.5, rel=0.03)
    assert b.mean <= a.mean + 0.3
    # and switching the baseline off leaves the picture that much darker
    off = lsquared.develop(under.path, look="neutral", exposure__baseline=False)
    assert evaluate_chart(off, under.patches).exposure_scale == pytest.approx(2.0 ** (1.0 + stops), rel=0.03)
