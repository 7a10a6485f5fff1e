"""The fused Y'CbCr kernel against a plain numpy reference built on the stills LUT kernel."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.kernels.lut3d import apply_lut3d, pack_table, tetrahedral
from lsquared.kernels.lut3d import tetra_corners
from lsquared.kernels.video_ycbcr import grade_ycbcr_planes, grid_matrix
from lsquared.video.colorimetry import YCbCrCoding, colorimetric_lut, identity_lut


def upsample(c: np.ndarray, sx: int, sy: int, width: int, height: int) -> np.ndarray:
    """Chroma at full resolution, chroma_sample_loc_type 0 (left, and vertically centred)."""
    c = c.astype(np.float64)
    ch, cw = c.shape
    if sy:
        j = np.arange(height) // 2
        near = np.where(np.arange(height) % 2, np.minimum(j + 1, ch - 1), np.maximum(j - 1, 0))
        c = 0.75 * c[j] + 0.25 * c[near]
    if sx:
        i = np.arange(width) // 2
        nxt = np.where(np.arange(width) % 2, np.minimum(i + 1, cw - 1), i)
        c = 0.5 * (c[:, i] + c[:, nxt])
    return c


def downsample(d: np.ndarray, sx: int, sy: int) -> np.ndarray:
    """[1 2 1]/4 across columns centred on even ones, [1 1]/2 across row pairs."""
    h, w = d.shape
    if sy:
        j = np.arange((h + 1) // 2)
        d = 0.5 * (d[2 * j] + d[np.minimum(2 * j + 1, h - 1)])
    if sx:
        i = np.arange((w + 1) // 2)
        d = 0.25 * d[:, np.maximum(2 * i - 1, 0)] + 0.5 * d[:, 2 * i] + 0.25 * d[:, np.minimum(2 * i + 1, w - 1)]
    return d


def reference(planes, sub_in, sub_out, cin: YCbCrCoding, cout: YCbCrCoding, table):
    y, cb, cr = planes
    h, w = y.shape
    ub, ur = upsample(cb, *sub_in, w, h), upsample(cr, *sub_in, w, h)
    m_in, off_in = cin.ycbcr_to_rgb()
    rgb = np.stack([y - off_in[0], ub - off_in[1], ur - off_in[2]], -1) @ m_in.T
    graded = np.clip(apply_lut3d(rgb.astype(np.float32), table), 0, 1).astype(np.float64)
    m_out, off_out = cout.rgb_to_ycbcr()
    ycc = graded @ m_out.T + off_out
    top = (1 << cout.bit_depth) - 1
    q = lambda v: np.clip(np.floor(v + 0.5), 0, top)       # noqa: E731
    if tuple(sub_in) == tuple(sub_out):
        ob = cb + downsample(ycc[..., 1] - ub, *sub_out)
        orr = cr + downsample(ycc[..., 2] - ur, *sub_out)
    else:
        ob, orr = downsample(ycc[..., 1], *sub_out), downsample(ycc[..., 2], *sub_out)
    return q(ycc[..., 0]), q(ob), q(orr)


def run_kernel(planes, sub_in, sub_out, cin, cout, table):
    y = planes[0]
    h, w = y.shape
    dtype = np.uint8 if cout.bit_depth <= 8 else np.uint16
    cw, ch = (w + sub_out[0]) >> sub_out[0], (h + sub_out[1]) >> sub_out[1]
    out = (np.zeros((h, w), dtype), np.zeros((ch, cw), dtype), np.zeros((ch, cw), dtype))
    n = table.shape[0]
    m_in, off_in = cin.ycbcr_to_rgb()
    m_out, off_out = cout.rgb_to_ycbcr()
    grade_ycbcr_planes(*planes, *out, w, h, sub_in[0], sub_in[1], sub_out[0], sub_out[1],
                       grid_matrix(m_in, n), off_in.astype(np.float32), pack_table(table), n,
                       m_out.astype(np.float32), off_out.astype(np.float32),
                       float((1 << cout.bit_depth) - 1))
    return out


def random_planes(rng, w, h, sub, coding: YCbCrCoding):
    """Codes of smooth random R'G'B' content with some noise, in the given coding."""
    dtype = np.uint8 if coding.bit_depth <= 8 else np.uint16
    yy, xx = np.mgrid[0:h, 0:w] / 7.0
    rgb = np.stack([np.sin(xx) * 0.5 + 0.5, np.cos(yy) * 0.5 + 0.5, np.sin(xx + yy) * 0.4 + 0.5], -1)
    rgb = np.clip(rgb + rng.normal(0, 0.05, rgb.shape), 0, 1)
    m, off = coding.rgb_to_ycbcr()
    ycc = rgb @ m.T + off
    top = (1 << coding.bit_depth) - 1
    y = np.clip(np.round(ycc[..., 0]), 0, top).astype(dtype)
    cb = np.clip(np.round(downsample(ycc[..., 1], *sub)), 0, top).astype(dtype)
    cr = np.clip(np.round(downsample(ycc[..., 2], *sub)), 0, top).astype(dtype)
    return y, cb, cr


