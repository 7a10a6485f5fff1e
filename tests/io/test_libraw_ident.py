"""Make and model of raws without EXIF, as LibRaw identifies them (io/libraw_ident.py).

Headerless raws are recognised by LibRaw from their file size (its identify() table, the one
dcraw started): a file of exactly that size is, to LibRaw, that camera's raw.  These files
carry no Make/Model tag, so what `info` shows and what the output's EXIF carries can only come
from LibRaw's identification.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from lsquared.io.libraw_ident import camera_identity
from lsquared.io.raw import read_metadata

# (file size in bytes, make, model) from LibRaw's table of headerless raws
HEADERLESS = [(1976352, "Casio", "QV-2000UX"), (62464, "Kodak", "DC20"), (2465792, "Nikon", "E950")]


def _headerless(tmp_path, size: int):
    path = tmp_path / f"shot{size}.raw"
    path.write_bytes(np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


@pytest.mark.parametrize("size, make, model", HEADERLESS)
def test_libraw_identifies_headerless_raws_by_size(tmp_path, size, make, model):
    path = _headerless(tmp_path, size)
    assert camera_identity(path) == (make, model)
    exif = read_metadata(path).exif
    assert (exif.make, exif.model) == (make, model)


def test_not_a_raw_is_no_camera(tmp_path):
    path = tmp_path / "notes.raw"
    path.write_bytes(b"not a raw file at all" * 10)
    assert camera_identity(path) == (None, None)
    assert camera_identity(tmp_path / "missing.raw") == (None, None)


@pytest.mark.slow
def test_info_shows_and_the_developed_exif_carries_the_identified_camera(tmp_path):
    path = _headerless(tmp_path, 1976352)
    run = [sys.executable, "-m", "lsquared.cli.main"]
    info = subprocess.run(run + ["info", str(path)], capture_output=True, text=True, timeout=300)
    assert info.returncode == 0, info.stderr
    assert "Casio QV-2000UX" in info.stdout
    out = tmp_path / "shot.jpg"
    dev = subprocess.run(run + ["develop", str(path), "-o", str(out), "--no-sidecar"],
                         capture_output=True, text=True, timeout=600)
    assert dev.returncode == 0, dev.stderr
    with Image.open(out) as im:
        exif = im.getexif()
    assert (exif.get(0x010F), exif.get(0x0110)) == ("Casio", "QV-2000UX")      # Make, Model
