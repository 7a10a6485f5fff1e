"""DNG tag reading: values written by a known writer, and the shared files against exifread,
a TIFF parser independent of tifffile."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from dngmaker import ascii_value, rational_value, write_dng, write_tiff_like

from lsquared.errors import InputError
from lsquared.io.dngtags import read_dng_tags

CM1 = np.array([[0.9, -0.34, -0.05], [-0.4, 1.18, 0.23], [-0.06, 0.15, 0.62]])
CM2 = np.array([[0.7662, -0.2686, -0.066], [-0.524, 1.2965, 0.253], [-0.0796, 0.1508, 0.6167]])
FM1 = np.array([[0.5063, 0.3422, 0.1159], [0.2614, 0.7049, 0.0337], [0.1096, 0.0011, 0.7144]])
CC1 = np.diag([1.0158, 1.0, 0.9698])


@pytest.mark.parametrize("raw_in_subifd", [True, False])
@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_tags_written_are_read(tmp_path, raw_in_subifd, byteorder):
    raw = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64)
    lin = np.arange(0, 4096 * 4, 4)
    path = write_dng(
        tmp_path / "t.dng", raw, cfa="GBRG", raw_in_subifd=raw_in_subifd, byteorder=byteorder,
        active_area=(2, 4, 46, 62), default_crop=((3, 1), (50, 40)), black=(100, 200, 300, 400),
        black_repeat=(2, 2), black_delta_h=np.linspace(-1, 1, 58), black_delta_v=np.linspace(0, 2, 44),
        white=(15000,), linearization=lin, color_matrix1=CM1, color_matrix2=CM2, forward_matrix1=FM1,
        camera_calibration1=CC1, illuminant1=17, illuminant2=21, analog_balance=(1.0, 1.0, 1.0),
        as_shot_neutral=(0.45, 1.0, 0.72), as_shot_white_xy=(0.3457, 0.3585), baseline_exposure=-0.5,
        baseline_exposure_offset=0.25, orientation=6, make="Leica Camera AG", model="M Test",
        exif={"ExposureTime": 1 / 125, "FNumber": 5.6, "ISOSpeedRatings": 400, "FocalLength": 35.0,
              "DateTimeOriginal": "2024:01:02 03:04:05"},
    )
    t = read_dng_tags(path)
    assert t.raw_ifd == ("SubIFD 0" if raw_in_subifd else "IFD0")
    assert t.dng_version == (1, 4, 0, 0)
    assert (t.make, t.model, t.unique_camera_model) == ("Leica Camera AG", "M Test", "Leica Camera AG M Test")
    assert t.orientation == 6
    assert t.cfa_repeat == (2, 2) and t.cfa_pattern == (1, 2, 0, 1)
    assert t.active_area == (2, 4, 46, 62)
    assert t.default_crop_origin == (3.0, 1.0) and t.default_crop_size == (50.0, 40.0)
    assert t.black_repeat == (2, 2)
    np.testing.assert_allclose(t.black_level[..., 0], [[100, 200], [300, 400]])
    np.testing.assert_allclose(t.black_delta_h, np.linspace(-1, 1, 58), atol=1e-4)
    np.testing.assert_allclose(t.black_delta_v, np.linspace(0, 2, 44), atol=1e-4)
    assert t.white_level == (15000.0,)
    np.testing.assert_array_equal(t.linearization_table, lin)
    np.testing.assert_allclose(t.color_matrix[0], CM1, atol=1e-4)     # signed rationals, negatives included
    np.testing.assert_allclose(t.color_matrix[1], CM2, atol=1e-4)
    np.testing.assert_allclose(t.forward_matrix[0], FM1, atol=1e-4)
    assert t.forward_matrix[1] is None
    np.testing.assert_allclose(t.camera_calibration[0], CC1, atol=1e-4)
    assert t.calibration_illuminant == (17, 21)
    np.testing.assert_allclose(t.as_shot_neutral, (0.45, 1.0, 0.72), atol=1e-4)
    np.testing.assert_allclose(t.as_shot_white_xy, (0.3457, 0.3585), atol=1e-4)
    assert t.baseline_exposure == pytest.approx(-0.5) and t.baseline_exposure_offset == pytest.approx(0.25)
    assert t.exif["ExposureTime"] == (1, 125) and t.exif["FNumber"] == (28, 5)
    assert t.exif["ISOSpeedRatings"] == 400 and t.exif["DateTimeOriginal"] == "2024:01:02 03:04:05"
    assert t.layout.width == 64 and t.layout.height == 48 and t.layout.compression == 1
    assert t.notes == ()


def test_tile_layout_of_the_benchmark_file(raw_dir):
    t = read_dng_tags(raw_dir / "synthetic-fullframe-24mp.dng")
    lay = t.layout
    assert (lay.width, lay.height, lay.tile_width, lay.tile_height) == (6048, 4032, 512, 512)
    assert (lay.tiles_across, lay.tiles_down) == (12, 8) and len(lay.offsets) == 96
    assert lay.compression == 7 and lay.samples_per_pixel == 1
    assert lay.data_end <= t.file_size
    with open(raw_dir / "synthetic-fullframe-24mp.dng", "rb") as f:   # every tile starts with SOI
        for offset in lay.offsets[:: 17]:
            f.seek(int(offset))
            assert f.read(2) == b"\xff\xd8"


def _exifread_numbers(tag) -> np.ndarray:
    return np.array([float(v.numerator) / float(v.denominator) if hasattr(v, "denominator") and v.denominator
                     else float(v) for v in tag.values])


@pytest.mark.parametrize("name", ["canon-550d-magiclantern-2mp.dng", "sony-a7r4-linear-lossy-6mp.dng",
                                  "synthetic-fullframe-24mp.dng", "unsupported/gopro-hero6-12mp.gpr"])
def test_shared_dngs_agree_with_exifread(raw_dir, name):
    exifread = pytest.importorskip("exifread", reason="exifread is the independent TIFF parser compared with")
    path = raw_dir / name
    with open(path, "rb") as f:
        ref = exifread.process_file(f, details=False, extract_thumbnail=False)
    t = read_dng_tags(path)

    def tag(code):
        return ref.get(f"Image Tag 0x{code:04X}") or next(
            (v for k, v in ref.items() if k.startswith("Image ") and getattr(v, "tag", None) == code), None)

    cm1 = tag(0xC621)
    np.testing.assert_allclose(t.color_matrix[0].ravel(), _exifread_numbers(cm1), rtol=0, atol=1e-9)
    if tag(0xC622) is not None:
        np.testing.assert_allclose(t.color_matrix[1].ravel(), _exifread_numbers(tag(0xC622)), atol=1e-9)
    neutral = _exifread_numbers(tag(0xC628))
    np.testing.assert_allclose(t.as_shot_neutral, neutral, atol=1e-9)
    np.testing.assert_allclose(t.white_level, np.resize(_exifread_numbers(tag(0xC61D)), len(t.white_level)))
    np.testing.assert_allclose(t.black_level.ravel(), np.resize(_exifread_numbers(ref["Image BlackLevel"]),
                                                                t.black_level.size))
    if tag(0xC68D) is not None:
        assert t.active_area == tuple(int(v) for v in _exifread_numbers(tag(0xC68D)))
    assert t.make == str(ref["Image Make"]).strip() and t.model == str(ref["Image Model"]).strip()


def test_opcode_lists_are_named(raw_dir):
    sony = read_dng_tags(raw_dir / "sony-a7r4-linear-lossy-6mp.dng")
    assert sony.opcodes == {"OpcodeList2": ("MapPolynomial",) * 3}
    gopro = read_dng_tags(raw_dir / "unsupported" / "gopro-hero6-12mp.gpr")
    assert gopro.opcodes == {"OpcodeList2": ("GainMap",) * 4}
    assert gopro.layout.compression == 9 and gopro.orientation == 2


def test_not_a_dng(tmp_path, raw_dir):
    assert read_dng_tags(raw_dir / "kodak-dc50-0.4mp.kdc") is None          # TIFF-based, no DNGVersion
    text = tmp_path / "a.txt"
    text.write_text("not a picture\n")
    assert read_dng_tags(text) is None
    rw2 = write_tiff_like(tmp_path / "a.rw2", b"\x55\x00", [(271, 2, ascii_value("Panasonic"))])
    assert read_dng_tags(rw2) is None                                     # magic 0x55: RW2, not TIFF


def test_truncated_dng_is_reported(tmp_path, raw_dir):
    data = (raw_dir / "canon-550d-magiclantern-2mp.dng").read_bytes()
    for keep in (len(data) // 2, len(data) - 1):
        cut = tmp_path / f"cut{keep}.dng"
        cut.write_bytes(data[:keep])
        with pytest.raises(InputError, match="truncated"):
            read_dng_tags(cut)


def test_damaged_ifd_is_reported(tmp_path):
    path = write_tiff_like(tmp_path / "bad.dng", b"\x2a\x00",
                           [(50706, 1, bytes([1, 4, 0, 0])), (256, 4, struct.pack("<I", 10)),
                            (262, 3, struct.pack("<H", 32803)), (257, 4, struct.pack("<I", 10))])
    with pytest.raises(InputError):
        read_dng_tags(path)              # a raw IFD without strip offsets


def test_malformed_matrices_are_noted(tmp_path):
    path = write_dng(tmp_path / "z.dng", np.zeros((8, 8), np.uint16), color_matrix1=np.zeros((3, 3)),
                     as_shot_neutral=(0.0, 1.0, 0.5))
    t = read_dng_tags(path)
    assert t.color_matrix == (None, None) and t.as_shot_neutral is None
    assert any("ColorMatrix1" in n for n in t.notes) and any("AsShotNeutral" in n for n in t.notes)


def test_rationals_with_zero_denominator(tmp_path):
    path = write_tiff_like(
        tmp_path / "zero.dng", b"\x2a\x00",
        [(50706, 1, bytes([1, 4, 0, 0])), (256, 4, struct.pack("<I", 2)), (257, 4, struct.pack("<I", 2)),
         (262, 3, struct.pack("<H", 34892)), (273, 4, struct.pack("<I", 8)), (279, 4, struct.pack("<I", 8)),
         (258, 3, struct.pack("<H", 16)), (50730, 10, rational_value((0, 0)))])
    assert read_dng_tags(path).baseline_exposure == 0.0       # Magic Lantern writes 0/0
