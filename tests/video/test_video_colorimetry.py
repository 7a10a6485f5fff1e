"""Y'CbCr codings, input spaces and the folded LUT, against colour-science and the stills path."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.errors import ParameterError, UnsupportedError
from lsquared.kernels.lut3d import apply_lut3d
from lsquared.video import colorimetry as cm

colour = pytest.importorskip("colour")


@pytest.mark.parametrize("matrix,key", [("bt709", "ITU-R BT.709"), ("bt601", "ITU-R BT.601"),
                                        ("bt2020", "ITU-R BT.2020")])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("bits", [8, 10, 12])
def test_ycbcr_coding_matches_colour_science(matrix, key, full, bits):
    rgb = np.random.default_rng(0).random((500, 3))
    coding = cm.YCbCrCoding(matrix=matrix, full_range=full, bit_depth=bits)
    m, off = coding.rgb_to_ycbcr()
    want = colour.RGB_to_YCbCr(rgb, K=colour.WEIGHTS_YCBCR[key], out_bits=bits,
                               out_legal=not full, out_int=True)
    np.testing.assert_array_equal(np.round(rgb @ m.T + off), want)
    mi, offi = coding.ycbcr_to_rgb()
    back = colour.YCbCr_to_RGB(want, K=colour.WEIGHTS_YCBCR[key], in_bits=bits,
                               in_legal=not full, in_int=True)
    np.testing.assert_allclose((want - offi) @ mi.T, back, atol=1e-12)


def test_published_levels():
    """BT.709-6 item 4.6 / BT.2100 table 9: 8-bit black 16, white 235, chroma 16..240; 10-bit
    64..940 and 64..960; full range chroma centred on 2^(n-1)."""
    assert cm.YCbCrCoding(bit_depth=8).levels() == (16, 219, 128, 224)
    assert cm.YCbCrCoding(bit_depth=10).levels() == (64, 876, 512, 896)
    assert cm.YCbCrCoding(bit_depth=10, full_range=True).levels() == (0, 1023, 512, 1023)


def test_coding_from_tags_defaults_and_refusals():
    c = cm.coding_from_tags(colorspace=2, color_range=0, primaries=2, height=1080, bit_depth=10,
                            jpeg_format=False)
    assert (c.matrix, c.full_range, c.bit_depth) == ("bt709", False, 10)
    assert cm.coding_from_tags(colorspace=2, color_range=0, primaries=2, height=480, bit_depth=8,
                               jpeg_format=False).matrix == "bt601"
    assert cm.coding_from_tags(colorspace=2, color_range=0, primaries=9, height=2160, bit_depth=10,
                               jpeg_format=False).matrix == "bt2020"
    assert cm.coding_from_tags(colorspace=1, color_range=0, primaries=1, height=720, bit_depth=8,
                               jpeg_format=True).full_range
    with pytest.raises(UnsupportedError, match="constant luminance"):
        cm.coding_from_tags(colorspace=10, color_range=1, primaries=9, height=2160, bit_depth=10,
                            jpeg_format=False)


def test_to_vlog_matches_colour_science():
    """Rec.709 (inverse BT.709 OETF) and sRGB values to V-Log/V-Gamut, against colour
    (matrices derived from the published primaries, as lsquared.color does)."""
    rgb = np.random.default_rng(1).random((300, 3))

    def derived(name):
        cs = colour.RGB_COLOURSPACES[name].copy()
        cs.use_derived_transformation_matrices(True)
        return cs

    from colour.models.rgb.transfer_functions.itur_bt_2020 import CONSTANTS_BT2020_PRECISE

    def rec709_decode(v):   # lsquared uses BT.2020's precise alpha/beta for the BT.709 OETF
        return colour.models.oetf_inverse_BT2020(v, constants=CONSTANTS_BT2020_PRECISE)

    vgamut = derived("V-Gamut")
    for name, cs, decode in [("rec709", "ITU-R BT.709", rec709_decode),
                             ("srgb", "sRGB", colour.models.eotf_sRGB)]:
        lin = colour.RGB_to_RGB(decode(rgb), derived(cs), vgamut)
        want = colour.models.log_encoding_VLog(lin)
        np.testing.assert_allclose(cm.to_vlog(rgb, name), want, atol=1e-6)
    # 18% grey in Rec.709 is V-Log 0.4233 (Panasonic's check value)
    grey = colour.models.oetf_BT709(0.18)
    np.testing.assert_allclose(cm.to_vlog(np.full(3, grey), "rec709"), 0.4233, atol=1e-4)


def test_hlg_and_pq_put_reference_white_at_diffuse_white():
    """BT.2408: HLG 75% and PQ 203 cd/m^2 are reference white; HLG 38% is 18% grey."""
    vlog_white = colour.models.log_encoding_VLog(1.0)
    vlog_grey = colour.models.log_encoding_VLog(0.18)
    np.testing.assert_allclose(cm.to_vlog(np.full(3, 0.75), "hlg"), vlog_white, atol=1e-9)
    pq_white = colour.models.eotf_inverse_ST2084(203.0)
    np.testing.assert_allclose(cm.to_vlog(np.full(3, pq_white), "pq"), vlog_white, atol=1e-6)
    np.testing.assert_allclose(cm.to_vlog(np.full(3, 0.38), "hlg"), vlog_grey, atol=2e-3)


def test_compose_lut_is_exact_at_nodes_and_close_between():
    look = cm.colorimetric_lut(33)
    composed = cm.compose_lut(look, "rec709", 65)
    axis = np.linspace(0, 1, 65)
    nodes = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1)[::8, ::8, ::8].reshape(1, -1, 3)
    exact = apply_lut3d(cm.to_vlog(nodes, "rec709").astype(np.float32), look)
    np.testing.assert_allclose(composed[::8, ::8, ::8].reshape(1, -1, 3), exact, atol=1e-6)
    pts = np.random.default_rng(2).random((1, 50000, 3)).astype(np.float32)
    exact = np.clip(apply_lut3d(cm.to_vlog(pts, "rec709").astype(np.float32), look), 0, 1)
    folded = np.clip(apply_lut3d(pts, composed), 0, 1)
    err = np.abs(folded - exact) * 1023
    assert err.mean() < 0.2 and np.quantile(err, 0.999) < 3      # 10-bit code values
    assert cm.compose_lut(look, "vlog") is not None and np.shares_memory(cm.compose_lut(look, "vlog"), look)


@pytest.mark.parametrize("trc,primaries,meta,want", [
    (18, 9, {}, "hlg"),
    (16, 9, {}, "pq"),
    (1, 1, {}, "rec709"),
    (2, 2, {}, "rec709"),
    (14, 9, {}, "rec2020"),
    (13, 1, {}, "srgb"),
    (1, 1, {"video:comment": "Panasonic V-Log L"}, "vlog"),
    (2, 2, {"com.panasonic.gamma": "VLOG"}, "vlog"),
    (1, 1, {"title": "my weekly vlog"}, "rec709"),       # a title is not a transfer function
])
def test_detect_input_space(trc, primaries, meta, want):
    assert cm.detect_input_space(transfer_code=trc, primaries_code=primaries, metadata=meta) == want


def test_unknown_input_space_lists_the_choices():
    with pytest.raises(ParameterError, match="vlog, rec709"):
        cm.validate_input_space("slog3")
    assert cm.validate_input_space("BT709") == "rec709"
    assert cm.validate_input_space("arib-std-b67") == "hlg"
