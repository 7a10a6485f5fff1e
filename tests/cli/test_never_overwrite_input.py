"""No command writes over one of its inputs, whatever the flags, through any path to the same
file: the same name, ``./name``, a symlink, a hard link (issue: ``video a.mp4 -o a.mp4
--overwrite`` replaced the source footage)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsquared.errors import OutputError
from lsquared.io.atomic import atomic_write_bytes, refuse_input_as_output

LSQ = [sys.executable, "-m", "lsquared.cli.main"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def aliases(tmp_path: Path, source: Path) -> list[tuple[str, str]]:
    """(how the output is named, cwd) for every way to reach ``source`` again."""
    link = tmp_path / ("link" + source.suffix)
    link.symlink_to(source)
    hard = tmp_path / ("hard" + source.suffix)
    os.link(source, hard)
    return [(str(source), str(tmp_path)), (f"./{source.name}", str(tmp_path)),
            (str(link), str(tmp_path)), (str(hard), str(tmp_path)),
            (f"../{tmp_path.name}/{source.name}", str(tmp_path))]


def test_refuse_input_as_output_by_identity(tmp_path):
    a = tmp_path / "a.bin"
    a.write_bytes(b"original")
    for name, _ in aliases(tmp_path, a):
        with pytest.raises(OutputError, match="one of the inputs"):
            atomic_write_bytes(Path(tmp_path, name) if not name.startswith("/") else Path(name),
                               b"new", overwrite=True, inputs=[a])
    assert a.read_bytes() == b"original"
    refuse_input_as_output(tmp_path / "other.bin", [a])           # a new name is fine
    refuse_input_as_output(a, [tmp_path / "missing.bin"])         # a missing input is no match


@pytest.mark.slow
def test_video_never_overwrites_its_source(tmp_path):
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    clip = tmp_path / "clip.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.3",
                    "-pix_fmt", "yuv420p", str(clip)], check=True)
    before = sha(clip)
    for name, cwd in aliases(tmp_path, clip):
        for extra in ([], ["--overwrite"], ["--preview", "--overwrite"]):
            r = subprocess.run(LSQ + ["video", "clip.mp4", "-o", name, *extra], cwd=cwd,
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 1, (name, extra, r.stderr)
            assert "one of the inputs" in r.stderr and "Traceback" not in r.stderr
            errors = [line for line in r.stderr.splitlines() if line.startswith("lsquared:")]
            assert len(errors) == 1, r.stderr
            assert sha(clip) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.slow
def test_develop_and_look_commands_never_overwrite_inputs(tmp_path):
    from lsquared.synth.demo import make_demo_raw  # the built-in sample

    raw = tmp_path / "shot.dng"
    make_demo_raw(raw)
    hard = tmp_path / "hard.png"        # the raw again, under a picture's name
    os.link(raw, hard)
    before = sha(raw)
    r = subprocess.run(LSQ + ["develop", str(raw), "-o", str(hard), "--format", "png", "--overwrite"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "one of the inputs" in r.stderr and "Traceback" not in r.stderr
    cube = tmp_path / "look.cube"
    r = subprocess.run(LSQ + ["look", "export", "standard", "--format", "cube", "--size", "5", "-o", str(cube)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    cube_before = sha(cube)
    link = tmp_path / "alias.cube"
    link.symlink_to(cube)
    r = subprocess.run(LSQ + ["look", "export", str(cube), "--format", "cube", "-o", str(link), "--overwrite"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "one of the inputs" in r.stderr
    assert sha(raw) == before and sha(cube) == cube_before
