"""The renditions a worker makes: the half-size preview (binned mosaic) is the same picture as
the full develop; the camera's embedded preview is used where it is large enough."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lsquared.frame import Frame, FrameMeta, SensorLayout
from lsquared.share import render


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG"])
def test_half_size_frame_bins_each_cell(cfa):
    values = {"R": 10.0, "G": 20.0, "B": 30.0}
    cell = np.array([[values[cfa[0]], values[cfa[1]]], [values[cfa[2]], values[cfa[3]]]], np.float32)
    mosaic = np.tile(cell, (3, 4))
    mosaic[0, 1 if cfa[1] == "G" else 0] += 2.0            # the two greens of the first cell differ
    black = tuple(float(i) for i in range(1, 5))
    frame = Frame(mosaic, FrameMeta(cfa=cfa, black=black, white=100.0))
    half = render.half_size_frame(frame)
    assert half.data.shape == (3, 4, 3) and half.meta.layout is SensorLayout.LINEAR_RGB and half.meta.cfa is None
    assert np.allclose(half.data[1, 1], [10, 20, 30]) and np.isclose(half.data[0, 0, 1], 21.0)
    g = [i for i, c in enumerate(cfa) if c == "G"]
    assert half.meta.black[:3] == (black[cfa.index("R")], (black[g[0]] + black[g[1]]) / 2, black[cfa.index("B")])


def test_preview_is_the_full_develop_in_small(tmp_path):
    from lsquared.synth.demo import make_demo_raw

    raw = tmp_path / "r.dng"
    make_demo_raw(raw, size=(480, 320), orientation=6, preview=False)
    (tmp_path / "p").mkdir()
    (tmp_path / "f").mkdir()
    pre = render.render_preview(raw, "raw", "standard", tmp_path / "p")
    full = render.render_full(raw, "raw", "standard", tmp_path / "f")
    assert (pre.width, pre.height) == (full.width, full.height) == (320, 480)       # portrait
    small = np.asarray(Image.open(tmp_path / "p" / "web.jpg").convert("RGB"), np.float64)
    assert small.shape == (240, 160, 3)
    big = Image.open(tmp_path / "f" / "full.jpg").convert("RGB").resize((160, 240), Image.Resampling.BOX)
    assert np.abs(small - np.asarray(big, np.float64)).mean() < 6.0
    assert 'name = "standard"' in full.recipe and full.exif["camera"]


def test_embedded_preview_used_where_large_enough(tmp_path):
    from lsquared.io.raw import embedded_preview
    from lsquared.synth.demo import make_demo_raw

    raw = tmp_path / "r.dng"
    make_demo_raw(raw, size=(240, 160), preview=True)
    pixels, size, orientation = embedded_preview(raw, 2048)
    assert size == (240, 160) and orientation == 1
    (tmp_path / "p").mkdir()
    render.render_preview(raw, "raw", "monochrome", tmp_path / "p")
    web = np.asarray(Image.open(tmp_path / "p" / "web.jpg").convert("RGB"), np.float64)
    assert web.shape == pixels.shape and np.abs(web - pixels).mean() < 3.0      # the camera's, not the look's
    plain = tmp_path / "plain.dng"
    make_demo_raw(plain, size=(240, 160), preview=False)
    assert embedded_preview(plain, 2048) is None


@pytest.mark.parametrize("fmt,media", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("TIFF", "image/tiff"),
                                       ("HEIF", "image/heif")])
def test_rendered_images_are_sniffed_and_developed(tmp_path, fmt, media):
    from lsquared.share.sniff import sniff

    if fmt == "HEIF":
        pillow_heif = pytest.importorskip("pillow_heif")
        pillow_heif.register_heif_opener()
    yy, xx = np.mgrid[0:120, 0:180]
    pixels = np.stack([xx * 255 // 179, yy * 255 // 119, np.full_like(xx, 128)], -1).astype(np.uint8)
    path = tmp_path / "upload.bin"                       # no suffix: the content says what it is
    Image.fromarray(pixels).save(path, fmt)
    found = sniff(path)
    assert (found.kind, found.media_type) == ("image", media)
    (tmp_path / "out").mkdir()
    done = render.render_full(path, "image", "standard", tmp_path / "out")
    assert (done.width, done.height) == (180, 120)
    out = np.asarray(Image.open(tmp_path / "out" / "full.jpg").convert("RGB"), np.float64)
    assert np.corrcoef(out[..., 0].ravel(), pixels[..., 0].ravel())[0, 1] > 0.95     # the same picture
