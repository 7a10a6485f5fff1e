"""Colour math against colour-science (the oracle) and published check values."""

from __future__ import annotations

import numpy as np
import pytest

colour = pytest.importorskip("colour")

from lsquared.color import transfer
from lsquared.color.adaptation import adaptation_matrix
from lsquared.color.spaces import space
from lsquared.color.temperature import temperature_to_xy, xy_to_temperature


def test_vlog_matches_colour_science_and_published_grey():
    x = np.linspace(-0.02, 40.0, 20001)
    assert np.abs(transfer.vlog_encode(x) - colour.models.log_encoding_VLog(x)).max() < 1e-6
    y = np.linspace(0.0, 1.0, 20001)
    assert np.abs(transfer.vlog_decode(y) - colour.models.log_decoding_VLog(y)).max() < 1e-6
    # Panasonic's reference manual: 18% grey -> 0.4233 (433 of 1023 in 10 bit)
    assert transfer.vlog_encode(0.18) == pytest.approx(0.4233, abs=5e-5)


@pytest.mark.parametrize("name,oracle", [
    ("srgb", lambda x: colour.models.eotf_inverse_sRGB(x)),
    ("hlg", lambda x: colour.models.oetf_BT2100_HLG(x)),
    ("pq", lambda x: colour.models.eotf_inverse_ST2084(x * 10000.0)),
])
def test_transfer_functions_match_colour(name, oracle):
    x = np.linspace(0.0, 1.0, 4001)
    assert np.abs(transfer.encode(x, name) - oracle(x)).max() < 1e-6
    assert np.abs(transfer.decode(transfer.encode(x, name), name) - x).max() < 1e-9


def test_rec709_roundtrip_and_published_points():
    x = np.linspace(0.0, 1.0, 4001)
    assert np.abs(transfer.rec709_decode(transfer.rec709_encode(x)) - x).max() < 1e-12
    # BT.709: 1.0 -> 1.0, the 0.018 knee -> 0.081
    assert transfer.rec709_encode(1.0) == pytest.approx(1.0)
    assert transfer.rec709_encode(0.018053968510807) == pytest.approx(0.0812428582986, abs=1e-9)


@pytest.mark.parametrize("ours,theirs", [("srgb", "sRGB"), ("display-p3", "Display P3"),
                                         ("rec2020", "ITU-R BT.2020"), ("vgamut", "V-Gamut")])
def test_space_matrices_match_colour(ours, theirs):
    # colour's sRGB and V-Gamut matrices are the rounded published ones
    assert np.abs(space(ours).to_xyz - colour.RGB_COLOURSPACES[theirs].matrix_RGB_to_XYZ).max() < 1e-4


def test_bradford_matches_colour():
    d65, a = np.array([0.3127, 0.3290]), np.array([0.44757, 0.40745])
    ours = adaptation_matrix(a, d65, "bradford")
    theirs = colour.adaptation.matrix_chromatic_adaptation_VonKries(
        colour.xy_to_XYZ(a), colour.xy_to_XYZ(d65), transform="Bradford")
    assert np.abs(ours - theirs).max() < 1e-9


@pytest.mark.parametrize("kelvin", [2000, 2856, 3200, 4000, 5003, 6504, 9000, 15000])
def test_robertson_temperature_matches_colour(kelvin):
    xy = temperature_to_xy(kelvin)
    uv = colour.xy_to_UCS_uv(np.array(xy))
    t, duv = colour.temperature.uv_to_CCT(uv, method="Robertson 1968")
    assert t == pytest.approx(kelvin, rel=1e-5)
    assert xy_to_temperature(xy)[0] == pytest.approx(kelvin, rel=1e-5)


def test_tint_roundtrip_and_d65_reads_as_adobe_does():
    assert xy_to_temperature(temperature_to_xy(4300, 25))[1] == pytest.approx(25, abs=1e-3)
    k, tint = xy_to_temperature((0.3127, 0.3290))
    assert k == pytest.approx(6504, abs=2) and tint == pytest.approx(9.8, abs=0.3)
