"""make_demo_raw: a real DNG with its truth; noise, highlights and monochrome variants."""

from __future__ import annotations

import numpy as np
import pytest
import rawpy
import tifffile

from lsquared.frame import cfa_channel_map
from lsquared.synth import DemoInfo, make_demo_raw
from lsquared.synth import camera as C


def test_demo_dng_and_its_description(tmp_path):
    info = make_demo_raw(tmp_path / "demo.dng", size=(600, 400), iso=200)
    assert isinstance(info, DemoInfo) and info.path.exists()
    with tifffile.TiffFile(info.path) as tif:
        ifd0 = tif.pages[0]
        assert ifd0.tags["Make"].value == "lsquared"
        assert ifd0.tags["Model"].value == "Simulated camera (Nikon 5100 (NPL))"
        exif = ifd0.tags["ExifTag"].value
        assert exif["ISOSpeedRatings"] == 200 and exif["LensModel"] == "Simulated 50mm f/2"
        assert exif["DateTimeOriginal"] == "2024:06:21 12:00:00"
        preview = ifd0.asarray()
        assert preview.dtype == np.uint8 and preview.shape[2] == 3 and 200 <= preview.shape[1] <= 300
    with rawpy.imread(str(info.path)) as raw:
        assert raw.raw_image_visible.shape == (400, 600)
        wb = np.array(raw.camera_whitebalance[:3])
        np.testing.assert_allclose(wb / wb[1], 1.0 / info.as_shot_neutral, rtol=1e-5)
    assert info.picture_shape == (400, 600)
    assert {"siemens star", "ramp", "chart"} <= set(info.boxes)
    assert "Nikon 5100" in info.describe() and "ISO 200" in info.describe()
    ref = info.reference_camera_rgb()
    assert ref.shape == (400, 600, 3) and ref.dtype == np.float32
    # the white patch sits ~headroom_ev below clipping in its brightest channel
    white = next(p for p in info.patches if p.name == "white 9.5")
    x0, y0, x1, y1 = white.box
    top = ref[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0).max()
    assert 0.55 < top < 2 ** -info.headroom_ev


@pytest.mark.parametrize("iso", [100, 6400])
def test_noise_in_the_file_matches_the_model(tmp_path, iso):
    info = make_demo_raw(tmp_path / "n.dng", size=(600, 400), iso=iso, seed=11, psf_sigma=0.0)
    clean = C.render_signal(info.scene, info.camera, headroom_ev=info.headroom_ev)
    with rawpy.imread(str(info.path)) as raw:
        x = (raw.raw_image_visible.astype(np.float64) - info.camera.black_level) / (
            info.camera.white - info.camera.black_level)
    slope, offset = info.noise_profile
    for name in ("neutral 8", "neutral 5", "black 2"):
        p = next(q for q in info.patches if q.name == name)
        x0, y0, x1, y1 = p.sensor_box
        residual = (x - clean)[y0:y1, x0:x1]
        s = clean[y0:y1, x0:x1].mean()
        assert abs(residual.mean()) < 4 * np.sqrt((slope * s + offset) / residual.size) + 1e-4
        assert residual.var() == pytest.approx(slope * s + offset, rel=0.15), name


def test_highlight_demo_clips_the_lamp_in_red_only(tmp_path):
    info = make_demo_raw(tmp_path / "h.dng", size=(600, 400), highlights=True, noise=False)
    with rawpy.imread(str(info.path)) as raw:
        mosaic = raw.raw_image_visible
    x0, y0, x1, y1 = info.boxes["lamp"]
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    block = mosaic[cy - 4:cy + 4, cx - 4:cx + 4]
    cmap = cfa_channel_map(info.camera.cfa)
    ch = cmap[np.arange(cy - 4, cy + 4)[:, None] & 1, np.arange(cx - 4, cx + 4)[None, :] & 1]
    assert np.all(block[ch == 0] == info.camera.white)
    assert np.all(block[ch == 2] < info.camera.white)
    x0, y0, x1, y1 = info.boxes["sky"]
    row = mosaic[(y0 + y1) // 2, x0:x1]
    assert (row == info.camera.white).mean() > 0.3 and (row[:20] < info.camera.white).all()


def test_monochrome_demo(tmp_path):
    info = make_demo_raw(tmp_path / "m.dng", size=(600, 400), cfa=None, noise=False, psf_sigma=0.0)
    assert info.profile is None and "monochrome" in info.model
    with rawpy.imread(str(info.path)) as raw:
        assert raw.num_colors == 1
        mosaic = raw.raw_image_visible.astype(np.float64) - info.camera.black_level
    steps = [p for p in info.patches if p.kind == "wedge"][:5]
    levels = [mosaic[p.sensor_box[1]:p.sensor_box[3], p.sensor_box[0]:p.sensor_box[2]].mean() for p in steps]
    np.testing.assert_allclose(np.array(levels[1:]) / np.array(levels[:-1]), 0.5, rtol=2e-3)


def test_other_sensitivities_and_portrait(tmp_path):
    info = make_demo_raw(tmp_path / "c.dng", size=(600, 400), sensitivities="Canon EOS 5D Mark II",
                         orientation=8, cfa="GRBG", forward_matrix=True)
    assert info.picture_shape == (600, 400)
    with tifffile.TiffFile(info.path) as tif:
        tags = tif.pages[0].tags
        assert "ForwardMatrix2" in tags and tags["Model"].value.endswith("(Canon EOS 5D Mark II)")
    with rawpy.imread(str(info.path)) as raw:
        assert raw.sizes.flip == 5
        assert raw.postprocess(half_size=True).shape[:2] == (300, 200)


def test_masked_border_is_black_level_and_read_noise(tmp_path):
    info = make_demo_raw(tmp_path / "b.dng", size=(320, 240), iso=1600, masked_border=7, crop=(4, 4, 312, 232))
    with rawpy.imread(str(info.path)) as raw:
        assert raw.raw_image.shape == (240 + 16, 320 + 16)
        assert (raw.sizes.top_margin, raw.sizes.left_margin) == (8, 8)
        assert raw.raw_image_visible.shape == (240, 320)
        border = raw.raw_image[:8].astype(np.float64)
    span = info.camera.white - info.camera.black_level
    sigma = np.sqrt(info.noise_profile[1]) * span               # read noise in counts (25 at ISO 1600)
    assert border.mean() == pytest.approx(info.camera.black_level, abs=4 * sigma / np.sqrt(border.size))
    assert border.std() == pytest.approx(sigma, rel=0.05)
    assert info.picture_shape == (232, 312)
