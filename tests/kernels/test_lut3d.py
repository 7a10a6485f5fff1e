"""The tetrahedral kernels against an independent numpy reference (io.lutfile's), every dtype."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from lsquared.io.lutfile import tetrahedral_points
from lsquared.kernels import lut3d


@njit(cache=True)
def _through_scalar(img, table, out):
    for y in range(img.shape[0]):
        for x in range(img.shape[1]):
            out[y, x, 0], out[y, x, 1], out[y, x, 2] = lut3d.tetrahedral(table, img[y, x, 0], img[y, x, 1], img[y, x, 2])
    return out


@pytest.fixture(scope="module")
def table():
    return np.random.default_rng(0).random((17, 17, 17, 3)).astype(np.float32)


def _points(n=4000, cells=16, seed=1):
    rng = np.random.default_rng(seed)
    p = rng.random((n, 3))
    p[:200] = np.round(p[:200] * cells) / cells               # on nodes and cell faces
    p[200:400, 1] = p[200:400, 0]                             # equal fractions (ties)
    p[400:500, :] = p[400:500, :1]                            # the neutral diagonal
    return p


def test_float_kernel_and_scalar_match_reference(table):
    p = _points()
    ref = tetrahedral_points(table, p)
    img = p[None].astype(np.float32)
    assert np.abs(lut3d.apply_lut3d(img, table)[0] - ref).max() < 2e-6
    assert np.abs(_through_scalar(img, table, np.empty_like(img))[0] - ref).max() < 2e-6


def test_identity_table_is_exact_and_out_of_range_clamps():
    n = 5
    axis = np.linspace(0, 1, n)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    ident = np.stack([r, g, b], -1).astype(np.float32)
    p = np.random.default_rng(2).random((1, 1000, 3)).astype(np.float32)
    assert np.abs(lut3d.apply_lut3d(p, ident) - p).max() < 1e-6
    wild = np.array([[[-1.0, 0.5, 2.0], [np.float32(1.5), -0.2, 0.3]]], np.float32)
    assert np.allclose(lut3d.apply_lut3d(wild, ident), np.clip(wild, 0, 1), atol=1e-6)


def test_results_are_clipped_after_interpolation(table):
    """Node values beyond [0, 1] interpolate, then clip (a hard-clipping look's nodes)."""
    wide = table * 3 - 1
    p = _points(500)
    ref = np.clip(tetrahedral_points(wide, p), 0, 1)
    assert np.abs(lut3d.apply_lut3d(p[None].astype(np.float32), wide)[0] - ref).max() < 2e-6
    img = (p * 255 + 0.5).astype(np.uint8)[None]
    ref8 = np.rint(np.clip(tetrahedral_points(wide, img[0] / 255.0), 0, 1) * 255)
    assert np.abs(lut3d.apply_lut3d_int(img, wide)[0].astype(int) - ref8).max() <= 1


@pytest.mark.parametrize("dtype,in_bits,out_bits", [
    (np.uint8, 8, 8), (np.uint16, 10, 10), (np.uint16, 16, 16), (np.uint16, 12, 8), (np.uint8, 8, 16)])
def test_integer_kernels_round_to_nearest(table, dtype, in_bits, out_bits):
    rng = np.random.default_rng(3)
    top_in = (1 << in_bits) - 1
    img = rng.integers(0, top_in + 1, (40, 50, 3)).astype(dtype)
    img[0, :3] = [[0, 0, 0], [top_in] * 3, [0, top_in, 0]]
    out = lut3d.apply_lut3d_int(img, table, in_bits, out_bits)
    assert out.dtype == (np.uint8 if out_bits <= 8 else np.uint16)
    top_out = (1 << out_bits) - 1
    ref = np.rint(tetrahedral_points(table, img.reshape(-1, 3) / top_in) * top_out).reshape(img.shape)
    d = np.abs(out.astype(int) - ref)
    assert d.max() <= 1 and np.mean(d == 0) > 0.99           # off by one only at float ties


def test_codes_above_the_nominal_range_are_safe(table):
    """A '10-bit' frame holding larger values: clamped to the top, never read out of bounds."""
    img = np.full((2, 2, 3), 65535, np.uint16)
    out = lut3d.apply_lut3d_int(img, table, 10, 10)
    top = np.rint(np.clip(table[-1, -1, -1], 0, 1) * 1023)
    assert np.array_equal(out[0, 0], top)


def test_dense_8bit_table_equals_direct_kernel(table):
    img = np.random.default_rng(4).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    dense = lut3d.dense_table_u8(table)
    assert dense.shape == (1 << 24, 4)
    assert np.array_equal(lut3d.apply_dense_u8(img, dense, np.empty_like(img)),
                          lut3d.apply_lut3d_int(img, table))


def test_non_contiguous_and_bad_shapes(table):
    img = np.random.default_rng(5).random((20, 30, 3)).astype(np.float32)
    view = img[:, ::2]
    assert np.array_equal(lut3d.apply_lut3d(view, table), lut3d.apply_lut3d(view.copy(), table))
    with pytest.raises(ValueError):
        lut3d.apply_lut3d(img[..., :2], table)
    with pytest.raises(ValueError):
        lut3d.apply_lut3d_int(img, table)                    # float given to the integer path
    with pytest.raises(ValueError):
        lut3d.pack_table(table[:, :, :5])


def test_nan_and_inf_never_index_out_of_the_table(table):
    """NaN counts as 0, +inf as 1, -inf as 0 (a NaN index once crashed the process)."""
    bad = np.array([[[np.nan, 0.5, 0.5], [np.inf, -np.inf, 0.25], [0.5, np.nan, np.nan]]], np.float32)
    clean = np.array([[[0.0, 0.5, 0.5], [1.0, 0.0, 0.25], [0.5, 0.0, 0.0]]], np.float32)
    assert np.array_equal(lut3d.apply_lut3d(bad, table), lut3d.apply_lut3d(clean, table))
    assert np.allclose(_through_scalar(bad.astype(np.float64), table, np.empty((1, 3, 3))),
                       lut3d.apply_lut3d(clean, table), atol=1e-6)
