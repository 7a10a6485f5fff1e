"""Helpers and fixtures of the video tests: clips made with Debian's ffmpeg, and ways to read
them back (timestamps, packets, frames through zimg).

No conftest.py here: a second module named ``conftest`` on sys.path would shadow the root one
that other test folders import from.  Test modules import the fixtures they use from here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av")
FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")


def ffmpeg(*args: str) -> None:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True)


def ffprobe_json(path: Path, *entries: str) -> dict:
    import json

    if FFPROBE is None:
        pytest.skip("ffprobe is not installed")
    out = subprocess.run([FFPROBE, "-v", "error", "-of", "json", *entries, str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def video_pts(path: Path) -> list[int]:
    """Presentation timestamps of every decoded video frame, in stream time base units."""
    with av.open(str(path)) as c:
        return [f.pts for f in c.decode(c.streams.video[0])]


def packets(path: Path, kind: str) -> list[tuple[float, bytes]]:
    """(pts in seconds, payload) of every packet of the first ``kind`` stream."""
    with av.open(str(path)) as c:
        s = [x for x in c.streams if x.type == kind][0]
        return [(float(p.pts * p.time_base), bytes(p)) for p in c.demux(s) if p.size]


def rgb_frames(path: Path, n: int = 1, *, matrix: str = "input", rng: str = "input") -> np.ndarray:
    """The first ``n`` frames as float R'G'B' (not clipped), converted by ffmpeg's zscale
    (zimg) with the file's own matrix and range tags unless given: an oracle independent of
    lsquared."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    with av.open(str(path)) as c:
        w, h = c.streams.video[0].width, c.streams.video[0].height
    raw = subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path),
         "-frames:v", str(n), "-vf",
         f"zscale=matrixin={matrix}:rangein={rng}:filter=bilinear:chromal=left,format=gbrpf32le",
         "-f", "rawvideo", "-"], check=True, capture_output=True).stdout
    planes = np.frombuffer(raw, np.float32).reshape(-1, 3, h, w)     # g, b, r planes
    return np.stack([planes[:, 2], planes[:, 0], planes[:, 1]], axis=-1)

_CLIPS: dict[str, Path] = {}


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Small clips covering what a graded copy must preserve; built once per session (the
    fixture is imported by several test modules, hence the module-level cache)."""
    if _CLIPS:
        return _CLIPS
    d = tmp_path_factory.mktemp("clips")
    made: dict[str, Path] = _CLIPS

    def make(name: str, *args: str) -> Path:
        path = d / name
        ffmpeg(*args, str(path))
        made[name] = path
        return path

    meta = d / "meta.txt"
    meta.write_text(";FFMETADATA1\ntitle=lsquared test\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=800\n"
                    "title=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=800\nEND=1600\ntitle=Two\n")
    srt = d / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:00,700\nHello\n\n2\n00:00:00,800 --> 00:00:01,500\nWorld\n")
    # variable frame rate (a 0.3 s gap after frame 12), audio, subtitles, chapters
    vfr = make("vfr_src.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1.2",
               "-f", "lavfi", "-i", "sine=frequency=440:duration=1.6", "-i", str(srt), "-i", str(meta),
               "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map_metadata", "3", "-map_chapters", "3",
               "-vf", "setpts='N/25/TB+if(gte(N,12),0.3/TB,0)'", "-fps_mode", "passthrough",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "2", "-c:a", "aac", "-c:s", "mov_text",
               "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709")
    # the same, with a 90 degree display matrix (ffmpeg 5.1 sets it when stream copying)
    make("full.mp4", "-i", str(vfr), "-map", "0", "-c", "copy", "-metadata:s:v:0", "rotate=90")
    # 10-bit full-range horizontal gradient, lossless (every level of 0..1023 present)
    grad = d / "gradient.raw"
    row = np.round(np.linspace(0, 1023, 1024)).astype(np.uint16)
    y = np.tile(row, (64, 1))
    c = np.full((32, 512), 512, np.uint16)
    grad.write_bytes(b"".join(np.concatenate([y.ravel(), c.ravel(), c.ravel()]).tobytes() for _ in range(3)))
    make("gradient10.mkv", "-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-s", "1024x64", "-r", "25",
         "-i", str(grad), "-c:v", "ffv1", "-color_range", "pc", "-colorspace", "bt709",
         "-color_primaries", "bt709", "-color_trc", "bt709")
    # intra-only lossless 4:4:4 (stills equivalence)
    make("intra444.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=0.2",
         "-c:v", "libx264", "-qp", "0", "-g", "1", "-pix_fmt", "yuv444p",
         "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv")
    # 10-bit HEVC 4:2:0 tagged HLG, and 4:2:2 10-bit H.264
    make("hlg10.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=0.4",
         "-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le",
         "-colorspace", "bt2020nc", "-color_primaries", "bt2020", "-color_trc", "arib-std-b67")
    make("h264_422p10.mov", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=0.4",
         "-c:v", "libx264", "-pix_fmt", "yuv422p10le", "-timecode", "01:02:03:04")
    make("audio_only.m4a", "-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac")
    make("rgb.mov", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=0.2", "-c:v", "png")
    make("long.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-g", "25", "-movflags", "+faststart")
    return made


@pytest.fixture(scope="session")
def colorimetric_table() -> np.ndarray:
    from lsquared.video.colorimetry import colorimetric_lut

    return colorimetric_lut(33)
