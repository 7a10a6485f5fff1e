"""The fused tail: matrix -> V-Log -> LUT -> quantize equals the same steps done one by one."""

from __future__ import annotations

import numpy as np

from lsquared.color import transfer
from lsquared.kernels.lut3d import apply_lut3d
from lsquared.kernels.tail import render


def _identity(n=17):
    g = np.linspace(0, 1, n, dtype=np.float32)
    return np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).astype(np.float32)


def _curvy(n=33):
    g = np.linspace(0, 1, n)
    r, gg, b = np.meshgrid(g, g, g, indexing="ij")
    return np.stack([r ** 0.7, 0.5 * (gg + b) ** 1.3 / 2 ** 0.3, np.sin(b * 1.5) / np.sin(1.5)], -1).astype(np.float32)


def test_fused_vlog_is_exact_to_a_millionth():
    x = np.concatenate([np.linspace(-0.02, 1.0, 200001), np.geomspace(1e-4, 46.0, 200001)]).astype(np.float32)
    img = np.stack([x, x, x], -1)[None]
    got = render(img, np.eye(3), _identity(), np.float32)[0, :, 0]
    assert np.abs(got - np.clip(transfer.vlog_encode(x), 0, 1)).max() < 1e-6


def test_fused_tail_equals_step_by_step():
    rng = np.random.default_rng(1)
    linear = (rng.random((64, 80, 3)) ** 2 * 2).astype(np.float32)
    m = np.array([[1.2, -0.1, -0.1], [-0.05, 1.1, -0.05], [0.0, -0.2, 1.2]]) * 0.8
    table = _curvy()
    step = apply_lut3d(transfer.vlog_encode(linear @ m.T).astype(np.float32), table)
    fused = render(linear, m, table, np.float32)
    assert np.abs(fused - step).max() < 2e-5
    u8 = render(linear, m, table, np.uint8)
    assert np.abs(u8.astype(int) - np.round(np.clip(step, 0, 1) * 255)).max() <= 1
    u16 = render(linear, m, table, np.uint16)
    assert np.abs(u16.astype(int) - np.round(np.clip(step, 0, 1) * 65535)).max() <= 2


def test_mono_tail_broadcasts_to_grey():
    mono = np.linspace(0, 1, 50, dtype=np.float32).reshape(5, 10)
    out = render(mono, np.eye(3) * 0.5, _identity(), np.float32)
    assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2])
    assert np.abs(out[..., 0] - transfer.vlog_encode(mono * 0.5)).max() < 1e-5


def test_mono_tail_equals_the_colour_tail_on_grey():
    """The monochrome path (a lerp along the table's diagonal) gives what the general
    tetrahedral path gives for (v, v, v), in a table that is not neutral (a toned look)."""
    mono = (np.random.default_rng(2).random((40, 300)) ** 3 * 3).astype(np.float32)
    mono[0, :4] = (-1.0, 0.0, 1e-9, 50.0)
    grey = np.repeat(mono[..., None], 3, axis=-1)
    for dtype, tol in ((np.float32, 2e-6), (np.uint8, 1), (np.uint16, 1)):
        a = render(mono, np.eye(3) * 0.7, _curvy(), dtype).astype(np.float64)
        b = render(grey, np.eye(3) * 0.7, _curvy(), dtype).astype(np.float64)
        assert np.abs(a - b).max() <= tol, dtype


def test_non_finite_input_does_not_read_outside_the_table():
    linear = np.full((4, 8, 3), 0.18, np.float32)
    linear[0, 0] = np.nan
    linear[1, 1] = np.inf
    linear[2, 2] = -np.inf
    out = render(linear, np.eye(3), _curvy(), np.uint8)            # must not crash
    assert out.shape == (4, 8, 3) and (out[3] == out[3, 0]).all()   # the finite pixels are untouched
