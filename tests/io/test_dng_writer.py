"""io.dng.write_dng: what LibRaw (rawpy) and tifffile read back is exactly what was written."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import rawpy
import tifffile

from lsquared.errors import OutputError, ParameterError
from lsquared.frame import Exif, cfa_channel_map
from lsquared.io.dng import write_dng

CM_A = np.array([[0.9123, -0.3456, -0.0512], [-0.4021, 1.1834, 0.2311], [-0.0634, 0.1523, 0.7012]])
CM_D65 = np.array([[0.8012, -0.2987, -0.0476], [-0.4512, 1.2023, 0.2534], [-0.1023, 0.2011, 0.6023]])
FM = np.array([[0.61, 0.25, 0.10], [0.28, 0.69, 0.03], [0.05, 0.01, 0.77]])
NEUTRAL = np.array([0.4712, 1.0, 0.7123])
EXIF = Exif(exposure_time=1 / 125, f_number=5.6, iso=400, focal_length=35.0, datetime_original="2024:05:01 12:34:56",
            lens_make="lsquared", lens_model="Test 35mm f/2", serial_number="SN42")
# dcraw/LibRaw's sRGB primaries (xyz_rgb in dcraw.c), used to derive LibRaw's rgb_cam
XYZ_RGB = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]])


def mosaic(h=150, w=214, seed=0, top=16383):
    return np.random.default_rng(seed).integers(0, top + 1, (h, w), dtype=np.uint16)


def libraw_rgb_cam(cm: np.ndarray) -> np.ndarray:
    """rgb_cam as LibRaw derives it from a DNG ColorMatrix (dcraw's cam_xyz_coeff)."""
    cam_rgb = cm @ XYZ_RGB
    cam_rgb = cam_rgb / cam_rgb.sum(axis=1, keepdims=True)
    return np.linalg.inv(cam_rgb)


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
@pytest.mark.parametrize("compression,components,preview", [
    ("none", 2, False), ("ljpeg", 2, False), ("ljpeg", 1, True)])
def test_bayer_round_trip(tmp_path, cfa, compression, components, preview):
    data = mosaic()
    black = [500, 510, 520, 530]
    path = write_dng(tmp_path / "a.dng", data, cfa=cfa, black_level=black, white_level=16383,
                     color_matrix1=CM_A, color_matrix2=CM_D65, as_shot_neutral=NEUTRAL,
                     compression=compression, ljpeg_components=components, tile=64,
                     preview=np.full((12, 18, 3), 128, np.uint8) if preview else None)
    with rawpy.imread(str(path)) as raw:
        assert np.array_equal(raw.raw_image_visible, data)
        desc = raw.color_desc.decode()
        pattern = "".join(desc[i] for i in raw.raw_pattern.ravel())
        assert pattern == cfa
        per_colour = raw.black_level_per_channel
        for (i, j), b in zip([(0, 0), (0, 1), (1, 0), (1, 1)], black):
            assert per_colour[raw.raw_pattern[i, j]] == b
        assert raw.white_level == 16383
        wb = np.array(raw.camera_whitebalance[:3])
        np.testing.assert_allclose(wb / wb[1], (1.0 / NEUTRAL) / (1.0 / NEUTRAL[1]), rtol=1e-5)
        # LibRaw uses the D65 matrix of a dual-illuminant DNG
        np.testing.assert_allclose(raw.color_matrix[:, :3], libraw_rgb_cam(CM_D65), atol=2e-4)
    assert cfa_channel_map(cfa).shape == (2, 2)


@pytest.mark.parametrize("orientation,flip", [(1, 0), (3, 3), (6, 6), (8, 5)])
def test_orientation_is_what_libraw_applies(tmp_path, orientation, flip):
    """A bright block in the stored image's top-left corner lands where EXIF says."""
    h, w = 64, 96
    data = np.full((h, w), 1000, np.uint16)
    data[: h // 2, : w // 2] = 12000
    path = write_dng(tmp_path / "o.dng", data, cfa="RGGB", black_level=0, white_level=16383,
                     color_matrix1=CM_D65, calibration_illuminant1=21, as_shot_neutral=[1, 1, 1],
                     orientation=orientation)
    with rawpy.imread(str(path)) as raw:
        assert raw.sizes.flip == flip
        img = raw.postprocess(half_size=True, no_auto_bright=True, use_camera_wb=True, output_bps=16).mean(axis=2)
    hh, ww = img.shape
    quadrants = {"tl": img[: hh // 2, : ww // 2], "tr": img[: hh // 2, ww // 2:],
                 "bl": img[hh // 2:, : ww // 2], "br": img[hh // 2:, ww // 2:]}
    brightest = max(quadrants, key=lambda k: quadrants[k].mean())
    # stored top-left shown: 1 top-left, 3 bottom-right, 6 (rotate CW) top-right, 8 (CCW) bottom-left
    assert brightest == {1: "tl", 3: "br", 6: "tr", 8: "bl"}[orientation]
    assert img.shape == ((h // 2, w // 2) if orientation < 5 else (w // 2, h // 2))


@pytest.mark.parametrize("compression", ["none", "ljpeg"])
def test_monochrome_linear_raw(tmp_path, compression):
    data = mosaic(seed=1)
    path = write_dng(tmp_path / "m.dng", data, cfa=None, black_level=512, white_level=16383,
                     compression=compression, tile=64)
    with rawpy.imread(str(path)) as raw:
        assert raw.num_colors == 1
        assert np.array_equal(raw.raw_image_visible, data)
        assert raw.black_level_per_channel[0] == 512 and raw.white_level == 16383
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        assert page.tags["PhotometricInterpretation"].value == 34892
        assert page.tags["SamplesPerPixel"].value == 1
        assert "CFAPattern" not in page.tags


def test_linear_raw_rgb(tmp_path):
    data = np.random.default_rng(2).integers(0, 16384, (40, 52, 3), dtype=np.uint16)
    path = write_dng(tmp_path / "r.dng", data, black_level=[100, 200, 300], white_level=16383,
                     color_matrix1=CM_D65, calibration_illuminant1=21, as_shot_neutral=NEUTRAL)
    with rawpy.imread(str(path)) as raw:
        assert raw.num_colors == 3
        assert np.array_equal(raw.raw_image[..., :3], data)
        assert list(raw.black_level_per_channel[:3]) == [100, 200, 300]
        wb = np.array(raw.camera_whitebalance[:3])
        np.testing.assert_allclose(wb / wb[1], NEUTRAL[1] / NEUTRAL, rtol=1e-5)


def test_tags_read_back_by_tifffile(tmp_path):
    data = mosaic(200, 300, top=4095)
    path = write_dng(tmp_path / "t.dng", data, cfa="GRBG", black_level=64, white_level=4095, bits=12,
                     color_matrix1=CM_A, color_matrix2=CM_D65, forward_matrix1=FM, forward_matrix2=FM,
                     as_shot_neutral=NEUTRAL, analog_balance=[1, 1, 1], baseline_exposure=-0.5,
                     noise_profile=(2e-4, 3e-7), make="Maker", model="Body", orientation=6, exif=EXIF,
                     active_area=(4, 6, 196, 290), default_crop=(2, 2, 280, 188), preview=np.zeros((8, 8, 3), np.uint8))
    with tifffile.TiffFile(path) as tif:
        ifd0 = tif.pages[0]
        raw_ifd = ifd0.pages[0]
        t0 = {t.name: t.value for t in ifd0.tags.values()}
        tr = {t.name: t.value for t in raw_ifd.tags.values()}
    assert t0["DNGVersion"] == b"\x01\x04\x00\x00"
    assert t0["Make"] == "Maker" and t0["Model"] == "Body" and t0["UniqueCameraModel"] == "Maker Body"
    assert int(t0["Orientation"]) == 6 and int(t0["NewSubfileType"]) == 1 and int(tr["NewSubfileType"]) == 0

    def matrix(v):
        v = np.array(v, float)
        return (v[0::2] / v[1::2]).reshape(3, 3)

    np.testing.assert_allclose(matrix(t0["ColorMatrix1"]), CM_A, atol=1e-6)
    np.testing.assert_allclose(matrix(t0["ColorMatrix2"]), CM_D65, atol=1e-6)
    np.testing.assert_allclose(matrix(t0["ForwardMatrix1"]), FM, atol=1e-6)
    assert t0["CalibrationIlluminant1"] == 17 and t0["CalibrationIlluminant2"] == 21
    n = np.array(t0["AsShotNeutral"], float)
    np.testing.assert_allclose(n[0::2] / n[1::2], NEUTRAL, atol=1e-6)
    assert t0["BaselineExposure"][0] / t0["BaselineExposure"][1] == -0.5
    exif = t0["ExifTag"]
    assert exif["ExposureTime"] == (1, 125) and exif["FNumber"] == (28, 5)
    assert exif["ISOSpeedRatings"] == 400 and exif["FocalLength"] == (35, 1)
    assert exif["DateTimeOriginal"] == "2024:05:01 12:34:56"
    assert exif["LensMake"] == "lsquared" and exif["LensModel"] == "Test 35mm f/2" and exif["BodySerialNumber"] == "SN42"
    assert tr["CFAPattern"] == bytes([1, 0, 2, 1]) and tuple(tr["CFARepeatPatternDim"]) == (2, 2)
    assert tr["WhiteLevel"] == 4095 and tr["BitsPerSample"] == 12
    assert tuple(tr["ActiveArea"]) == (4, 6, 196, 290)
    assert tuple(tr["DefaultCropOrigin"]) == (2, 2) and tuple(tr["DefaultCropSize"]) == (280, 188)
    np.testing.assert_allclose(tr["NoiseProfile"], (2e-4, 3e-7))
    with rawpy.imread(str(path)) as raw:          # LibRaw honours the active area
        assert (raw.sizes.top_margin, raw.sizes.left_margin) == (4, 6)
        assert np.array_equal(raw.raw_image_visible, data[4:196, 6:290])
        assert (raw.sizes.crop_left_margin, raw.sizes.crop_top_margin) == (8, 6)


def test_never_overwrites_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "x.dng"
    target.write_bytes(b"keep me")
    with pytest.raises(OutputError):
        write_dng(target, mosaic(32, 32))
    assert target.read_bytes() == b"keep me"
    with pytest.raises(ParameterError):
        write_dng(tmp_path / "y.dng", mosaic(32, 32, top=4095), white_level=1000)
    with pytest.raises(ParameterError):
        write_dng(tmp_path / "y.dng", mosaic(32, 32), cfa="RGBG")
    with pytest.raises(ParameterError):
        write_dng(tmp_path / "y.dng", mosaic(32, 32), orientation=9)
    with pytest.raises(OutputError):
        write_dng(tmp_path / "missing" / "y.dng", mosaic(32, 32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.dng"]
    write_dng(target, mosaic(32, 32), overwrite=True)
    with rawpy.imread(str(target)) as raw:
        assert raw.raw_image_visible.shape == (32, 32)


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
@pytest.mark.parametrize("kind", ["bayer-preview", "bayer", "mono", "rgb"])
def test_exiftool_validates_the_file(tmp_path, kind):
    """ExifTool's -validate checks TIFF/EXIF/DNG structure (tag formats, counts, IFD order)."""
    data = {"rgb": np.zeros((32, 48, 3), np.uint16)}.get(kind, mosaic(96, 128))
    write_dng(tmp_path / "v.dng", data, cfa=None if kind == "mono" else "RGGB", color_matrix1=CM_A,
              color_matrix2=CM_D65, as_shot_neutral=NEUTRAL, exif=EXIF, orientation=6,
              preview=np.zeros((16, 16, 3), np.uint8) if kind == "bayer-preview" else None)
    out = subprocess.run(["exiftool", "-validate", "-warning", "-a", str(tmp_path / "v.dng")],
                         capture_output=True, text=True, check=True).stdout
    assert "Validate" in out and ": OK" in out, out