CASES = [
    # (sub in, sub out, bits in, bits out, full range, matrix)
    ((1, 1), (1, 1), 8, 8, False, "bt709"),
    ((1, 0), (1, 0), 10, 10, False, "bt2020"),
    ((0, 0), (0, 0), 8, 8, True, "bt601"),
    ((1, 1), (1, 0), 8, 10, False, "bt709"),      # 8-bit 4:2:0 to ProRes 4:2:2 10-bit
    ((1, 1), (1, 1), 10, 10, True, "bt709"),
]


@pytest.mark.parametrize("sub_in,sub_out,bits_in,bits_out,full,matrix", CASES)
def test_kernel_matches_numpy_reference(sub_in, sub_out, bits_in, bits_out, full, matrix):
    rng = np.random.default_rng(7)
    cin = YCbCrCoding(matrix=matrix, full_range=full, bit_depth=bits_in)
    cout = YCbCrCoding(matrix="bt709", full_range=full, bit_depth=bits_out)
    planes = random_planes(rng, 37, 23, sub_in, cin)            # odd sizes: edge handling
    table = colorimetric_lut(17)
    got = run_kernel(planes, sub_in, sub_out, cin, cout, table)
    want = reference(planes, sub_in, sub_out, cin, cout, table)
    for g, r in zip(got, want):
        assert g.shape == r.shape
        diff = np.abs(g.astype(np.int64) - r.astype(np.int64))
        assert diff.max() <= 1                                    # float32 vs float64 rounding
        assert diff.mean() < 0.02


@pytest.mark.parametrize("sub", [(1, 1), (1, 0), (0, 0)])
def test_identity_lut_returns_the_input_exactly(sub):
    """C_out = C_in + down(graded - up(C_in)): no chroma blur from generation to generation."""
    rng = np.random.default_rng(3)
    coding = YCbCrCoding(matrix="bt709", bit_depth=10)
    y, cb, cr = random_planes(rng, 64, 32, sub, coding)
    # keep R'G'B' inside [0, 1] after upsampling so that nothing is clipped
    y = np.clip(y, 300, 700).astype(np.uint16)
    cb = np.clip(cb, 480, 544).astype(np.uint16)
    cr = np.clip(cr, 480, 544).astype(np.uint16)
    out = run_kernel((y, cb, cr), sub, sub, coding, coding, identity_lut(2))
    for a, b in zip(out, (y, cb, cr)):
        np.testing.assert_array_equal(a, b)


# BT.709 luma coefficients and 8-bit narrow-range chroma coding, from the standards themselves
# (ITU-R BT.709-6 items 3.2-3.3; ITU-T H.273 equations 24-26), not from lsquared
KR, KB = 0.2126, 0.0722


