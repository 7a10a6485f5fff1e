"""Truncated copies of every shared raw file are refused with one line, never developed.

Issue 15: LibRaw often decodes a raw whose image data stop early without an error, filling the
rest; lsquared compares what the header declares (DNG: the raw IFD's tiles or strips; other
TIFF-based raws: every IFD's strips and tiles) with the file's size before decoding.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lsquared.errors import InputError
from lsquared.io.raw import open_raw, read_metadata
from lsquared.io.raw_checks import tiff_data_extent
from shared_data import RAW_DIR, raw_files

FILES = raw_files() + (sorted((RAW_DIR / "unsupported").iterdir()) if (RAW_DIR / "unsupported").is_dir() else [])
CUTS = ("first byte of image data", 0.5, 0.9, 0.99)


def _cut_at(path: Path, cut) -> int:
    start, end = tiff_data_extent(path)
    if cut == "first byte of image data":
        return start
    return int(path.stat().st_size * cut)


def _truncated_copy(path: Path, size: int, folder: Path) -> Path:
    out = folder / f"cut-{size}-{path.name}"
    with open(path, "rb") as src, open(out, "wb") as dst:
        left = size
        while left:
            block = src.read(min(left, 1 << 22))
            dst.write(block)
            left -= len(block)
    return out


def test_every_shared_file_declares_its_data_extent():
    """The header walk finds image data in every shared file, all ending inside the file."""
    assert FILES
    for path in FILES:
        start, end = tiff_data_extent(path)
        assert 0 < start < end <= path.stat().st_size, path


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_truncated_copies_are_refused_by_open_raw(tmp_path, path):
    for cut in CUTS:
        size = _cut_at(path, cut)
        start, end = tiff_data_extent(path)
        assert start <= size < end          # every cut point lies in the image data of these files
        copy = _truncated_copy(path, size, tmp_path)
        for reader in (open_raw, read_metadata):
            with pytest.raises(InputError) as info:
                reader(copy)
            message = info.value.one_line()
            assert copy.name in message and "truncated" in message, message
            assert f"the file has {size}" in message and "missing" in message, message
        copy.unlink()


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_develop_refuses_truncated_copies_in_one_line(tmp_path, path):
    """Whole process, two of the cuts (open_raw above sees all four)."""
    for cut in (CUTS[0], CUTS[-1]):
        copy = _truncated_copy(path, _cut_at(path, cut), tmp_path)
        out = tmp_path / "out.jpg"
        result = subprocess.run([sys.executable, "-m", "lsquared.cli.main", "develop", str(copy), "-o", str(out)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode != 0, result.stdout
        assert "Traceback" not in result.stderr
        lines = [ln for ln in result.stderr.splitlines() if ln.startswith("lsquared: error:")]
        assert len(lines) == 1 and "truncated" in lines[0] and copy.name in lines[0], result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name]     # no output, no temporary left
        copy.unlink()
