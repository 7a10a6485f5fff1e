"""EXIF bytes from an Exif record and back, checked with Pillow and (where installed) exiftool."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

import lsquared
from lsquared.frame import Exif
from lsquared.io.exif import (EXIF_IFD, exif_bytes, exif_ifd_bytes, exif_orientation, parse_exif,
                              software_name)

FULL = Exif(make="Panasonic", model="DC-S5M2", lens_make="LUMIX", lens_model="LUMIX S 50/F1.8",
            exposure_time=1 / 8000, f_number=2.8, iso=3200, focal_length=50.0,
            datetime_original="2024:05:06 07:08:09", artist="José Núñez", copyright="© 2024 José Núñez",
            serial_number="XS1234567")


def test_round_trip_every_field():
    back = parse_exif(exif_bytes(FULL))
    assert back == dataclasses.replace(FULL, software=f"lsquared {lsquared.__version__}")


def test_tags_as_the_exif_standard_wants_them():
    data = Image.Exif()
    data.load(exif_bytes(FULL, space="display-p3", size=(6000, 4000)))
    assert data[0x0112] == 1                                       # Orientation: already upright
    assert data[0x0131] == software_name() == f"lsquared {lsquared.__version__}"
    assert data[0x0132] == "2024:05:06 07:08:09"                   # DateTime = capture time
    sub = data.get_ifd(EXIF_IFD)
    exposure = sub[0x829A]
    assert (exposure.numerator, exposure.denominator) == (1, 8000)  # an exact rational
    f_number = sub[0x829D]
    assert (f_number.numerator, f_number.denominator) == (14, 5)
    assert sub[0x8827] == 3200 and sub[0x9000] == b"0232"
    assert sub[0xA001] == 0xFFFF                                   # not sRGB: uncalibrated
    assert (sub[0xA002], sub[0xA003]) == (6000, 4000)
    assert Image.Exif().load(exif_bytes(FULL)) is None             # loads without error
    srgb = Image.Exif()
    srgb.load(exif_bytes(FULL, space="srgb"))
    assert srgb.get_ifd(EXIF_IFD)[0xA001] == 1


def test_iso_above_the_short_range_goes_to_recommended_exposure_index():
    data = Image.Exif()
    data.load(exif_bytes(Exif(iso=409600)))
    sub = data.get_ifd(EXIF_IFD)
    assert sub[0x8827] == 65535 and sub[0x8830] == 2 and sub[0x8832] == 409600
    assert parse_exif(exif_bytes(Exif(iso=409600))).iso == 409600


def test_missing_fields_stay_missing():
    back = parse_exif(exif_bytes(Exif(make="Leica Camera AG")))
    assert back.make == "Leica Camera AG"
    assert back.model is None and back.exposure_time is None and back.iso is None
    assert back.datetime_original is None and back.lens_model is None
    data = Image.Exif()
    data.load(exif_bytes(None))
    assert 0x010F not in data and data[0x0112] == 1


@pytest.mark.parametrize("bad", [None, b"", b"Exif\0\0garbage", bytes(64), b"II*\0\xff\xff\xff\xff"])
def test_unreadable_exif_gives_an_empty_record(bad):
    assert parse_exif(bad) == Exif()


def test_values_written_by_others_are_tolerated():
    """A camera's zero-denominator rational, padded strings and Latin-1 text."""
    data = Image.Exif()
    data[0x010F] = "Canon\0\0\0"
    data[0x013B] = b"Fran\xe7ois"                # Latin-1 bytes, not UTF-8
    sub = data.get_ifd(EXIF_IFD)
    from PIL.TiffImagePlugin import IFDRational
    sub[0x829A] = IFDRational(1, 0)
    sub[0x8827] = (400, 400)
    back = parse_exif(data.tobytes())
    assert back.make == "Canon" and back.artist == "François"
    assert back.exposure_time is None and back.iso == 400


@pytest.mark.parametrize("value,expected", [(6, 6), (0, 1), (9, 1), ("x", 1), (None, 1)])
def test_orientation(value, expected):
    data = Image.Exif()
    if value is not None:
        data[0x0112] = value
    assert exif_orientation(data) == expected


def test_exif_ifd_alone_is_placed_at_its_offset():
    blob = exif_ifd_bytes(FULL, 1000)
    count = int.from_bytes(blob[:2], "little")
    assert count >= 10
    # the first value stored outside the entries points just past the entry table
    offsets = []
    for i in range(count):
        entry = blob[2 + 12 * i:14 + 12 * i]
        typ, n = int.from_bytes(entry[2:4], "little"), int.from_bytes(entry[4:8], "little")
        size = {2: 1, 3: 2, 4: 4, 5: 8, 7: 1}[typ] * n
        if size > 4:
            offsets.append(int.from_bytes(entry[8:12], "little"))
    assert min(offsets) == 1000 + 2 + 12 * count + 4


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed "
                    "(Debian package libimage-exiftool-perl)")
def test_exiftool_reads_what_we_write(tmp_path):
    path = tmp_path / "x.jpg"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path, exif=exif_bytes(FULL, size=(8, 8)))
    out = json.loads(subprocess.run(["exiftool", "-j", "-n", str(path)], capture_output=True,
                                    check=True, text=True).stdout)[0]
    assert out["Make"] == "Panasonic" and out["Model"] == "DC-S5M2"
    assert out["LensMake"] == "LUMIX" and out["LensModel"] == "LUMIX S 50/F1.8"
    assert out["ExposureTime"] == pytest.approx(1 / 8000) and out["FNumber"] == 2.8
    assert out["ISO"] == 3200 and out["FocalLength"] == 50
    assert out["DateTimeOriginal"] == "2024:05:06 07:08:09"
    assert out["Artist"] == "José Núñez" and out["Copyright"] == "© 2024 José Núñez"
    assert out["SerialNumber"] == "XS1234567"
    assert out["Software"] == software_name() and out["Orientation"] == 1
    assert "Warning" not in out
