"""Capture sharpening: measurably crisper chart edges, no halos, per-look defaults."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.errors import ParameterError
from lsquared.frame import Encoding, Frame, FrameMeta
from lsquared.io.raw import open_raw
from lsquared.looks import available_looks
from lsquared.ops.demosaic import DemosaicParams, demosaic
from lsquared.ops.highlights import HighlightParams, highlights
from lsquared.ops.levels import levels
from lsquared.ops.sharpen import (
    LOOK_AMOUNTS,
    SharpenParams,
    look_amount,
    parse_sharpen,
    resolve_sharpen,
    sharpen,
    sharpen_usm,
)
from lsquared.ops.white_balance import WhiteBalanceParams, white_balance
from lsquared.synth import make_demo_raw


@pytest.fixture(scope="module")
def soft(tmp_path_factory):
    """The chart through a softer lens (Gaussian PSF sigma 1.2 px), noise-free, demosaiced."""
    info = make_demo_raw(tmp_path_factory.mktemp("sh") / "soft.dng", noise=False, psf_sigma=1.2)
    frame, _ = white_balance(levels(open_raw(info.path)), WhiteBalanceParams())
    rgb = demosaic(highlights(frame, HighlightParams()), DemosaicParams()).data
    return info, rgb


def luminance(img):
    return 0.25 * img[..., 0] + 0.5 * img[..., 1] + 0.25 * img[..., 2]


def edge_profiles(info, img):
    """Edge-spread functions across the left border of each chart patch (mean over its rows)."""
    y = luminance(img)
    out = []
    for p in info.patches[:24]:
        x0, y0, _, y1 = p.box
        row = y[y0:y1, x0 - 40:x0 + 10].mean(axis=0)
        k = int(np.argmax(np.abs(np.diff(row))))
        if 9 <= k <= row.size - 10:
            out.append(row[k - 8:k + 10])
    return out


def edge_metrics(profile):
    """(overshoot as a fraction of the step, MTF50 in cycles/pixel) of one edge."""
    lo, hi = profile[:3].mean(), profile[-3:].mean()
    p = (profile - lo) / (hi - lo)
    overshoot = max(p.max() - 1.0, -p.min())
    lsf = np.diff(p) * np.hanning(p.size - 1)
    mtf = np.abs(np.fft.rfft(lsf, 512))
    mtf /= mtf[0]
    return overshoot, np.fft.rfftfreq(512)[np.argmax(mtf < 0.5)]


def test_edges_crisper_without_halos(soft):
    info, rgb = soft
    before = [edge_metrics(p) for p in edge_profiles(info, rgb) if np.ptp(p) > 0.05]
    out = sharpen_usm(rgb, 0.5)
    after = [edge_metrics(p) for p in edge_profiles(info, out) if np.ptp(p) > 0.05]
    assert len(after) >= 8
    mtf_before = np.mean([m for _, m in before])
    mtf_after = np.mean([m for _, m in after])
    assert mtf_after > 1.08 * mtf_before                               # measured +12 %
    assert max(o for o, _ in after) < 0.03                             # overshoot < 3 % of the step
    strong = [edge_metrics(p) for p in edge_profiles(info, sharpen_usm(rgb, 2.0)) if np.ptp(p) > 0.05]
    assert max(o for o, _ in strong) < 0.03                            # even at amount 2


def test_bars_gain_contrast_but_stay_in_range(soft):
    info, rgb = soft
    out = sharpen_usm(rgb, 0.5)
    y_in, y_out = luminance(rgb), luminance(out)
    for name in ("bars 4px v", "bars 6px h", "bars 8px v"):
        x0, y0, x1, y1 = info.boxes[name]
        a, b = y_in[y0:y1, x0:x1], y_out[y0:y1, x0:x1]
        around = y_in[y0 - 1:y1 + 1, x0 - 1:x1 + 1]        # what the 3x3 overshoot control sees
        step = a.max() - a.min()
        assert b.std() > 1.01 * a.std()                    # more bar contrast
        assert b.max() <= around.max() + 0.03 * step       # but nothing past the bars' own extremes
        assert b.min() >= around.min() - 0.03 * step


def test_colour_kept_and_flat_untouched(soft):
    info, rgb = soft
    out = sharpen_usm(rgb, 1.0)
    x0, y0, x1, y1 = info.patches[14].box                              # a saturated patch, flat inside
    ratio_in = rgb[y0:y1, x0:x1].mean(axis=(0, 1))
    ratio_out = out[y0:y1, x0:x1].mean(axis=(0, 1))
    assert ratio_out / ratio_out[1] == pytest.approx(ratio_in / ratio_in[1], rel=1e-3)
    assert np.abs(out[y0 + 5:y1 - 5, x0 + 5:x1 - 5] - rgb[y0 + 5:y1 - 5, x0 + 5:x1 - 5]).max() < 1e-3


def test_look_defaults_and_parsing():
    assert look_amount("neutral") == 0.0 and look_amount("vlog") == 0.0
    assert look_amount("portrait") < look_amount("standard") < look_amount("landscape")
    assert set(LOOK_AMOUNTS) <= set(available_looks())                 # the table names real looks
    assert resolve_sharpen(SharpenParams(), "Landscape").amount == LOOK_AMOUNTS["landscape"]
    assert resolve_sharpen(SharpenParams(amount=0.2), "landscape").amount == 0.2
    assert parse_sharpen("off").amount == 0.0 and parse_sharpen("0.7").amount == 0.7
    with pytest.raises(ParameterError):
        parse_sharpen("crisp")
    with pytest.raises(ParameterError):
        SharpenParams(amount=9.0)


def test_frame_op_mono_and_off():
    rng = np.random.default_rng(2)
    mono = Frame(rng.random((50, 70), dtype=np.float32), FrameMeta(cfa=None, encoding=Encoding.MONO))
    assert sharpen(mono, SharpenParams(amount=0.0)) is mono
    out = sharpen(mono, SharpenParams(amount=0.5))
    assert out.data.shape == (50, 70) and out.data.dtype == np.float32
    assert not np.array_equal(out.data, mono.data)


def _sharpen_reference(img, amount, radius):
    """The clamped luminance unsharp mask written plainly with numpy (edges replicated)."""
    from numpy.lib.stride_tricks import sliding_window_view

    from lsquared.ops.sharpen import _gaussian_taps

    rgb = img.astype(np.float64)
    y = luminance(rgb) if rgb.ndim == 3 else rgb
    taps = _gaussian_taps(radius).astype(np.float64)
    kernel = np.concatenate([taps[:0:-1], taps])
    r = taps.size - 1
    pad = np.pad(y, r, mode="edge")
    rows = sum(k * pad[:, i:i + y.shape[1]] for i, k in enumerate(kernel))
    blur = sum(k * rows[i:i + y.shape[0]] for i, k in enumerate(kernel))
    window = sliding_window_view(np.pad(y, 1, mode="edge"), (3, 3))
    sharp = np.clip(y + amount * (y - blur), window.min(axis=(2, 3)), window.max(axis=(2, 3)))
    big = y > 1e-4
    gain = np.where(big, sharp / np.where(big, y, 1.0), 1.0)
    add = np.where(big, 0.0, sharp - y)
    return rgb * gain[..., None] + add[..., None] if rgb.ndim == 3 else rgb * gain + add


@pytest.mark.parametrize("shape, amount, radius", [((150, 1100, 3), 0.5, 1.0), ((67, 45, 3), 2.0, 2.2),
                                                   ((90, 530), 0.8, 0.5)])
def test_banded_kernel_matches_numpy_reference(shape, amount, radius):
    """The fused tiled kernel (bands of 64 rows, strips of 512 columns, rings of rows) computes
    the method exactly, borders included, for RGB and single-channel data."""
    rng = np.random.default_rng(5)
    img = (rng.random(shape) ** 2).astype(np.float32)
    img[:5, :5] = 0.0                                                  # the additive branch near black
    got = sharpen_usm(img, amount, radius)
    want = _sharpen_reference(img, amount, radius)
    assert got.shape == img.shape and got.dtype == np.float32
    assert np.abs(got - want).max() < 2e-6
    assert np.abs(want - img).max() > 0.05                             # it did sharpen


@pytest.mark.parametrize("shape", [(200, 1300, 3), (130, 1030)])
def test_in_place_equals_a_new_array(shape):
    """out=image: every band and strip reads its neighbours' pixels as they were, so writing
    into the input gives exactly the new-array result; partial overlaps are refused."""
    rng = np.random.default_rng(9)
    img = rng.random(shape, dtype=np.float32)
    want = sharpen_usm(img, 1.5, 2.0)
    work = img.copy()
    got = sharpen_usm(work, 1.5, 2.0, out=work)
    assert got is work and np.array_equal(got, want)
    frame = Frame(img.copy(), FrameMeta(cfa=None, encoding=Encoding.MONO))
    assert np.array_equal(sharpen(frame, SharpenParams(amount=1.5, radius=2.0), in_place=True).data, want)
    with pytest.raises(ParameterError):
        sharpen_usm(img, 0.5, out=img[1:])
