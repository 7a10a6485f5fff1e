"""Helpers of the video tests: run ffmpeg/ffprobe, read timestamps, packets and frames."""

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
