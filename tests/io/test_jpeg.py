"""Parallel-strip JPEG: restart-joined strips decode to exactly the pixels of a one-pass encode,
by libjpeg-turbo (Pillow) and by FFmpeg's own JPEG decoder, with EXIF and ICC in place."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from lsquared.io import jpeg


def _scene(shape, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    base = np.sin(xx / 7.0) * 60 + np.cos(yy / 11.0) * 60 + 128
    if len(shape) == 3:
        base = base[..., None] + np.array([-30, 0, 30])[:shape[2]]
    return np.clip(base + rng.normal(0, 20, shape), 0, 255).astype(np.uint8)


def _markers(data: bytes) -> list[int]:
    return [data[i + 1] for i in range(len(data) - 1) if data[i] == 0xFF and 0xD0 <= data[i + 1] <= 0xD7]


@pytest.mark.parametrize("shape,chroma_444", [((1203, 1001, 3), True), ((1203, 1001, 3), False),
                                              ((1100, 1017), True), ((2100, 900, 3), False)])
def test_strips_decode_to_the_single_pass_pixels(shape, chroma_444):
    img = _scene(shape)
    one = jpeg.encode_jpeg(img, 90, chroma_444=chroma_444, parallel=False)
    strips = jpeg.encode_jpeg(img, 90, chroma_444=chroma_444)
    assert len(_markers(strips)) >= 1 and not _markers(one)        # really cut into intervals
    a = np.asarray(Image.open(io.BytesIO(one)))
    b = np.asarray(Image.open(io.BytesIO(strips)))
    assert b.shape == img.shape and np.array_equal(a, b)
    assert np.abs(b.astype(int) - img).mean() < 0.3 * img.std()      # and it is the picture


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_an_independent_decoder_agrees():
    img = _scene((1300, 1100, 3), seed=3)
    raw = []
    for data in (jpeg.encode_jpeg(img, 85, chroma_444=False, parallel=False),
                 jpeg.encode_jpeg(img, 85, chroma_444=False)):
        run = subprocess.run(["ffmpeg", "-v", "error", "-f", "jpeg_pipe", "-i", "-", "-f", "rawvideo",
                              "-pix_fmt", "rgb24", "-"], input=data, capture_output=True, check=True)
        assert not run.stderr
        raw.append(run.stdout)
    assert len(raw[0]) == img.size and raw[0] == raw[1]


def test_restart_markers_cycle_through_rst0_to_rst7():
    img = _scene((1200, 1000, 3))
    data = jpeg.encode_jpeg(img, 80, chroma_444=False, strip_rows=32)          # 38 intervals
    markers = _markers(data)
    assert markers == [0xD0 + k % 8 for k in range(37)]
    i = data.index(jpeg.DRI)
    assert int.from_bytes(data[i + 4:i + 6], "big") == 2 * 63                  # MCUs per interval
    single = jpeg.encode_jpeg(img, 80, chroma_444=False, parallel=False)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(Image.open(io.BytesIO(single))))


def test_intervals_fit_the_16_bit_restart_count():
    assert jpeg._strip_rows(8000, 65000, (16, 16), 2) == 16 * (0xFFFF // 4063)
    with pytest.raises(ValueError, match="multiple of 16"):
        jpeg.encode_jpeg(_scene((64, 64, 3)), 80, chroma_444=False, strip_rows=8)


def test_exif_and_icc_segments():
    icc = bytes(range(256)) * 300                          # 76800 bytes: two APP2 chunks
    exif = b"Exif\0\0" + b"II*\0\x08\0\0\0\0\0\0\0\0\0"
    data = jpeg.encode_jpeg(_scene((1200, 1000, 3)), 90, exif=exif, icc=icc)
    im = Image.open(io.BytesIO(data))
    assert im.info["icc_profile"] == icc
    assert im.info["exif"] == exif
    assert data[2:4] == b"\xff\xe0"                        # JFIF first, then the metadata


def test_a_side_over_65535_is_refused_with_a_hint():
    from lsquared.errors import OutputError

    wide = np.zeros((8, 70000), np.uint8)
    with pytest.raises(OutputError, match="65535") as err:
        jpeg.encode_jpeg(wide, 90)
    assert "tiff" in err.value.one_line().lower()
