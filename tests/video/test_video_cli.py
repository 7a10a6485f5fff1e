"""``lsquared video`` as a user runs it: exit codes, one-line errors, Ctrl-C, the preview."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from videoclips import av, clips, colorimetric_table, ffmpeg, video_pts  # noqa: F401

from lsquared.cli.video import parse_bitrate, parse_time
from lsquared.errors import ParameterError

LSQ = [sys.executable, "-m", "lsquared.cli.main"]


def test_time_and_bitrate_parsing():
    assert parse_time("90", "t") == 90 and parse_time("1:30", "t") == 90
    assert parse_time("01:00:02.5", "t") == 3602.5 and parse_time(None, "t") is None
    assert parse_bitrate("8M") == 8_000_000 and parse_bitrate("2500k") == 2_500_000
    assert parse_bitrate("1.5Mbps") == 1_500_000
    for bad in ("1:x", "-3", "ten"):
        with pytest.raises(ParameterError):
            parse_time(bad, "--start")
    with pytest.raises(ParameterError):
        parse_bitrate("fast")


def main(capsys, *args: str) -> tuple[int, str, str]:
    """Run the entry point in this process (no interpreter start-up per case)."""
    from lsquared.cli.main import main as lsquared_main

    try:
        lsquared_main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_grade_and_errors_from_the_command_line(clips, tmp_path, capsys):
    out = tmp_path / "out.mov"
    code, stdout, stderr = main(capsys, "video", str(clips["long.mp4"]), "-o", str(out), "--look", "standard",
                                "--codec", "prores", "--duration", "0.4")
    assert code == 0, stderr
    assert "10 frames" in stdout and "prores yuv422p10le" in stdout
    assert len(video_pts(out)) == 10
    # errors: one line on stderr, exit status 1, nothing written
    for args, message in [
        ((str(clips["long.mp4"]), "-o", str(out)), "already exists"),
        ((str(clips["audio_only.m4a"]), "-o", str(tmp_path / "a.mp4")), "has no video stream"),
        ((str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "b.mp4")), "not found"),
        ((str(clips["long.mp4"]), "-o", str(tmp_path / "c.mp4"), "--look", "nosuch"), "unknown look 'nosuch'"),
        ((str(clips["long.mp4"]), "-o", str(tmp_path / "d.mp4"), "--crf", "10", "--bitrate", "5M"), "not both"),
        ((str(clips["long.mp4"]), "-o", str(tmp_path / "e.mp4"), "--input-space", "slog3"), "unknown input space"),
        ((str(clips["long.mp4"]),), "give an output file"),
    ]:
        code, stdout, stderr = main(capsys, "video", *args)
        assert code == 1, (args, stdout, stderr)
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("lsquared: error:") and message in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mov"]


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=20", "-f", "lavfi",
           "-i", "sine=duration=20", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(path))
    return path


def _sigint_as_at_a_terminal() -> None:
    """A shell starts a background job with SIGINT ignored, and Python then installs no Ctrl-C
    handler; a run of the suite from such a job (``bash .ci/run &``) must still test Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(src: Path, out: Path, *extra: str, sig=signal.SIGINT) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([*LSQ, "video", str(src), "-o", str(out), "--look", "neutral", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_as_at_a_terminal)
    deadline = time.time() + 120
    while time.time() < deadline:               # wait until frames are being written
        partial = [p for p in out.parent.iterdir() if ".partial" in p.name]
        if partial and partial[0].stat().st_size > 50_000:
            break
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_kill_leaves_no_file(long_clip, tmp_path, sig):
    out = tmp_path / "out.mp4"
    res = _interrupt(long_clip, out, sig=sig)
    assert res.returncode == 130, res.stderr
    assert "lsquared: interrupted; nothing written" in res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_with_keep_partial_finishes_what_was_graded(long_clip, tmp_path):
    out = tmp_path / "out.mp4"
    res = _interrupt(long_clip, out, "--keep-partial")
    assert res.returncode == 130, res.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]
    n = len(video_pts(out))
    assert 0 < n < 1000
    with av.open(str(out)) as c:                   # a complete file: audio there too, playable
        assert c.streams.audio and c.duration


def _planes(path: Path, index: int = 0) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i == index:
                return [np.frombuffer(p, np.uint8).reshape(p.height, -1)[:, :p.width].copy()
                        for p in frame.planes]
    raise AssertionError("too few frames")


@pytest.mark.slow
def test_preview_clip_is_original_beside_graded(clips, tmp_path, colorimetric_table):
    """Lossless 4:2:0 in and out: the left half is the source's codes, the right half the
    graded video's, exactly."""
    from lsquared.video import GradeParams, grade_video
    from lsquared.video.preview import PreviewParams, preview_clip

    src = clips["long.mp4"]
    out = tmp_path / "cmp.mp4"
    result = preview_clip(src, out, colorimetric_table, PreviewParams(crf=0, duration=0.2))
    graded = tmp_path / "graded.mp4"
    grade_video(src, graded, colorimetric_table, GradeParams(crf=0, duration=0.2))
    assert result.frames == len(video_pts(out)) == 5
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (s.width, s.height, s.codec_context.format.name) == (640, 240, "yuv420p")
    for index in (0, 4):
        pair, original, look = _planes(out, index), _planes(src, index), _planes(graded, index)
        for p, o, g in zip(pair, original, look):
            half = p.shape[1] // 2
            np.testing.assert_array_equal(p[:, :half], o)
            np.testing.assert_array_equal(p[:, half:], g)
        assert np.abs(pair[0][:, :320].astype(int) - pair[0][:, 320:]).mean() > 1   # the look shows


def test_preview_halves_fit_the_width():
    from lsquared.video.preview import half_size

    assert half_size(1920, 1080, 1920) == (960, 540)
    assert half_size(3840, 2160, 1920) == (960, 540)
    assert half_size(640, 360, 1920) == (640, 360)
    assert half_size(1281, 721, 1920) == (960, 540)


@pytest.mark.slow
def test_preview_page_is_served_on_localhost(clips, colorimetric_table):
    from lsquared.video.preview import PreviewParams, PreviewServer

    with PreviewServer(clips["long.mp4"], colorimetric_table, PreviewParams(duration=0.4), port=0) as server:
        url = server.start()
        assert url.startswith("http://127.0.0.1:")
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "compare.mp4" in page and "wipe" in page
        req = urllib.request.Request(url + "compare.mp4", headers={"Range": "bytes=0-99"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 206 and len(resp.read()) == 100
            assert resp.headers["Content-Range"].endswith(f"/{os.path.getsize(server.folder / 'compare.mp4')}")
        folder = server.folder
    assert not folder.exists()
