"""The compiled LUT against the look's exact math, and the contract the pipeline relies on."""

from __future__ import annotations

import numpy as np
import pytest

colour = pytest.importorskip("colour")

from lsquared.color import transfer
from lsquared.color.spaces import SPACES, rgb_to_rgb_matrix
from lsquared.errors import ParameterError
from lsquared.looks import LOOKS, LookLUT, compile_look, resolve_look, sample_look


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _in_gamut_vlog(n: int, space: str = "srgb", seed: int = 0):
    """Random colours inside ``space`` (perceptually spread), as V-Log/V-Gamut, and their
    linear values in ``space``."""
    rng = np.random.default_rng(seed)
    lin = rng.random((n, 3)) ** 2.2
    v = transfer.vlog_encode(lin @ rgb_to_rgb_matrix(SPACES[space], "vgamut").T)
    return v, lin


def _lab(encoded, space):
    sp = SPACES[space]
    xyz = transfer.decode(np.clip(encoded, 0, 1), sp.transfer) @ sp.to_xyz.T
    return colour.XYZ_to_Lab(xyz, colour.xy_to_xyY(sp.white))


@pytest.mark.parametrize("space", ["srgb", "display-p3", "rec2020"])
def test_neutral_is_the_colorimetric_formula(space):
    """neutral = V-Log decode -> matrix -> clip -> transfer: the exact math equals the
    published formulas, and the 65-point LUT reproduces it with negligible error."""
    v, lin = _in_gamut_vlog(100_000, space)
    look = resolve_look("neutral")
    exact = sample_look(look, v, space)
    sp = SPACES[space]
    formula = transfer.encode(np.clip(lin, 0, 1), sp.transfer)
    assert np.abs(exact - formula).max() < 1e-9
    lut = compile_look(look, space)
    assert lut.size == 65 and lut.output_space == space
    got = lut.apply(v[None].astype(np.float32))[0]
    de = colour.delta_E(_lab(formula, space), _lab(got, space), method="CIE 2000")
    assert de.mean() < 0.12 and de.max() < 1.0, (de.mean(), de.max())


def test_neutral_grey_and_white():
    lut = compile_look("neutral")
    grey = lut.apply(np.full((1, 1, 3), transfer.vlog_encode(0.18), np.float32))[0, 0]
    assert grey == pytest.approx([float(transfer.srgb_encode(0.18))] * 3, abs=2e-4)
    white = lut.apply(np.full((1, 1, 3), transfer.vlog_encode(1.0), np.float32))[0, 0]
    assert white == pytest.approx([1, 1, 1], abs=1e-4)
    over = lut.apply(np.full((1, 1, 3), 0.9, np.float32))[0, 0]     # clipped, not beyond
    assert np.all(over == 1.0)


@pytest.mark.parametrize("name", ["standard", "vivid", "portrait", "cinema-vivid"])
def test_lut_matches_exact_math(name):
    if name not in LOOKS:
        pytest.skip(f"{name} not built yet")
    look = resolve_look(name)
    v, _ = _in_gamut_vlog(50_000, "rec2020", seed=1)
    v = transfer.vlog_encode(transfer.vlog_decode(v) * 4.0)      # up to 2 stops over white
    exact = sample_look(look, v)
    got = compile_look(look).apply(v[None].astype(np.float32))[0]
    de = colour.delta_E(_lab(exact, "srgb"), _lab(got, "srgb"), method="CIE 2000")
    assert de.mean() < 0.35 and np.percentile(de, 99) < 2.0, (de.mean(), np.percentile(de, 99))


def test_contract_types_and_cache():
    look = resolve_look("standard")
    lut = compile_look(look, output_space="srgb")
    assert isinstance(lut, LookLUT)
    assert lut.table.dtype == np.float32 and lut.table.shape == (33, 33, 33, 3)
    assert not lut.table.flags.writeable
    assert 0.0 <= lut.table.min() and lut.table.max() <= 1.0
    assert lut.digest == look.digest and len(look.digest) == 16
    assert compile_look("standard") is lut                    # memory cache
    assert compile_look(look, size=17).size == 17
    # indexed [r, g, b]: raising only the red input raises red output most
    t = lut.table
    assert t[32, 16, 16, 0] > t[16, 16, 16, 0] and t[32, 16, 16, 0] - t[16, 16, 16, 0] > \
        t[32, 16, 16, 2] - t[16, 16, 16, 2]


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    from lsquared.looks import compile as comp

    look = resolve_look("standard")
    a = compile_look(look, size=9)
    comp._MEMORY.clear()
    files = list(comp.cache_dir().glob("*.npy"))
    assert files, "nothing written to the disk cache"
    b = compile_look(look, size=9)
    assert a is not b and np.array_equal(a.table, b.table)


def test_bad_names_are_parameter_errors():
    with pytest.raises(ParameterError, match="standard"):
        resolve_look("no-such-look")
    with pytest.raises(ParameterError, match="srgb"):
        compile_look("standard", output_space="cmyk")
    with pytest.raises(ParameterError):
        compile_look("standard", size=1)


