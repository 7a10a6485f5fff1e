"""RCD (Ratio Corrected Demosaicing): hand-checkable scenes against known truth, phases, and
hard inputs (the checks every registered method gets are in test_demosaic.py and
test_kodak.py; RCD's Kodak-24 mean, 36.95 dB, and what was checked: docs/demosaic.md)."""

from __future__ import annotations

import numpy as np
import pytest
from test_demosaic import PHASES, RED_SITE, mosaic_of

from lsquared.ops.demosaic import demosaic_array
from lsquared.ops.demosaic.rcd import demosaic_rcd


@pytest.mark.parametrize("pattern", PHASES)
def test_flat_field_is_exact(pattern):
    rgb = np.empty((37, 52, 3), np.float32)
    rgb[...] = (0.8, 0.5, 0.3)
    out = demosaic_rcd(mosaic_of(rgb, pattern), pattern)
    assert np.abs(out - rgb).max() < 1e-6


def test_constant_hue_ramp_is_exact():
    # rgb = k(x, y) * (0.9, 0.6, 0.2) with k a plane: the low-pass at a red/blue site is
    # k * (r + 2 g + b) exactly, so the ratio correction G_N * 2 lpf_0 / (lpf_0 + lpf_N2)
    # = g k_N * 2 k_0 / (k_0 + k_N2) = g k_0 (k_0 + k_N2 = 2 k_N on a plane): every cardinal
    # estimate is the true green.  The colour differences (c - g) k are planes too and their
    # symmetric, equally weighted pairs are exact: the whole image is returned.
    y, x = np.mgrid[0:80, 0:96].astype(np.float32)
    k = 0.3 + 0.004 * x + 0.003 * y
    rgb = k[..., None] * np.array([0.9, 0.6, 0.2], np.float32)
    out = demosaic_rcd(mosaic_of(rgb), "RGGB")
    assert np.abs(out - rgb)[12:-12, 12:-12].max() < 2e-6


@pytest.mark.parametrize("transpose", [False, True])
def test_stripes_follow_the_right_direction(transpose):
    # grey rows of random brightness (horizontal stripes): the vertical high-pass is large and
    # the horizontal one exactly 0, so VH = 1 and green is interpolated along the rows, where
    # it is constant: the result is exact everywhere (the mirrored border keeps the stripes).
    # Transposed (vertical stripes) VH = 0 and the columns are followed.  Bilinear, which
    # averages across the stripes, is far off.
    rng = np.random.default_rng(0)
    rows = rng.uniform(0.1, 0.9, 40).astype(np.float32)
    grey = np.repeat(rows[:, None], 48, axis=1)
    if transpose:
        grey = np.ascontiguousarray(grey.T)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    for pattern in PHASES:
        out = demosaic_rcd(mosaic_of(rgb, pattern), pattern)
        assert np.abs(out - rgb).max() < 1e-6
    bilinear = np.abs(demosaic_array(mosaic_of(rgb), "RGGB", "bilinear") - rgb).max()
    assert bilinear > 0.05


@pytest.mark.parametrize("dy,dx,pattern", [(0, 1, "GRBG"), (1, 0, "GBRG"), (1, 1, "BGGR")])
def test_shifted_mosaic_gives_the_shifted_result(dy, dx, pattern):
    rng = np.random.default_rng(2)
    cfa = rng.random((90, 110)).astype(np.float32)
    ref = demosaic_rcd(cfa, "RGGB")
    moved = demosaic_rcd(cfa[dy:, dx:], pattern)
    assert np.abs(moved - ref[dy:, dx:])[24:-24, 24:-24].max() < 1e-5


@pytest.mark.parametrize("shape", [(2, 2), (3, 2), (5, 7), (131, 517), (257, 1030)])
def test_any_size_is_finite_and_keeps_the_samples(shape):
    m = np.random.default_rng(4).random(shape).astype(np.float32)
    for pattern in PHASES:
        out = demosaic_rcd(m, pattern)
        assert out.shape == shape + (3,) and np.isfinite(out).all()
        ry, rx = RED_SITE[pattern]
        assert np.array_equal(out[ry::2, rx::2, 0], m[ry::2, rx::2])
        assert np.array_equal(out[1 - ry::2, 1 - rx::2, 2], m[1 - ry::2, 1 - rx::2])


def test_hard_inputs_stay_finite_and_above_one_is_kept():
    rng = np.random.default_rng(5)
    m = np.where(rng.random((64, 96)) < 0.5, 0.0, 1.0).astype(np.float32)
    m[10:20, :] = 0.0
    m[30, 40] = 50.0
    negative = rng.normal(0.0, 0.01, (64, 96)).astype(np.float32)      # black-subtracted noise
    huge = (rng.random((48, 64)) * 1e14).astype(np.float32)
    for cfa in (m, np.zeros_like(m), np.full_like(m, 1e-30), negative, huge):
        assert np.isfinite(demosaic_rcd(cfa, "RGGB")).all()
    # the ratio correction stays within [0, 2] times the neighbour even for negative samples
    assert np.abs(demosaic_rcd(negative, "RGGB")).max() < 1.0
    rgb = np.empty((20, 24, 3), np.float32)
    rgb[...] = (1.3, 1.05, 0.0)
    assert np.abs(demosaic_rcd(mosaic_of(rgb), "RGGB") - rgb).max() < 1e-6


def test_exposure_does_not_change_the_result():
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:64, 0:96].astype(np.float32)
    rgb = np.stack([0.5 + 0.2 * np.sin(0.2 * x + 0.1 * y), 0.5 + 0.2 * np.sin(0.15 * x),
                    0.4 + 0.2 * np.cos(0.1 * y)], axis=2).astype(np.float32)
    cfa = mosaic_of(rgb + 0.05 * rng.standard_normal(rgb.shape).astype(np.float32))
    ref = demosaic_rcd(cfa, "RGGB")
    for k in (1e-4, 1e-2, 1e3):
        out = demosaic_rcd(cfa * np.float32(k), "RGGB") / np.float32(k)
        assert np.abs(out - ref).max() < 1e-5
