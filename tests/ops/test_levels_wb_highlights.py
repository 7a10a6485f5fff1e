"""levels, white balance and highlight clipping on small hand-checked arrays."""

from __future__ import annotations

import colour
import numpy as np
import pytest

from lsquared.color import dng_model
from lsquared.color.temperature import temperature_to_xy
from lsquared.errors import ParameterError
from lsquared.frame import CameraColor, Encoding, Frame, FrameMeta, SensorLayout
from lsquared.ops.highlights import HighlightParams, highlights, highlights_clip
from lsquared.ops.levels import levels, normalize_levels
from lsquared.ops.white_balance import (PRESETS, WhiteBalanceParams, apply_multipliers, multipliers_for,
                                        parse_white_balance, resolve_white_balance, white_balance)

# a plausible camera: XYZ -> camera under A and D65 (rows: R, G, B)
CM_A = np.array([[0.80, -0.25, -0.05], [-0.40, 1.25, 0.20], [-0.05, 0.20, 0.55]])
CM_D65 = np.array([[0.75, -0.20, -0.08], [-0.45, 1.30, 0.17], [-0.08, 0.18, 0.62]])
COLOR = CameraColor(color_matrix=(CM_A, CM_D65), illuminant=(17, 21), source="dng")


def test_normalize_levels_per_cfa_position():
    raw = np.array([[110, 220, 110, 220], [330, 440, 330, 440], [110, 220, 110, 220]], np.float32)
    out = normalize_levels(raw, black=(10, 20, 30, 40), white=1010)
    # (v - black[pos]) / (white - black[pos]) with pos = 2*(y&1) + (x&1)
    assert out[0, 0] == pytest.approx(100 / 1000)
    assert out[0, 1] == pytest.approx(200 / 990)
    assert out[1, 0] == pytest.approx(300 / 980)
    assert out[1, 1] == pytest.approx(400 / 970)
    assert out[2, 3] == pytest.approx(200 / 990)
    assert raw[0, 0] == 110                    # input untouched


def test_levels_keeps_negative_noise_and_sets_encoding():
    raw = np.full((4, 4), 5.0, np.float32)
    meta = FrameMeta(black=(10, 10, 10, 10), white=110, encoding=Encoding.RAW)
    out = levels(Frame(raw, meta))
    assert out.meta.encoding is Encoding.CFA
    assert np.allclose(out.data, -0.05)


def test_levels_three_channels_per_channel_black():
    raw = np.ones((2, 2, 3), np.float32) * np.array([20, 30, 40], np.float32)
    meta = FrameMeta(black=(10, 20, 30, 0), white=110, layout=SensorLayout.LINEAR_RGB, encoding=Encoding.RAW)
    out = levels(Frame(raw, meta))
    assert out.meta.encoding is Encoding.CAMERA_RGB
    assert np.allclose(out.data[0, 0], [0.1, 10 / 90, 10 / 80])


def test_multipliers_smallest_is_one():
    m = multipliers_for([0.5, 1.0, 0.8])
    assert m.min() == pytest.approx(1.0)
    assert m == pytest.approx([2.0, 1.0, 1.25])


