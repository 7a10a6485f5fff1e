"""The develop command end to end: outputs, recipes, and bad input (issue 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsquared.synth.demo import make_demo_raw

pytestmark = pytest.mark.slow


def lsq(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lsquared.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("lsquared: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory) -> Path:
    return make_demo_raw(tmp_path_factory.mktemp("raw") / "small.dng", size=(480, 320)).path


def test_develop_writes_picture_sidecar_and_replays_bit_for_bit(tmp_path, small_raw):
    out = tmp_path / "a.jpg"
    r = lsq("develop", small_raw, "-o", out, "--wb", "auto", "--look", "vivid", "--exposure", "0.3")
    assert r.returncode == 0, r.stderr
    assert out.exists() and (tmp_path / "a.jpg.toml").exists()
    with Image.open(out) as im:
        assert im.size == (480, 320)
        assert im.info.get("icc_profile")
        exif = im.getexif()
        assert exif.get(0x010F) == "lsquared" and exif.get(0x0110)        # Make, Model
    again = tmp_path / "b.jpg"
    r = lsq("develop", small_raw, "--recipe", tmp_path / "a.jpg.toml", "-o", again)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == again.read_bytes()


def test_formats_from_suffix(tmp_path, small_raw):
    for suffix, mode, bits in ((".tif", "RGB", 16), (".png", "RGB", 8)):
        out = tmp_path / f"x{suffix}"
        r = lsq("develop", small_raw, "-o", out, "--no-sidecar")
        assert r.returncode == 0, r.stderr
        if suffix == ".tif":
            import tifffile

            assert tifffile.imread(out).dtype == np.uint16
        else:
            with Image.open(out) as im:
                assert im.mode == mode


def test_never_overwrites_without_flag_and_never_touches_input(tmp_path, small_raw):
    before = small_raw.read_bytes()
    out = tmp_path / "a.jpg"
    out.write_bytes(b"keep me")
    msg = one_line_error(lsq("develop", small_raw, "-o", out))
    assert "already exists" in msg and "--overwrite" in msg
    assert out.read_bytes() == b"keep me"
    assert lsq("develop", small_raw, "-o", out, "--overwrite").returncode == 0
    assert out.read_bytes() != b"keep me"
    assert small_raw.read_bytes() == before


@pytest.mark.parametrize("make,expect", [
    (lambda d: d / "missing.dng", "no such file"),
    (lambda d: (d / "folder.dng").mkdir() or d / "folder.dng", "folder"),
    (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt", "notes.txt"),
])
def test_bad_inputs_one_line(tmp_path, make, expect):
    src = make(tmp_path)
    msg = one_line_error(lsq("develop", src, "-o", tmp_path / "out.jpg"))
    assert expect in msg
    assert not (tmp_path / "out.jpg").exists()
    assert not list(tmp_path.glob(".out.jpg*"))          # no temporary left behind


def test_truncated_raw(tmp_path, small_raw):
    broken = tmp_path / "broken.dng"
    broken.write_bytes(small_raw.read_bytes()[: small_raw.stat().st_size // 2])
    msg = one_line_error(lsq("develop", broken, "-o", tmp_path / "out.jpg"))
    assert "broken.dng" in msg
    assert not (tmp_path / "out.jpg").exists()


@pytest.mark.parametrize("option,value,expect", [
    ("--look", "no-such-look", "unknown look"), ("--format", "bmp", "unknown format"),
    ("--wb", "moonlight", "unknown white balance"), ("--demosaic", "magic", "unknown demosaic"),
    ("--output-space", "cmyk", "unknown"), ("--exposure", "bright", "unknown exposure"),
])
def test_unknown_names(tmp_path, small_raw, option, value, expect):
    msg = one_line_error(lsq("develop", small_raw, "-o", tmp_path / "o.jpg", option, value))
    assert expect in msg
    assert not (tmp_path / "o.jpg").exists()


def test_missing_output_folder(tmp_path, small_raw):
    msg = one_line_error(lsq("develop", small_raw, "-o", tmp_path / "nowhere" / "o.jpg"))
    assert "folder" in msg


def test_several_inputs_good_ones_developed_bad_ones_listed(tmp_path, small_raw):
    bad = tmp_path / "bad.dng"
    bad.write_text("not a raw")
    out = tmp_path / "out"
    r = lsq("develop", small_raw, bad, "-o", out)
    assert r.returncode == 1
    assert (out / "small.jpg").exists()
    assert not (out / "bad.jpg").exists()
    assert "1 of 2 inputs failed" in r.stderr and "bad.dng" in r.stderr
    assert "Traceback" not in r.stderr


def test_debug_shows_traceback(tmp_path):
    r = lsq("develop", tmp_path / "missing.dng", "-o", tmp_path / "o.jpg", "--debug")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_rendered_image_input_gets_the_look(tmp_path, small_raw):
    neutral = tmp_path / "n.png"
    assert lsq("develop", small_raw, "-o", neutral, "--look", "neutral").returncode == 0
    mono = tmp_path / "m.jpg"
    r = lsq("develop", neutral, "-o", mono, "--look", "monochrome")
    assert r.returncode == 0, r.stderr
    with Image.open(mono) as im:
        px = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(px[..., 0] - px[..., 1]).max() <= 2       # JPEG chroma rounding only


def test_help_on_every_command():
    for cmd in ("develop", "info", "demo", "look", "video", "lenses"):
        r = lsq(cmd, "--help")
        assert r.returncode == 0 and "Usage" in r.stdout, (cmd, r.stderr)
