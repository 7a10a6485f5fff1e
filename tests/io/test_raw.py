"""open_raw / read_metadata against LibRaw (rawpy) and against DNGs with known content."""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np
import pytest
import rawpy
import tifffile
from dngmaker import ascii_value, rational_value, write_dng, write_tiff_like
from PIL import Image

from shared_data import raw_files
from lsquared.color.dng_model import neutral_to_xy
from lsquared.errors import InputError, UnsupportedError
from lsquared.frame import Encoding, SensorLayout
from lsquared.io.dngtags import read_dng_tags
from lsquared.io.raw import FLIP_TO_ORIENTATION, _libraw_exif, open_raw, read_metadata

FAST = "lsquared lossless JPEG (parallel tiles)"
SHARED = [p for p in raw_files() if p.suffix.lower() != ".md"]
BIG = {"synthetic-monochrome-60mp.dng"}


def _libraw_letters(raw, y, x) -> str:
    """LibRaw's colour letters of the 2x2 block whose top-left is raw pixel (y, x)."""
    desc = raw.color_desc.decode()
    colors = raw.raw_colors
    return "".join(desc[colors[y + i // 2, x + i % 2]]for i in range(4))


# ----------------------------------------------------------------------------- shared camera files


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p.name in BIG else p
                                  for p in SHARED], ids=lambda p: p.name)
def test_shared_file_matches_libraw(path):
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    frame = open_raw(path)
    meta = frame.meta
    assert frame.data.dtype == np.float32 and meta.encoding is Encoding.RAW
    assert meta.source == str(path) and meta.exif.make and meta.exif.model
    assert 1 <= meta.orientation <= 8 and max(meta.black) < meta.white
    assert frame.data.shape[:2] == tuple(meta.extra["visible_size"])

    raw = rawpy.imread(str(path))
    if meta.layout is SensorLayout.BAYER or meta.layout is SensorLayout.MONO:
        top, left = meta.extra.get("visible_origin", (raw.sizes.top_margin, raw.sizes.left_margin))
        h, w = frame.data.shape
        np.testing.assert_array_equal(frame.data, raw.raw_image[top:top + h, left:left + w])
        # LibRaw's visible area, cropped to the DNG default crop, is the same array
        vis = raw.raw_image_visible
        dy, dx = top - raw.sizes.top_margin, left - raw.sizes.left_margin
        np.testing.assert_array_equal(frame.data, vis[dy:dy + h, dx:dx + w])
    if meta.layout is SensorLayout.BAYER:
        assert meta.cfa == _libraw_letters(raw, top, left)
        blpc = raw.black_level_per_channel
        colors = raw.raw_colors
        assert meta.black == tuple(float(blpc[colors[top + i // 2, left + i % 2]]) for i in range(4))
        wb = np.asarray(raw.camera_whitebalance[:3], float)
        np.testing.assert_allclose(meta.as_shot_neutral, wb[1] / wb, rtol=1e-5)
    if meta.layout is SensorLayout.LINEAR_RGB and not meta.extra.get("opcodes_applied"):
        np.testing.assert_array_equal(frame.data, raw.raw_image_visible[..., :3])   # (else test_dngopcodes)
    assert float(raw.white_level) == meta.white
    assert FLIP_TO_ORIENTATION[raw.sizes.flip] == meta.orientation
    raw.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before        # the input is never modified

    # read_metadata says the same without decoding pixels
    quick = read_metadata(path)
    for name in ("exif", "layout", "cfa", "black", "white", "as_shot_neutral", "orientation", "raw_size",
                 "bits_per_sample", "baseline_exposure", "warnings"):
        assert repr(getattr(quick, name)) == repr(getattr(meta, name)), name
    assert repr(quick.camera_color) == repr(meta.camera_color)


def test_benchmark_file_takes_the_fast_path(raw_dir):
    # (bit-exactness against LibRaw: test_shared_file_matches_libraw)
    meta = read_metadata(raw_dir / "synthetic-fullframe-24mp.dng")
    assert meta.extra["decoder"] == FAST
    assert (meta.cfa, meta.black, meta.white) == ("RGGB", (512.0,) * 4, 16383.0)
    np.testing.assert_allclose(meta.as_shot_neutral, (0.4389, 1.0, 0.7314))
    np.testing.assert_allclose(meta.camera_color.color_matrix[0],
                               [[0.9, -0.34, -0.05], [-0.4, 1.18, 0.23], [-0.06, 0.15, 0.62]])
    assert meta.camera_color.illuminant == (21, None) and meta.camera_color.source == "dng"


def test_shared_file_details(raw_dir):
    canon = read_metadata(raw_dir / "canon-550d-magiclantern-2mp.dng")
    assert canon.extra["visible_size"] == (1156, 1734) and canon.raw_size == (1182, 1888)
    assert canon.camera_color.illuminant == (0, None)          # no CalibrationIlluminant1: unknown (DNG default)
    sony = read_metadata(raw_dir / "sony-a7r4-linear-lossy-6mp.dng")
    assert sony.layout is SensorLayout.LINEAR_RGB and sony.cfa is None
    assert sony.baseline_exposure == pytest.approx(0.35)
    assert sony.camera_color.illuminant == (17, 21) and sony.camera_color.forward_matrix[1] is not None
    assert sony.exif.lens_model == "FE 24-105mm F4 G OSS" and sony.exif.exposure_time == pytest.approx(1 / 1250)
    assert sony.exif.iso == 800 and sony.exif.f_number == 8 and sony.exif.serial_number == "03374840"
    assert sony.extra["opcodes_applied"] == ["MapPolynomial"] * 3 and sony.warnings == ()
    kodak = read_metadata(raw_dir / "kodak-dc50-0.4mp.kdc")
    assert kodak.exif.make == "Eastman Kodak Company" and kodak.exif.iso == 84
    assert kodak.exif.datetime_original == "1997:04:23 08:00:47" and kodak.exif.exposure_time == pytest.approx(0.00435)
    assert kodak.camera_color.source == "none" and "no colour matrix known for this camera" in kodak.warnings
    mono = read_metadata(raw_dir / "synthetic-monochrome-60mp.dng")
    assert mono.layout is SensorLayout.MONO and mono.cfa is None and mono.as_shot_neutral == (1.0, 1.0, 1.0)


# ----------------------------------------------------------------------------- synthetic DNGs


RNG = np.random.default_rng(1)
MOSAIC = RNG.integers(300, 16000, (64, 96)).astype(np.uint16)


@pytest.mark.parametrize("compression", ["none", "ljpeg"])
@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
@pytest.mark.parametrize("area, crop", [(None, None), ((2, 4, 62, 94), ((1, 3), (80, 50))),
                                        ((1, 3, 63, 95), ((2, 0), (85, 51)))])
def test_every_phase_and_crop(tmp_path, compression, cfa, area, crop):
    path = write_dng(tmp_path / "p.dng", MOSAIC, cfa=cfa, active_area=area, default_crop=crop,
                     compression=compression, tile=(32, 48))
    frame = open_raw(path)
    top, left = (area or (0, 0, 0, 0))[:2]
    (cx, cy), (cw, ch) = crop or ((0, 0), (96, 64))
    y0, x0 = top + cy, left + cx
    np.testing.assert_array_equal(frame.data, MOSAIC[y0:y0 + ch, x0:x0 + cw])
    # DNG 1.6: the CFA pattern starts at the active area's corner; the returned one at the crop's
    expected = "".join(cfa[((cy + r) % 2) * 2 + (cx + c) % 2] for r in (0, 1) for c in (0, 1))
    assert frame.meta.cfa == expected
    raw = rawpy.imread(str(path))
    assert frame.meta.cfa == _libraw_letters(raw, y0, x0)
    assert frame.meta.extra["decoder"] == (FAST if compression == "ljpeg" else "LibRaw")


@pytest.mark.parametrize("predictor", range(1, 8))
@pytest.mark.parametrize("components", [1, 2])
def test_fast_path_equals_libraw(tmp_path, predictor, components):
    path = write_dng(tmp_path / "f.dng", MOSAIC, compression="ljpeg", tile=(32, 64), predictor=predictor,
                     ljpeg_components=components, bits=14)
    frame = open_raw(path)
    assert frame.meta.extra["decoder"] == FAST
    np.testing.assert_array_equal(frame.data, rawpy.imread(str(path)).raw_image_visible)
    np.testing.assert_array_equal(frame.data, MOSAIC)


@pytest.mark.parametrize("compression", ["none", "ljpeg"])
def test_linearization_table_is_applied(tmp_path, compression):
    stored = RNG.integers(0, 4096, (64, 96)).astype(np.uint16)
    table = np.round(16000 * (np.arange(4000) / 3999.0) ** 2.2).astype(int)   # shorter than 2^12
    path = write_dng(tmp_path / "l.dng", stored, bits=12, linearization=table, compression=compression,
                     tile=(32, 48), white=(16000,))
    frame = open_raw(path)
    expected = table[np.minimum(stored, len(table) - 1)]        # values past the end take the last entry
    np.testing.assert_array_equal(frame.data, expected)
    np.testing.assert_array_equal(frame.data, rawpy.imread(str(path)).raw_image)
    np.testing.assert_array_equal(frame.meta.linearization, table)


@pytest.mark.parametrize("origin", [0, 1])
def test_black_pattern_follows_the_active_area(tmp_path, origin):
    path = write_dng(tmp_path / "b.dng", MOSAIC, cfa="GBRG", black=(100, 200, 300, 400), black_repeat=(2, 2),
                     active_area=(origin, 0, 64, 96))
    meta = open_raw(path).meta
    if origin == 0:
        assert meta.black == (100.0, 200.0, 300.0, 400.0)
        raw = rawpy.imread(str(path))        # LibRaw agrees when the active area starts on an even row
        blpc, colors = raw.black_level_per_channel, raw.raw_colors
        assert meta.black == tuple(float(blpc[colors[i // 2, i % 2]]) for i in range(4))
    else:
        # DNG 1.6 p. 25: the pattern's origin is the active area's corner, here row 1
        assert meta.black == (100.0, 200.0, 300.0, 400.0) and meta.cfa == "GBRG"


def _per_position(black, shape):
    return np.tile(np.reshape(black, (2, 2)), (shape[0] // 2, shape[1] // 2))


def test_black_deltas_are_exact(tmp_path):
    dh = np.linspace(0, 12, 96)
    dv = np.linspace(-4, 4, 64)
    path = write_dng(tmp_path / "d.dng", MOSAIC, black=(100, 110, 120, 130), black_repeat=(2, 2),
                     black_delta_h=dh, black_delta_v=dv)
    frame = open_raw(path)
    black_map = np.tile([[100, 110], [120, 130]], (32, 48)) + dh[None, :] + dv[:, None]
    np.testing.assert_allclose(frame.data - _per_position(frame.meta.black, (64, 96)), MOSAIC - black_map,
                               atol=4e-3)


def test_black_pattern_of_another_period(tmp_path):
    pattern = np.arange(9).reshape(3, 3) * 10 + 200                 # 3x3: no 2x2 position is constant
    path = write_dng(tmp_path / "p3.dng", MOSAIC, black=pattern.ravel(), black_repeat=(3, 3),
                     active_area=(1, 0, 64, 96), default_crop=((1, 2), (90, 60)))
    frame = open_raw(path)
    black_map = np.tile(pattern, (22, 32))[2:62, 1:91]              # anchored at the active area (row 1)
    np.testing.assert_allclose(frame.data - _per_position(frame.meta.black, (60, 90)),
                               MOSAIC[3:63, 1:91] - black_map, atol=4e-3)


def test_black_per_channel_with_deltas(tmp_path):
    rgb = RNG.integers(1000, 16000, (40, 64, 3)).astype(np.uint16)
    dh = np.linspace(-3, 3, 64)
    path = write_dng(tmp_path / "lin.dng", rgb, photometric="linear", black=(10, 20, 30), black_delta_h=dh)
    frame = open_raw(path)
    expected = rgb - (np.array([10, 20, 30])[None, None, :] + dh[None, :, None])
    np.testing.assert_allclose(frame.data - np.array(frame.meta.black[:3]), expected, atol=4e-3)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation(tmp_path, orientation):
    path = write_dng(tmp_path / "o.dng", MOSAIC, orientation=orientation)
    assert open_raw(path).meta.orientation == orientation
    assert FLIP_TO_ORIENTATION[rawpy.imread(str(path)).sizes.flip] == orientation


@pytest.mark.parametrize("compression", ["none", "ljpeg"])
def test_monochrome_linear_raw(tmp_path, compression):
    path = write_dng(tmp_path / "m.dng", MOSAIC, photometric="linear", compression=compression, tile=(32, 48),
                     color_matrix1=None, as_shot_neutral=None, black=(512,))
    frame = open_raw(path)
    assert frame.meta.layout is SensorLayout.MONO and frame.data.shape == (64, 96) and frame.meta.cfa is None
    np.testing.assert_array_equal(frame.data, MOSAIC)
    assert frame.meta.black == (512.0,) * 4 and frame.meta.warnings == ()


@pytest.mark.parametrize("compression", ["none", "ljpeg"])
def test_three_sample_linear_raw(tmp_path, compression):
    rgb = RNG.integers(0, 16000, (40, 64, 3)).astype(np.uint16)
    path = write_dng(tmp_path / "rgb.dng", rgb, photometric="linear", compression=compression, tile=(16, 32),
                     black=(10, 20, 30))
    frame = open_raw(path)
    assert frame.meta.layout is SensorLayout.LINEAR_RGB and frame.data.shape == (40, 64, 3)
    np.testing.assert_array_equal(frame.data, rgb)
    assert frame.meta.black == (10.0, 20.0, 30.0, 20.0)
    np.testing.assert_array_equal(frame.data, rawpy.imread(str(path)).raw_image[..., :3])


def test_colour_tags_become_camera_color(tmp_path):
    cm1 = [[1.1, -0.4, -0.1], [-0.5, 1.4, 0.1], [-0.1, 0.2, 0.7]]
    cm2 = [[0.9, -0.3, -0.05], [-0.4, 1.2, 0.2], [-0.06, 0.15, 0.62]]
    path = write_dng(tmp_path / "c.dng", MOSAIC, color_matrix1=cm1, color_matrix2=cm2, illuminant1=17,
                     illuminant2=21, forward_matrix1=np.eye(3) * 0.9, camera_calibration2=np.diag([1.02, 1, 0.98]),
                     analog_balance=(1.1, 1.0, 0.9), as_shot_neutral=(0.9, 2.0, 1.4), baseline_exposure=0.5,
                     baseline_exposure_offset=-0.25)
    meta = open_raw(path).meta
    c = meta.camera_color
    assert c.source == "dng" and c.illuminant == (17, 21)
    np.testing.assert_allclose(c.color_matrix[0], cm1, atol=1e-4)
    np.testing.assert_allclose(c.color_matrix[1], cm2, atol=1e-4)
    np.testing.assert_allclose(c.forward_matrix[0], np.eye(3) * 0.9, atol=1e-4)
    assert c.forward_matrix[1] is None and c.camera_calibration[0] is None
    np.testing.assert_allclose(c.camera_calibration[1], np.diag([1.02, 1, 0.98]), atol=1e-4)
    np.testing.assert_allclose(c.analog_balance, (1.1, 1.0, 0.9), atol=1e-4)
    np.testing.assert_allclose(meta.as_shot_neutral, (0.45, 1.0, 0.7), atol=1e-4)    # normalized to G = 1
    assert meta.baseline_exposure == pytest.approx(0.25)


def test_as_shot_white_xy_goes_through_the_matrix(tmp_path):
    xy = (0.4476, 0.4074)                                       # standard light A
    path = write_dng(tmp_path / "xy.dng", MOSAIC, as_shot_neutral=None, as_shot_white_xy=xy)
    meta = open_raw(path).meta
    assert meta.as_shot_neutral[1] == pytest.approx(1.0)
    np.testing.assert_allclose(neutral_to_xy(meta.camera_color, meta.as_shot_neutral), xy, atol=2e-4)
    assert meta.warnings == ()


def test_missing_white_balance_and_matrix_are_warned(tmp_path):
    path = write_dng(tmp_path / "w.dng", MOSAIC, as_shot_neutral=None)
    meta = open_raw(path).meta
    assert any("daylight" in w for w in meta.warnings)
    path = write_dng(tmp_path / "w2.dng", MOSAIC, as_shot_neutral=None, color_matrix1=np.zeros((3, 3)))
    meta = open_raw(path).meta
    assert meta.as_shot_neutral == (1.0, 1.0, 1.0) and meta.camera_color.source == "none"
    assert any("(1, 1, 1)" in w for w in meta.warnings) and any("ColorMatrix1" in w for w in meta.warnings)


def test_exif_of_a_dng(tmp_path):
    path = write_dng(tmp_path / "e.dng", MOSAIC, exif={"ExposureTime": 1 / 250, "FNumber": 2.8,
                                                       "ISOSpeedRatings": 1600, "FocalLength": 50.0,
                                                       "DateTimeOriginal": "2023:06:07 08:09:10"})
    ex = open_raw(path).meta.exif
    assert (ex.make, ex.model) == ("Testmaker", "Tester 1")
    assert ex.exposure_time == pytest.approx(1 / 250) and ex.f_number == pytest.approx(2.8)
    assert ex.iso == 1600 and ex.focal_length == 50 and ex.datetime_original == "2023:06:07 08:09:10"


def test_xtrans_like_cfa_falls_back_to_libraw(tmp_path):
    # Fujifilm's X-Trans 6x6 pattern (0 R, 1 G, 2 B); a flat field seen through it.  LibRaw's
    # X-Trans demosaic works in 512-pixel tiles and refuses smaller images.
    xtrans = [1, 1, 0, 1, 1, 2, 1, 1, 2, 1, 1, 0, 2, 0, 1, 0, 2, 1, 1, 1, 2, 1, 1, 0, 1, 1, 0, 1, 1, 2, 0, 2, 1, 2, 0, 1]
    values = np.array([4000, 6000, 3000])
    mosaic = values[np.tile(np.reshape(xtrans, (6, 6)), (90, 90))].astype(np.uint16)
    path = write_dng(tmp_path / "x.dng", mosaic, black=(0,), white=(16383,), as_shot_neutral=(0.6, 1, 0.5))
    _set_cfa(path, (6, 6), xtrans)
    frame = open_raw(path)
    assert frame.meta.layout is SensorLayout.FALLBACK and frame.data.shape == (540, 540, 3)
    assert frame.meta.black == (0.0,) * 4 and frame.meta.white == 65535.0 and frame.meta.cfa is None
    assert any("fallback" in w and "LibRaw demosaiced" in w for w in frame.meta.warnings)
    np.testing.assert_allclose(frame.meta.as_shot_neutral, (0.6, 1, 0.5), atol=1e-4)
    centre = frame.data[200:300, 200:300].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(centre, values / 16383 * 65535, rtol=0.002)   # linear, 65535 = white


def _set_cfa(path, dim, pattern):
    """Rewrite CFARepeatPatternDim / CFAPattern of the raw IFD in place (same tag sizes or larger)."""
    with tifffile.TiffFile(path, mode="r+b") as tf:
        page = tf.pages.first.pages[0] if tf.pages.first.subifds else tf.pages.first
        page.tags[33421].overwrite(tuple(dim))
        page.tags[33422].overwrite(bytes(pattern))


# ----------------------------------------------------------------------------- other formats


def test_rw2_exif_through_exifread(tmp_path):
    pytest.importorskip("exifread", reason="EXIF of non-DNG raws is read with exifread")
    # Panasonic RW2: a TIFF with magic 0x55; IFD0 has Make/Model, the EXIF IFD the shooting data
    path = write_tiff_like(
        tmp_path / "p.rw2", b"\x55\x00",
        [(271, 2, ascii_value("Panasonic")), (272, 2, ascii_value("DC-S5M2"))],
        exif=[(33434, 5, rational_value((1, 250))), (33437, 5, rational_value((28, 10))),
              (34855, 3, (640).to_bytes(2, "little")), (36867, 2, ascii_value("2024:05:01 10:20:30")),
              (37386, 5, rational_value((50, 1))), (42036, 2, ascii_value("LUMIX S 20-60/F3.5-5.6"))])
    ex = _libraw_exif(path)
    assert (ex.make, ex.model, ex.lens_model) == ("Panasonic", "DC-S5M2", "LUMIX S 20-60/F3.5-5.6")
    assert ex.exposure_time == pytest.approx(1 / 250) and ex.f_number == pytest.approx(2.8)
    assert ex.iso == 640 and ex.focal_length == 50 and ex.datetime_original == "2024:05:01 10:20:30"
    with pytest.raises(UnsupportedError, match="not a raw file LibRaw can read"):
        open_raw(path)                     # headers alone: no raw data for LibRaw


# ----------------------------------------------------------------------------- bad input


def _assert_one_line(exc_info, path):
    text = exc_info.value.one_line()
    assert "\n" not in text and str(path) in text


@pytest.mark.parametrize("fn", [open_raw, read_metadata])
def test_missing_folder_and_empty(tmp_path, fn):
    with pytest.raises(InputError, match="no such file") as e:
        fn(tmp_path / "nope.dng")
    _assert_one_line(e, tmp_path / "nope.dng")
    with pytest.raises(InputError, match="folder"):
        fn(tmp_path)
    (tmp_path / "empty.dng").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        fn(tmp_path / "empty.dng")


@pytest.mark.parametrize("fn", [open_raw, read_metadata])
def test_not_raw_files(tmp_path, fn):
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\n" * 20)
    with pytest.raises(UnsupportedError, match="text file, not a raw file LibRaw can read") as e:
        fn(text)
    _assert_one_line(e, text)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "pic.jpg")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "pic.png")
    tifffile.imwrite(tmp_path / "pic.tif", np.zeros((8, 8, 3), np.uint8), photometric="rgb")
    for name, kind in (("pic.jpg", "JPEG"), ("pic.png", "PNG"), ("pic.tif", "TIFF")):
        with pytest.raises(UnsupportedError, match=f"{kind} image: a rendered picture"):
            fn(tmp_path / name)
    (tmp_path / "noise.bin").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8).tobytes())
    with pytest.raises(UnsupportedError, match="not a raw file LibRaw can read"):
        fn(tmp_path / "noise.bin")


def test_gopro_vc5_is_unsupported(raw_dir):
    path = raw_dir / "unsupported" / "gopro-hero6-12mp.gpr"
    with pytest.raises(UnsupportedError, match="VC-5") as e:
        open_raw(path)
    _assert_one_line(e, path)
    meta = read_metadata(path)                      # the metadata are still readable for info
    assert meta.exif.make == "GoPro" and any("VC-5" in w for w in meta.warnings)


@pytest.mark.parametrize("name", ["synthetic-fullframe-24mp.dng", "canon-550d-magiclantern-2mp.dng",
                                  "kodak-dc50-0.4mp.kdc", "sony-a7r4-linear-lossy-6mp.dng"])
def test_truncated_copies(tmp_path, raw_dir, name, capfd):
    data = (raw_dir / name).read_bytes()
    tags = read_dng_tags(raw_dir / name)
    end = tags.layout.data_end if tags is not None else len(data)     # bytes past the raw data do not matter
    for keep in (64, 3000, end // 3, end * 9 // 10, end - 1):
        cut = tmp_path / f"{keep}-{name}"
        cut.write_bytes(data[:keep])
        with pytest.raises(InputError) as e:
            open_raw(cut)
        _assert_one_line(e, cut)
        assert cut.read_bytes() == data[:keep]
    assert capfd.readouterr().err == ""          # LibRaw's own complaints end up in our message, not stderr


@pytest.mark.parametrize("name", ["synthetic-fullframe-24mp.dng", "sony-a7r4-linear-lossy-6mp.dng",
                                  "kodak-dc50-0.4mp.kdc"])
@pytest.mark.parametrize("kind", ["zeros", "random"])
def test_corrupted_middle(tmp_path, raw_dir, name, kind):
    data = bytearray((raw_dir / name).read_bytes())
    mid = len(data) // 2
    # seeded: random damage inside a checksum-less compressed stream (KDC) is not always
    # detectable (a CI run once drew bytes LibRaw decoded without complaint)
    noise = np.random.default_rng(2048).integers(0, 256, 2048, dtype=np.uint8).tobytes()
    data[mid:mid + 2048] = bytes(2048) if kind == "zeros" else noise
    bad = tmp_path / name
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="corrupt|truncated") as e:
        open_raw(bad)
    _assert_one_line(e, bad)


def test_input_is_never_modified(tmp_path, raw_dir):
    copy = tmp_path / "copy.dng"
    shutil.copy(raw_dir / "canon-550d-magiclantern-2mp.dng", copy)
    os.chmod(copy, 0o444)
    stat = copy.stat()
    frame = open_raw(copy)
    frame.data[:] = 0                               # the Frame owns its pixels
    assert copy.stat().st_mtime_ns == stat.st_mtime_ns
    assert copy.read_bytes() == (raw_dir / "canon-550d-magiclantern-2mp.dng").read_bytes()
    assert open_raw(copy).data.max() > 0


def test_random_damage_never_escapes_as_a_bug(tmp_path, raw_dir, capfd):
    """Flipped bytes in headers and data: either a picture or a one-line LsquaredError, silently."""
    from lsquared.errors import LsquaredError

    small_dng = write_dng(tmp_path / "lj.dng", MOSAIC, compression="ljpeg", tile=(32, 48), ljpeg_components=2,
                          active_area=(2, 2, 62, 94))
    rng = np.random.default_rng(2024)
    for source in (raw_dir / "kodak-dc50-0.4mp.kdc", small_dng):
        data = source.read_bytes()
        for i in range(24):
            damaged = bytearray(data)
            span = 4096 if i % 2 else len(data)          # the header region, or anywhere
            for k in rng.integers(0, min(span, len(data)), int(rng.integers(1, 12))):
                damaged[int(k)] = int(rng.integers(0, 256))
            path = tmp_path / f"d{i}{source.suffix}"
            path.write_bytes(bytes(damaged))
            for fn in (read_metadata, open_raw):
                try:
                    fn(path)
                except LsquaredError as exc:
                    assert "\n" not in exc.one_line()
    assert capfd.readouterr().err == ""