def _bt709_narrow_8bit_chroma(r, g, b):
    y = KR * r + (1 - KR - KB) * g + KB * b
    return 128 + 224 * (b - y) / (2 * (1 - KB)), 128 + 224 * (r - y) / (2 * (1 - KR))


@pytest.mark.parametrize("colour,side", [((1.0, 0.0, 1.0), "over"), ((0.0, 1.0, 0.0), "under")])
def test_out_of_range_chroma_is_clamped_not_wrapped(colour, side):
    """4:2:2 chroma alternating between the extreme codes 255 and 0 (outside narrow range's
    16..240), graded by a LUT that makes every pixel one colour (magenta: Cb 214, Cr 230;
    green: Cb 42, Cr 26): C_out = C_in + down(graded - up(C_in)) lands at 278-294 on the
    255 samples (magenta) or -22 to -38 on the 0 samples (green).  The output must be that value
    clamped to 0..255 (H.273's Clip1), not wrapped around by the uint8 store.  Expected values
    computed here in float64 from the coding's definition: chroma up to full width (even
    columns on the samples, odd ones halfway), the change filtered [1 2 1]/4 back."""
    w = 16
    y = np.full((2, w), 126, np.uint8)
    cb = np.tile(np.array([255, 0], np.uint8), (2, w // 4))
    cr = np.tile(np.array([0, 255], np.uint8), (2, w // 4))
    graded = _bt709_narrow_8bit_chroma(*colour)
    i, x = np.arange(w // 2), np.arange(w)
    want = []
    for c, g in zip((cb, cr), graded):
        c = c.astype(np.float64)
        up = 0.5 * (c[:, x // 2] + c[:, np.minimum((x + 1) // 2, w // 2 - 1)])
        d = g - up
        raw = c + 0.25 * d[:, np.maximum(2 * i - 1, 0)] + 0.5 * d[:, 2 * i] + 0.25 * d[:, np.minimum(2 * i + 1, w - 1)]
        assert (raw.max() > 275) if side == "over" else (raw.min() < -20), (raw.min(), raw.max())
        want.append(np.clip(np.floor(raw + 0.5), 0, 255))
    coding = YCbCrCoding(matrix="bt709", full_range=False, bit_depth=8)
    table = np.broadcast_to(np.array(colour, np.float32), (2, 2, 2, 3)).copy()    # every input -> colour
    _, out_cb, out_cr = run_kernel((y, cb, cr), (1, 0), (1, 0), coding, coding, table)
    np.testing.assert_allclose(out_cb, want[0], atol=1)       # float32 vs float64 rounding
    np.testing.assert_allclose(out_cr, want[1], atol=1)
    extreme = 255 if side == "over" else 0
    for out, raw_at in ((out_cb, want[0]), (out_cr, want[1])):
        assert np.all(out[raw_at == extreme] == extreme)


def test_tetra_corners_agree_with_the_stills_tetrahedral():
    """Same tetrahedra and weights as lsquared.kernels.lut3d.tetrahedral at random points,
    including exact ties of the fractions."""
    rng = np.random.default_rng(11)
    table = rng.random((5, 5, 5, 3)).astype(np.float32)
    flat = table.reshape(-1, 3)
    pts = rng.random((400, 3)).astype(np.float32)
    pts[:50, 1] = pts[:50, 0]                                     # ties r == g
    pts[50:100, 2] = pts[50:100, 1]                               # ties g == b
    for r, g, b in pts:
        x = np.array([r, g, b], np.float64) * 4
        cell = np.minimum(x.astype(int), 3)
        f = (x - cell).astype(np.float32)
        w0, w1, w2, w3, o1, o2 = tetra_corners(f[0], f[1], f[2], np.int32(25), np.int32(5), np.int32(1))
        p0 = cell[0] * 25 + cell[1] * 5 + cell[2]
        mine = w0 * flat[p0] + w1 * flat[p0 + o1] + w2 * flat[p0 + o2] + w3 * flat[p0 + 31]
        np.testing.assert_allclose(mine, tetrahedral(table, r, g, b), atol=2e-6)
