"""Demosaic methods: hand-checked impulse responses, identities, phases, the oracle, input checks.

Kodak-24 quality tests are in test_kodak.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.errors import InputError, ParameterError
from lsquared.frame import Encoding, Frame, FrameMeta, SensorLayout
from lsquared.ops.demosaic import (
    DEMOSAIC_METHODS,
    DemosaicParams,
    demosaic,
    demosaic_array,
)

METHODS = DEMOSAIC_METHODS.names()
PHASES = ("RGGB", "GRBG", "GBRG", "BGGR")
# Red site of each phase, and the 2x2 colour layout as channel indices
RED_SITE = {"RGGB": (0, 0), "GRBG": (0, 1), "GBRG": (1, 0), "BGGR": (1, 1)}
# How far a method's windows reach (pixels), where more than the 24 that covers the others:
# ARI's iterated windows grow by one pixel per iteration (kernels/demosaic_ari.py).  The
# border-sensitive tests below exclude this much and grow their scenes to keep the same interior.
REACH = {"ari": 104}


# Methods whose result depends on a hard per-pixel choice (ARI keeps, per pixel, the iteration
# whose criterion is smallest): float rounding that differs with the summation order (a
# mirrored mosaic) or the exposure moves near-ties, so two results that must be equal are
# equal at almost every pixel, and close at the few where a tie went the other way.
PER_PIXEL_CHOICE = {"ari"}


def assert_equal_but_ties(method: str, a: np.ndarray, b: np.ndarray) -> None:
    diff = np.abs(a - b)
    if method not in PER_PIXEL_CHOICE:
        assert diff.max() < 1e-5
        return
    moved = np.count_nonzero(diff.max(axis=-1) >= 1e-5) / diff[..., 0].size
    assert moved < 0.01, f"{moved:.1%} of the pixels differ"
    assert diff.max() < 0.05


def reach(method: str) -> int:
    return REACH.get(method, 24)


def mosaic_of(rgb: np.ndarray, pattern: str = "RGGB") -> np.ndarray:
    """Sample an (H, W, 3) scene through a Bayer filter of the given phase."""
    index = {"R": 0, "G": 1, "B": 2}
    out = np.empty(rgb.shape[:2], dtype=np.float32)
    for k, ch in enumerate(pattern):
        dy, dx = divmod(k, 2)
        out[dy::2, dx::2] = rgb[dy::2, dx::2, index[ch]]
    return out


def smooth_scene(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A band-limited colour scene (sums of low-frequency sinusoids), values in about [0.1, 0.9]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rgb = np.empty((h, w, 3))
    base = sum(np.sin(rng.uniform(0.02, 0.25) * x + rng.uniform(0.02, 0.25) * y + rng.uniform(0, 6))
               for _ in range(4)) / 8
    for c in range(3):
        chroma = 0.1 * np.sin(rng.uniform(0.01, 0.05) * x + rng.uniform(0.01, 0.05) * y + c)
        rgb[..., c] = 0.5 + base + chroma
    return rgb.astype(np.float32)


# --- hand-checked impulse responses -------------------------------------------------------

def test_bilinear_impulse_at_red_site_by_hand():
    m = np.zeros((8, 8), np.float32)
    m[4, 4] = 1.0          # a red site in RGGB
    out = demosaic_array(m, "RGGB", "bilinear")
    # red: the sparse plane through [[1,2,1],[2,4,2],[1,2,1]]/4
    assert np.allclose(out[3:6, 3:6, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])
    assert out[..., 0].sum() == pytest.approx(4.0)
    assert np.all(out[..., 1:] == 0.0)


def test_bilinear_impulse_at_green_site_by_hand():
    m = np.zeros((8, 8), np.float32)
    m[4, 5] = 1.0          # a green site on a red row
    out = demosaic_array(m, "RGGB", "bilinear")
    expect = np.zeros((8, 8), np.float32)
    expect[4, 5] = 1.0
    expect[4, 4] = expect[4, 6] = expect[3, 5] = expect[5, 5] = 0.25   # its red and blue neighbours
    assert np.array_equal(out[..., 1], expect)
    assert np.all(out[..., 0] == 0.0) and np.all(out[..., 2] == 0.0)


def test_malvar_impulse_matches_the_paper_filters():
    m = np.zeros((10, 10), np.float32)
    m[4, 4] = 1.0          # red site
    out = demosaic_array(m, "RGGB", "malvar")
    assert out[4, 4, 0] == 1.0
    assert out[4, 4, 1] == pytest.approx(4 / 8)          # G at R: centre 4
    assert out[4, 6, 1] == pytest.approx(-1 / 8)         # G at another R, two columns away: -1
    assert out[4, 4, 2] == pytest.approx(6 / 8)          # B at R: centre 6
    assert out[4, 6, 2] == pytest.approx(-1.5 / 8)       # B at R two away: -3/2
    assert out[4, 5, 0] == pytest.approx(4 / 8)          # R at G (red row): row neighbour 4
    assert out[5, 5, 0] == pytest.approx(2 / 8)          # R at B: diagonal 2
    assert out[5, 4, 2] == 0.0                           # B at G (blue row): no tap on the red above
    g = np.zeros((10, 10), np.float32)
    g[4, 5] = 1.0          # green site on a red row
    out = demosaic_array(g, "RGGB", "malvar")
    assert out[4, 4, 1] == pytest.approx(2 / 8)          # G at R: edge neighbour 2
    assert out[4, 7, 0] == pytest.approx(-1 / 8)         # R at the next green of the row: -1
    assert out[4, 7, 2] == pytest.approx(0.5 / 8)        # B there: the paper's 1/2 tap
    assert out[4, 5, 0] == pytest.approx(5 / 8)          # R at the green itself: centre 5


# --- the reference implementation --------------------------------------------------------

@pytest.mark.parametrize("pattern", PHASES)
@pytest.mark.parametrize("method,oracle_name,border", [
    ("bilinear", "demosaicing_CFA_Bayer_bilinear", 2),
    ("malvar", "demosaicing_CFA_Bayer_Malvar2004", 2),
    ("menon2007", "demosaicing_CFA_Bayer_Menon2007", 12),     # with its refining step
])
def test_matches_colour_demosaicing_inside(method, oracle_name, border, pattern):
    cd = pytest.importorskip("colour_demosaicing")
    rng = np.random.default_rng(1)
    m = rng.random((48, 62)).astype(np.float32)     # white noise: every branch gets exercised
    ours = demosaic_array(m, pattern, method)
    ref = getattr(cd, oracle_name)(m.astype(np.float64), pattern)
    # colour-demosaicing pads with the edge sample repeated, we mirror: compare away from
    # borders; float32 against float64 arithmetic
    assert np.abs(ours - ref)[border:-border, border:-border].max() < 1e-6


# --- identities ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("pattern", PHASES)
def test_flat_field_is_returned_exactly(method, pattern):
    rgb = np.empty((37, 52, 3), np.float32)
    rgb[...] = (0.8, 0.5, 0.3)
    out = demosaic_array(mosaic_of(rgb, pattern), pattern, method)
    # everywhere, borders included (mirroring keeps a flat field flat); float32 rounding only
    assert np.abs(out - rgb).max() < 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_grey_ramp_is_returned_away_from_borders(method):
    m = reach(method)
    y, x = np.mgrid[0:48 + 2 * m, 0:72 + 2 * m].astype(np.float32)
    grey = 0.1 + 0.004 * x * (120 / (72 + 2 * m)) + 0.003 * y * (96 / (48 + 2 * m))
    rgb = np.repeat(grey[..., None], 3, axis=2)
    out = demosaic_array(mosaic_of(rgb), "RGGB", method)
    # a ramp is not mirror-symmetric, so the border is excluded: 24 pixels cover the reach
    # of every method's windows but ARI's; inside, float32 rounding only
    assert np.abs(out - rgb)[m:-m, m:-m].max() < 1e-5


@pytest.mark.parametrize("method", METHODS)
def test_colour_ramp_is_returned_away_from_borders(method):
    m = reach(method)
    y, x = np.mgrid[0:48 + 2 * m, 0:72 + 2 * m].astype(np.float32)
    x *= 120 / (72 + 2 * m)         # the same ranges of values whatever the size
    y *= 96 / (48 + 2 * m)
    rgb = np.stack([0.2 + 0.005 * x, 0.3 + 0.002 * x + 0.004 * y, 0.6 - 0.003 * y], axis=2)
    out = demosaic_array(mosaic_of(rgb), "RGGB", method)
    # each channel a different plane: linear interpolation and the Laplacian corrections are
    # exact on planes (all second differences vanish)
    assert np.abs(out - rgb)[m:-m, m:-m].max() < 1e-5


@pytest.mark.parametrize("method", METHODS)
def test_values_above_one_are_not_clipped(method):
    rgb = np.empty((20, 24, 3), np.float32)
    rgb[...] = (1.3, 1.05, 0.0)
    out = demosaic_array(mosaic_of(rgb), "RGGB", method)
    assert np.abs(out - rgb).max() < 1e-6


# --- Bayer phases -------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dy,dx,pattern", [(0, 1, "GRBG"), (1, 0, "GBRG"), (1, 1, "BGGR")])
def test_shifted_mosaic_gives_the_shifted_result(method, dy, dx, pattern):
    rng = np.random.default_rng(2)
    e = reach(method) + 4
    h, w = 34 + 2 * e, 54 + 2 * e
    m = (smooth_scene(h, w) + 0.05 * rng.standard_normal((h, w, 3)).astype(np.float32))
    cfa = mosaic_of(m, "RGGB")
    ref = demosaic_array(cfa, "RGGB", method)
    moved = demosaic_array(cfa[dy:, dx:], pattern, method)
    # the same kernel sees the same samples away from the borders: equal to float rounding
    assert np.abs(moved - ref[dy:, dx:])[e:-e, e:-e].max() < 1e-5


@pytest.mark.parametrize("method", METHODS)
def test_mirrored_mosaic_gives_the_mirrored_result(method):
    rng = np.random.default_rng(3)
    m = smooth_scene(64, 80) + 0.05 * rng.standard_normal((64, 80, 3)).astype(np.float32)
    cfa = mosaic_of(m, "RGGB")
    ref = demosaic_array(cfa, "RGGB", method)
    # RGGB flipped left-right (even width) is GRBG, upside down (even height) is GBRG
    lr = demosaic_array(np.ascontiguousarray(cfa[:, ::-1]), "GRBG", method)[:, ::-1]
    ud = demosaic_array(np.ascontiguousarray(cfa[::-1, :]), "GBRG", method)[::-1, :]
    assert_equal_but_ties(method, lr, ref)
    assert_equal_but_ties(method, ud, ref)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (3, 2), (5, 7), (131, 517), (257, 1030)])
def test_any_size_from_2x2_is_finite_and_shaped(method, shape):
    rng = np.random.default_rng(4)
    m = rng.random(shape).astype(np.float32)
    for pattern in PHASES:
        out = demosaic_array(m, pattern, method)
        assert out.shape == shape + (3,) and out.dtype == np.float32
        assert np.isfinite(out).all()
        # the sampled channel passes through unchanged at every site
        ry, rx = RED_SITE[pattern]
        assert np.array_equal(out[ry::2, rx::2, 0], m[ry::2, rx::2])
        assert np.array_equal(out[1 - ry::2, 1 - rx::2, 2], m[1 - ry::2, 1 - rx::2])


@pytest.mark.parametrize("method", METHODS)
def test_hard_input_stays_finite(method):
    # zeros next to saturation, isolated spikes, a black frame: nothing may divide by zero
    rng = np.random.default_rng(5)
    m = np.where(rng.random((64, 96)) < 0.5, 0.0, 1.0).astype(np.float32)
    m[10:20, :] = 0.0
    m[30, 40] = 50.0
    for cfa in (m, np.zeros_like(m), np.full_like(m, 1e-30)):
        assert np.isfinite(demosaic_array(cfa, "RGGB", method)).all()


@pytest.mark.parametrize("method", [m for m in METHODS if m != "menon2007"])
def test_exposure_does_not_change_the_result(method):
    # no absolute thresholds: scaling the mosaic scales the result (an underexposed raw is
    # demosaicked like a well exposed one).  Menon 2007 is left out: its hard decision
    # breaks exact ties of the two directions, which float rounding of the scaled data moves.
    rng = np.random.default_rng(7)
    cfa = mosaic_of(smooth_scene(64, 96) + 0.05 * rng.standard_normal((64, 96, 3)).astype(np.float32))
    ref = demosaic_array(cfa, "RGGB", method)
    for k in (1e-4, 1e-2, 1e3):
        out = demosaic_array(cfa * np.float32(k), "RGGB", method) / np.float32(k)
        assert_equal_but_ties(method, out, ref)


@pytest.mark.parametrize("method", METHODS)
def test_huge_values_stay_finite(method):
    rng = np.random.default_rng(8)
    cfa = (rng.random((48, 64)) * 1e14).astype(np.float32)
    assert np.isfinite(demosaic_array(cfa, "RGGB", method)).all()


# --- input checks -------------------------------------------------------------------------

def test_input_is_not_modified_and_integers_are_accepted():
    rng = np.random.default_rng(6)
    m = (rng.random((16, 16)) * 4000).astype(np.uint16)
    before = m.copy()
    out = demosaic_array(m, "RGGB", "malvar")
    assert np.array_equal(m, before) and out.dtype == np.float32
    f = m.astype(np.float32)
    f_before = f.copy()
    demosaic_array(f, "RGGB", "auto")
    assert np.array_equal(f, f_before)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_rejected(bad):
    m = np.ones((8, 8), np.float32)
    m[3, 3] = bad
    with pytest.raises(InputError, match="NaN or infinite"):
        demosaic_array(m, "RGGB", "bilinear")


@pytest.mark.parametrize("shape", [(8,), (8, 8, 3), (1, 8), (8, 1)])
def test_wrong_shapes_are_rejected(shape):
    with pytest.raises(InputError):
        demosaic_array(np.ones(shape, np.float32), "RGGB", "bilinear")


def test_unknown_pattern_and_method_are_parameter_errors():
    with pytest.raises(ParameterError, match="RGGB"):
        demosaic_array(np.ones((8, 8), np.float32), "RGBG", "bilinear")
    with pytest.raises(ParameterError, match="bilinear") as err:
        demosaic_array(np.ones((8, 8), np.float32), "RGGB", "amaze")
    assert "malvar" in str(err.value)        # the message lists the choices
    assert demosaic_array(np.ones((4, 4), np.float32), "rggb", "MALVAR2004").shape == (4, 4, 3)


# --- the Frame-level op -------------------------------------------------------------------

def test_frame_op_demosaics_a_cfa_frame():
    rgb = smooth_scene(40, 60)
    meta = FrameMeta(cfa="GBRG", encoding=Encoding.CFA, source="scene.dng")
    frame = Frame(mosaic_of(rgb, "GBRG"), meta)
    out = demosaic(frame, DemosaicParams(method="malvar"))
    assert out.meta.encoding is Encoding.CAMERA_RGB and out.meta.cfa == "GBRG"
    assert np.array_equal(out.data, demosaic_array(frame.data, "GBRG", "malvar"))
    assert frame.meta.encoding is Encoding.CFA            # the input frame is untouched


def test_frame_op_leaves_non_bayer_frames_alone_and_checks_encoding():
    mono = Frame(np.ones((8, 8), np.float32), FrameMeta(layout=SensorLayout.MONO, cfa=None, encoding=Encoding.MONO))
    assert demosaic(mono, DemosaicParams()) is mono
    raw = Frame(np.ones((8, 8), np.float32), FrameMeta(encoding=Encoding.RAW, source="x.dng"))
    with pytest.raises(InputError, match="CFA mosaic") as err:
        demosaic(raw, DemosaicParams())
    assert "x.dng" in err.value.one_line() and "run levels" in err.value.one_line()


def test_params_schema_validates_the_method():
    assert DemosaicParams().method == "auto"
    with pytest.raises(ParameterError, match="choose one of"):
        DemosaicParams(method="nope")
