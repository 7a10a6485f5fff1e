"""Raw-domain denoising on the synthetic camera at high ISO against its noise-free twin."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lsquared.errors import ParameterError
from lsquared.frame import Encoding, Frame, FrameMeta
from lsquared.io.raw import open_raw
from lsquared.ops.demosaic import DemosaicParams, demosaic
from lsquared.ops.denoise import (
    DenoiseParams,
    auto_strengths,
    denoise,
    denoise_mono,
    parse_denoise,
    relative_noise,
    resolve_denoise,
)
from lsquared.ops.highlights import HighlightParams, highlights
from lsquared.ops.levels import levels
from lsquared.ops.white_balance import WhiteBalanceParams, white_balance
from lsquared.synth import make_demo_raw


def _balanced(path):
    frame, _ = white_balance(levels(open_raw(path)), WhiteBalanceParams())
    return highlights(frame, HighlightParams())


def _linear(frame, params):
    out, resolved = denoise(frame, params)
    return demosaic(out, DemosaicParams()).data, resolved


def _masks(info, shape):
    flat = np.zeros(shape, bool)
    for p in info.patches:                        # the 24 patches and the 12 wedge steps
        x0, y0, x1, y1 = p.box
        flat[y0:y1, x0:x1] = True
    detail = np.zeros(shape, bool)
    # the Siemens star and the bar groups; the 2-pixel bars sit at the Nyquist frequency, where
    # demosaicing itself has no stable answer (noise-free and noisy renders differ by 10+ dB
    # there whatever the denoiser does), so they measure demosaic luck, not denoising
    for name, (x0, y0, x1, y1) in info.boxes.items():
        if name == "siemens star" or (name.startswith("bars") and not name.startswith("bars 2px")):
            detail[y0:y1, x0:x1] = True
    return flat, detail


def psnr(a, b, mask):
    return 10.0 * np.log10(1.0 / np.mean((a[mask] - b[mask]) ** 2))


@pytest.fixture(scope="module")
def iso3200(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dn")
    info = make_demo_raw(folder / "iso3200.dng", iso=3200)
    make_demo_raw(folder / "clean.dng", iso=3200, noise=False)
    clean, _ = _linear(_balanced(folder / "clean.dng"), DenoiseParams(mode="off"))
    frame = _balanced(info.path)
    noisy, _ = _linear(frame, DenoiseParams(mode="off"))
    return info, frame, clean, noisy


def test_high_iso_flat_patches_gain_and_detail_kept(iso3200):
    """auto at ISO 3200: at least +4 dB on flat patches (measured ~+11 dB) while the fine detail
    loses no more than 1 dB against the noise-free render (measured: it gains ~1 dB)."""
    info, frame, clean, noisy = iso3200
    out, resolved = _linear(frame, DenoiseParams())
    assert resolved.luma > 0.9 and resolved.chroma > 0.9 and resolved.profile_source == "estimate"
    flat, detail = _masks(info, clean.shape[:2])
    assert psnr(out, clean, flat) - psnr(noisy, clean, flat) >= 4.0
    assert psnr(out, clean, detail) - psnr(noisy, clean, detail) >= -1.0


def test_strength_orders_the_result(iso3200):
    info, frame, clean, noisy = iso3200
    flat, _ = _masks(info, clean.shape[:2])
    gains = [psnr(_linear(frame, DenoiseParams(mode="manual", luma=s, chroma=s))[0], clean, flat) for s in (0.5, 2.0)]
    assert psnr(noisy, clean, flat) + 3 < gains[0] < gains[1]


def test_resolved_params_replay_exactly(iso3200):
    _, frame, _, _ = iso3200
    first, resolved = denoise(frame, DenoiseParams())
    again, same = denoise(frame, resolved)
    assert same == resolved and np.array_equal(first.data, again.data)
    assert not np.shares_memory(first.data, frame.data)


def test_auto_leaves_base_iso_untouched(tmp_path):
    info = make_demo_raw(tmp_path / "iso100.dng", iso=100)
    frame = _balanced(info.path)
    out, resolved = denoise(frame, DenoiseParams())
    assert resolved.luma == 0.0 and resolved.chroma == 0.0
    assert out.data is frame.data                                      # skipped: costs nothing
    assert relative_noise(resolved.profile) < 0.02


def test_file_noise_profile_is_preferred():
    rng = np.random.default_rng(0)
    data = (0.2 + 0.03 * rng.standard_normal((64, 64))).astype(np.float32)
    meta = FrameMeta(cfa="RGGB", encoding=Encoding.CFA, wb_multipliers=(1.0, 1.0, 1.0),
                     extra={"noise_profile": (1e-3, 2e-5)})
    resolved = resolve_denoise(Frame(data, meta), DenoiseParams())
    assert resolved.profile == (1e-3, 2e-5) and resolved.profile_source == "file"
    assert (resolved.luma, resolved.chroma) == auto_strengths((1e-3, 2e-5))


def test_monochrome_plane():
    rng = np.random.default_rng(1)
    clean = np.full((128, 128), 0.3, np.float32)
    noisy = clean + np.sqrt(1e-3 * 0.3 + 1e-5) * rng.standard_normal(clean.shape).astype(np.float32)
    out = denoise_mono(noisy, (1e-3, 1e-5))
    assert np.std(out - clean) < 0.4 * np.std(noisy - clean)
    assert abs(float(out.mean() - clean.mean())) < 1e-3                 # no bias


def test_parse_and_validate():
    assert parse_denoise("auto") == DenoiseParams()
    assert parse_denoise("off").mode == "off"
    assert parse_denoise("1.5") == DenoiseParams(mode="manual", luma=1.5, chroma=1.5)
    assert parse_denoise("0").mode == "off"
    with pytest.raises(ParameterError, match="unknown denoise setting"):
        parse_denoise("strong")
    with pytest.raises(ParameterError):
        dataclasses.replace(DenoiseParams(), luma=-1.0)
    with pytest.raises(ParameterError):
        DenoiseParams(mode="max")


@pytest.mark.slow
def test_cli_options_land_in_the_recipe_and_replay_bit_for_bit(tmp_path):
    """--denoise/--lens/--aperture/--sharpen through the command line; the sidecar replays."""
    from PIL import Image

    from lsquared.cli.main import main
    from lsquared.pipeline.recipe import load_recipe

    info = make_demo_raw(tmp_path / "cli.dng", iso=1600, size=(600, 400))
    out = tmp_path / "a.png"
    def run(*args):
        with pytest.raises(SystemExit) as exit_:
            main(["develop", str(info.path), *args])
        assert exit_.value.code in (0, None)

    run("-o", str(out), "--denoise", "1.5", "--sharpen", "0.8",
        "--lens", "Leica Camera AG Summicron-M 1:2/50", "--aperture", "2.8")
    recipe = load_recipe(str(out) + ".toml")
    assert (recipe.denoise.mode, recipe.denoise.luma, recipe.denoise.chroma) == ("manual", 1.5, 1.5)
    assert recipe.denoise.profile is not None and recipe.denoise.profile_source == "estimate"
    assert recipe.sharpen.amount == 0.8
    assert recipe.lens.lens == "Leica Camera AG Summicron-M 1:2/50" and recipe.lens.focal_length == 50.0
    again = tmp_path / "b.png"
    run("-o", str(again), "--recipe", str(out) + ".toml")
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(again)))


# --- the fused kernels against a plain numpy Laplacian pyramid ---------------------------------

def _reduce_np(x):
    """Burt & Adelson REDUCE, (1 4 6 4 1)/16 both ways, mirrored without repeating the edge."""
    k = np.array([1, 4, 6, 4, 1], np.float64) / 16
    for axis in (0, 1):
        p = np.pad(x, [(2, 2) if a == axis else (0, 0) for a in range(2)], mode="reflect")
        n = x.shape[axis]
        x = sum(k[t] * np.take(p, np.arange(0, n, 2) + t, axis=axis) for t in range(5))
    return x


def _near_index(n):
    """Indices of the (previous, next) neighbour: mirrored at the start, replicated at the end."""
    i = np.arange(n)
    return np.abs(i - 1), np.minimum(i + 1, n - 1)


def _expand_np(x, shape):
    """EXPAND: even outputs (1 6 1)/8 of their sample and its neighbours, odd ones (4 4)/8."""
    for axis, n in enumerate(shape):
        prev, nxt = _near_index(x.shape[axis])
        c, p, q = x, np.take(x, prev, axis=axis), np.take(x, nxt, axis=axis)
        even, odd = 0.75 * c + 0.125 * (p + q), 0.5 * (c + q)
        out = np.stack([even, odd], axis=axis + 1).reshape(
            [2 * s if a == axis else s for a, s in enumerate(x.shape)])
        x = np.take(out, np.arange(n), axis=axis)
    return x


def _denoise_plane_np(c, var, strength, levels):
    from lsquared.kernels.denoise_wavelet import level_noise_fractions

    fractions = level_noise_fractions(levels)
    details = []
    for j in range(levels):
        if min(c.shape) < 8:
            break
        small = _reduce_np(c)
        d = c - _expand_np(small, c.shape)
        (p0, n0), (p1, n1) = _near_index(d.shape[0]), _near_index(d.shape[1])
        sq = d * d
        rows = sq[p0] + sq + sq[n0]
        e = (rows[:, p1] + rows + rows[:, n1]) / 9
        n2 = fractions[j] * var
        s2 = np.maximum(e - n2, 0)
        den = s2 + strength ** 2 * n2
        details.append(np.where(den > 0, s2 / np.where(den > 0, den, 1), 1) * d)
        c, var = small, _reduce_np(var)
    for d in reversed(details):
        c = _expand_np(c, d.shape) + d
    return c


@pytest.mark.parametrize("pattern, shape", [("RGGB", (70, 96)), ("GBRG", (67, 101)), ("BGGR", (41, 37))])
def test_fused_pyramid_matches_numpy_reference(pattern, shape):
    """The fused kernels compute exactly the Laplacian-pyramid Wiener denoiser written out
    plainly: cell transform, REDUCE/EXPAND, 3x3 local energy, gain, collapse, inverse."""
    from lsquared.frame import cfa_channel_map
    from lsquared.ops.denoise import CELL, denoise_mosaic

    rng = np.random.default_rng(7)
    clean = 0.1 + 0.5 * np.cumsum(rng.random(shape), 1) / shape[1]
    cfa = (clean + 0.03 * rng.standard_normal(shape)).astype(np.float32)
    profile, mult, luma, chroma = (1e-3, 2e-5), (2.0, 1.0, 1.6), 0.8, 1.3
    got = denoise_mosaic(cfa, pattern, profile, mult, luma=luma, chroma=chroma)

    chmap = cfa_channel_map(pattern)
    cells = [(dy, dx) for dy in range(2) for dx in range(2)]
    order = ([c for c in cells if chmap[c] == 0] + [c for c in cells if chmap[c] == 1]
             + [c for c in cells if chmap[c] == 2])                    # R, G1, G2, B
    h2, w2 = shape[0] // 2, shape[1] // 2
    x = np.stack([cfa[dy:2 * h2:2, dx:2 * w2:2] for dy, dx in order]).astype(np.float64)
    m = np.array(mult)[[0, 1, 1, 2]][:, None, None]
    var_c = m * profile[0] * np.maximum(x, 0) + m * m * profile[1]
    planes = np.einsum("qc,chw->qhw", CELL, x)
    out = []
    for q, (k, n) in enumerate([(luma, 3), (chroma, 5), (chroma, 5), (luma, 3)]):
        var = np.einsum("c,chw->hw", CELL[q] ** 2, var_c)
        out.append(_denoise_plane_np(planes[q], var, k, n))
    back = np.einsum("qc,qhw->chw", CELL, np.stack(out))
    want = cfa.astype(np.float64).copy()
    for (dy, dx), v in zip(order, back):
        want[dy:2 * h2:2, dx:2 * w2:2] = v
    assert np.abs(got - want).max() < 2e-6
    assert np.abs(want - cfa).max() > 0.01                             # it did denoise
