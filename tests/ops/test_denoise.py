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
