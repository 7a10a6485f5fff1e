"""Grey output (issue 15): neutral develops are written as one channel with a grey ICC profile.

Whether a develop is grey comes from the compiled look (ops.grey): monochrome looks on any
raw, neutral looks on a monochrome sensor.  A toned look (selenium) or a look that tints
neutrals (portrait) stays RGB.  The grey values are the luma of what the RGB path writes.
"""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

import lsquared
from lsquared.color import transfer
from lsquared.io.icc import ICC_D50_XYZ, _read_curve, _read_xyz, _tag_table, identify_space
from lsquared.ops.grey import lut_is_neutral, luma_weights, to_grey
from lsquared.pipeline import run
from lsquared.synth.demo import make_demo_raw

SIZE = (240, 160)


@pytest.fixture(scope="module")
def raws(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grey")
    colour = make_demo_raw(folder / "colour.dng", size=SIZE, preview=False).path
    mono = make_demo_raw(folder / "mono.dng", size=SIZE, cfa=None, preview=False).path
    return colour, mono


def _rgb_path(monkeypatch, source, look):
    """What the develop writes without grey output: the RGB picture."""
    with monkeypatch.context() as m:
        m.setattr(run, "_grey_if_neutral", lambda pixels, lut, mono_input: pixels)
        return np.asarray(lsquared.develop(source, look=look))


def _check_grey_profile(icc: bytes) -> None:
    assert icc[16:20] == b"GRAY" and icc[12:16] == b"mntr"
    tags = _tag_table(icc)
    np.testing.assert_allclose(_read_xyz(tags[b"wtpt"]), ICC_D50_XYZ, atol=1e-4)   # media white: D50
    # the grey TRC (ICC.1 grayTRCTag, signature 'kTRC') is sRGB's decoding curve
    x = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(_read_curve(tags[b"kTRC"])(x), transfer.decode(x, "srgb"), atol=2e-4)
    assert identify_space(icc) == "srgb"


@pytest.mark.parametrize("look", ["monochrome", "monochrome-deep"])
def test_monochrome_look_writes_one_channel_files(tmp_path, raws, monkeypatch, look):
    colour, _ = raws
    picture = lsquared.develop(colour, look=look)
    assert picture.ndim == 2
    rgb = _rgb_path(monkeypatch, colour, look)
    assert np.abs(rgb.astype(int) - rgb[..., 1:2].astype(int)).max() <= 1     # the RGB path was grey
    luma = np.rint(rgb.astype(np.float64) @ luma_weights("srgb"))           # Y', computed independently
    assert np.abs(np.asarray(picture).astype(int) - luma).max() <= 1
    assert np.abs(np.asarray(picture).astype(int) - rgb[..., 1]).max() <= 1     # and G itself
    for suffix in (".jpg", ".png", ".tif"):
        path = lsquared.save(picture, tmp_path / f"{look}{suffix}")
        with Image.open(path) as im:
            assert im.mode == "L", (suffix, im.mode)
            icc = im.info["icc_profile"]
            pixels = np.asarray(im)
        _check_grey_profile(icc)
        tolerance = 3 if suffix == ".jpg" else 0           # JPEG: its own quantisation
        assert np.abs(pixels.astype(int) - luma.astype(int)).mean() <= tolerance
        if suffix == ".tif":
            with tifffile.TiffFile(path) as tf:
                assert tf.pages.first.samplesperpixel == 1 and tf.pages.first.photometric == 1


def test_toned_look_stays_rgb(tmp_path, raws):
    colour, mono = raws
    for source in (colour, mono):
        picture = lsquared.develop(source, look="selenium")
        assert picture.ndim == 3
        path = lsquared.save(picture, tmp_path / "selenium.jpg", overwrite=True)
        with Image.open(path) as im:
            assert im.mode == "RGB" and im.info["icc_profile"][16:20] == b"RGB "


def test_monochrome_sensor_with_a_neutral_look_is_grey(raws, monkeypatch):
    """On a monochrome sensor only neutral inputs reach the LUT: 'standard' is grey there,
    'portrait' (warm neutrals) is not."""
    _, mono = raws
    picture = lsquared.develop(mono, look="standard")
    assert picture.ndim == 2
    luma = to_grey(_rgb_path(monkeypatch, mono, "standard"))
    assert np.abs(np.asarray(picture).astype(int) - luma.astype(int)).max() <= 1
    assert lsquared.develop(mono, look="portrait").ndim == 3


def test_neutrality_is_read_from_the_table():
    n = 5
    grid = np.stack(np.meshgrid(*[np.linspace(0, 1, n)] * 3, indexing="ij"), axis=-1)
    grey = np.repeat(grid.mean(axis=-1, keepdims=True), 3, axis=-1)
    assert lut_is_neutral(grey)
    assert not lut_is_neutral(grid)                       # the identity: colour stays colour
    assert lut_is_neutral(grid, diagonal_only=True)       # ... but maps greys to greys
    toned = grey.copy()
    toned[..., 2] += 0.01                                 # a faint blue tint: not grey
    assert not lut_is_neutral(toned) and not lut_is_neutral(toned, diagonal_only=True)
    np.testing.assert_allclose(luma_weights("srgb"), (0.2126, 0.7152, 0.0722), atol=1e-4)