def test_standard_is_a_smooth_monotonic_tone_curve():
    """Grey axis: monotonic, middle grey near display grey, highlights roll off to white
    without a hard clip (the curve still rises near white)."""
    look = resolve_look("standard")
    x = np.linspace(0, 1, 2001)
    y = sample_look(look, np.stack([x, x, x], axis=1))[:, 1]
    assert np.all(np.diff(y) >= -1e-12)
    g = sample_look(look, np.full((1, 3), transfer.vlog_encode(0.18)))[0, 1]
    assert 0.40 < g < 0.52
    # scene 1.0 (sensor clip of a develop) is bright but not yet flat white
    w = sample_look(look, np.full((1, 3), transfer.vlog_encode(1.0)))[0, 1]
    assert 0.9 < w < 1.0
    assert y[-1] > 0.99


def test_docs_parameter_tables_are_generated_from_the_steps():
    """docs/looks.md holds parameter_reference() between its markers (regenerate if this fails)."""
    from pathlib import Path

    from lsquared.looks.steps import parameter_reference

    doc = (Path(__file__).resolve().parents[2] / "docs" / "looks.md").read_text()
    block = doc.split("<!-- parameters:begin -->\n")[1].split("<!-- parameters:end -->")[0]
    assert block.strip() == parameter_reference().strip()


def test_rec709_output_is_srgb_primaries_with_the_bt709_oetf():
    """For video: the same display light as sRGB output, encoded with the BT.709 OETF."""
    look = resolve_look("standard")
    v = np.random.default_rng(5).random((2000, 3))
    srgb = sample_look(look, v, "srgb")
    rec = sample_look(look, v, "rec709")
    assert np.abs(transfer.rec709_encode(transfer.srgb_decode(srgb)) - rec).max() < 1e-9
    assert compile_look(look, "rec709").output_space == "rec709"


def test_lookut_apply_switches_to_the_dense_table_without_changing_a_code(monkeypatch):
    from lsquared.looks import compile as comp

    monkeypatch.setattr(comp, "DENSE_AFTER", 50_000)
    lut = compile_look("classic", size=17)
    frame = np.random.default_rng(6).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    first = lut.apply(frame)                                  # per-pixel kernel
    assert "dense" in lut._prepared
    second = lut.apply(frame)                                 # dense table
    assert np.array_equal(first, second)
    f10 = np.rint(frame * (1023 / 255)).astype(np.uint16)    # the same colours in 10 bit
    out10 = lut.apply(f10, bits=10)
    assert out10.dtype == np.uint16 and out10.max() <= 1023
    assert np.abs(np.rint(out10 * (255 / 1023)) - first).max() <= 1


def test_tone_curve_hits_its_anchors_and_is_smooth():
    from lsquared.looks.render import KNEE, tone_curve
    from lsquared.looks.steps import Tone

    tone = Tone(contrast=1.3, grey=0.18, white=3.0, toe=0.01)
    assert tone_curve(np.array([0.18]), tone)[0] == pytest.approx(0.18, abs=1e-12)
    white = tone_curve(np.array([0.18 * 2 ** 3.0]), tone)[0]
    assert 0.99 < white < 0.995                                 # 99 % of white, not clipped
    x = np.geomspace(1e-6, 1e4, 20001)
    y = tone_curve(x, tone)
    assert np.all(np.diff(y) > 0) and y[-1] < 1.0               # monotonic, never reaches 1
    # C1 at the shoulder's knee: the slope just below and just above agree
    i = np.searchsorted(y, KNEE)
    slopes = np.diff(y[i - 3:i + 3]) / np.diff(x[i - 3:i + 3])
    assert np.ptp(slopes) / slopes.mean() < 0.01


@pytest.mark.parametrize("space", ["srgb", "display-p3", "rec2020"])
def test_tone_step_fits_all_of_vgamut_into_the_output_without_clipping(space):
    """In gamut by construction: every V-Gamut colour (its primaries and their mixes, from
    8 stops under to 6 stops over grey) comes out of the tone step with output RGB in [0, 1]."""
    from lsquared.looks.render import apply_tone

    look = resolve_look("vivid")
    rng = np.random.default_rng(7)
    mix = rng.random((20000, 3)) ** 3                          # many near the gamut edges
    mix[:6] = np.eye(3).tolist() + [[1, 1, 0], [0, 1, 1], [1, 0, 1]]
    lin = mix * (0.18 * 2.0 ** rng.uniform(-8, 6, (20000, 1)))
    xyz = apply_tone(lin @ SPACES["vgamut"].to_xyz.T, look.tone, space, look.output.gamut_compression)
    rgb = xyz @ SPACES[space].from_xyz.T
    assert rgb.min() > -1e-9 and rgb.max() < 1 + 1e-9


def test_oklab_matches_colour_science():
    from lsquared.looks.render import oklab_to_xyz, xyz_to_oklab

    xyz = np.random.default_rng(8).random((1000, 3)) * [0.95, 1.0, 1.09]
    assert np.abs(xyz_to_oklab(xyz) - colour.XYZ_to_Oklab(xyz)).max() < 1e-6
    assert np.abs(oklab_to_xyz(xyz_to_oklab(xyz)) - xyz).max() < 1e-9