@pytest.mark.parametrize("pattern", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_apply_multipliers_follows_cfa(pattern):
    cfa = np.ones((4, 4), np.float32)
    out = apply_multipliers(cfa, [2.0, 1.0, 3.0], pattern)
    gain = {"R": 2.0, "G": 1.0, "B": 3.0}
    assert out[0, 0] == gain[pattern[0]] and out[0, 1] == gain[pattern[1]]
    assert out[1, 0] == gain[pattern[2]] and out[1, 1] == gain[pattern[3]]
    assert out[2, 2] == gain[pattern[0]]


def test_parse_white_balance():
    assert parse_white_balance("5500").temperature == 5500
    assert parse_white_balance("3200K").mode == "kelvin"
    assert parse_white_balance("As-Shot").mode == "as-shot"
    assert parse_white_balance("tungsten").mode == "tungsten"
    with pytest.raises(ParameterError, match="unknown white balance 'moonlight'"):
        parse_white_balance("moonlight")
    with pytest.raises(ParameterError, match="outside"):
        parse_white_balance("900")


# Kelvin of COLOR's calibration illuminants, EXIF LightSource 17 (Standard light A) and 21 (D65):
# CIE 015:2018, table 1 (2856 K; D65's CCT 6504 K)
KELVIN_A, KELVIN_D65 = 2856.0, 6504.0


def _published_neutral(kelvin: float) -> np.ndarray:
    """Camera RGB of a white lit at ``kelvin`` (on the Planckian locus), computed without
    lsquared: the white's xy from colour-science's Robertson (1968) method, and the DNG 1.6
    rule (ch. 6, p. 84) written out: ColorMatrix interpolated linearly in 1/T between the
    calibration illuminants, held constant outside them."""
    xy = colour.UCS_uv_to_xy(colour.temperature.CCT_to_uv_Robertson1968(np.array([kelvin, 0.0])))
    xyz = colour.xy_to_XYZ(xy)
    w = (1 / kelvin - 1 / KELVIN_D65) / (1 / KELVIN_A - 1 / KELVIN_D65)     # weight of CM_A
    w = min(max(w, 0.0), 1.0)
    camera = (w * CM_A + (1 - w) * CM_D65) @ xyz
    return camera / camera[1]


@pytest.mark.parametrize("kelvin", [KELVIN_A, 3200.0, 4300.0, KELVIN_D65, 9000.0])
def test_kelvin_white_balance_makes_that_light_neutral(kelvin):
    """A grey lit by a light of ``kelvin``, seen through the camera (computed independently
    above), gets that neutral from --wb KELVIN and comes out (1, 1, 1)."""
    camera_grey = _published_neutral(kelvin)
    meta = FrameMeta(camera_color=COLOR, layout=SensorLayout.LINEAR_RGB, encoding=Encoding.CAMERA_RGB)
    frame = Frame(np.ones((2, 2, 3), np.float32) * camera_grey.astype(np.float32), meta)
    out, params = white_balance(frame, WhiteBalanceParams(mode="kelvin", temperature=kelvin))
    assert params.neutral[1] == 1.0
    np.testing.assert_allclose(params.neutral, camera_grey, rtol=2e-4)
    balanced = out.data[0, 0]
    assert balanced / balanced[1] == pytest.approx([1, 1, 1], rel=1e-5)


def test_presets_resolve_through_the_matrix_and_order_by_temperature():
    meta = FrameMeta(camera_color=COLOR, encoding=Encoding.CFA)
    frame = Frame(np.zeros((2, 2), np.float32), meta)
    rb = {}
    for name in PRESETS:
        n = resolve_white_balance(frame, WhiteBalanceParams(mode=name)).neutral
        rb[name] = n[0] / n[2]
    # warmer light: more red relative to blue in the camera's neutral
    assert rb["tungsten"] > rb["fluorescent"] > rb["daylight"] > rb["cloudy"] > rb["shade"]


def test_preset_without_matrix_is_a_clear_error():
    frame = Frame(np.zeros((2, 2), np.float32), FrameMeta(source="x.kdc", encoding=Encoding.CFA))
    with pytest.raises(ParameterError, match="no colour matrix"):
        resolve_white_balance(frame, WhiteBalanceParams(mode="daylight"))


def test_clip_makes_blown_white_neutral_not_magenta():
    """A photosite saturated in every channel is (1,1,1) after WB + clip, never magenta."""
    raw = np.ones((2, 2, 3), np.float32)               # all channels at the white level
    wb = apply_multipliers(raw, multipliers_for([0.5, 1.0, 0.7]), None)
    assert wb[0, 0, 0] > 1.5                            # magenta before the clip
    clipped = highlights_clip(wb)
    assert np.all(clipped == 1.0)
    frame = Frame(wb, FrameMeta(encoding=Encoding.CAMERA_RGB))
    assert np.all(highlights(frame, HighlightParams(mode="clip")).data == 1.0)
    assert wb[0, 0, 0] > 1.5                            # input untouched
