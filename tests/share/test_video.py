"""A video clip in an album: graded with the album's look and made web-playable (H.264
yuv420p, moov atom first) with a poster frame, shown like a photo."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest
from fastapi.testclient import TestClient

from lsquared.share import Settings, create_app
from lsquared.share import service as sv
from lsquared.share.db import transaction
from lsquared.share.worker import Worker

av = pytest.importorskip("av")
pytestmark = pytest.mark.slow


def top_level_boxes(data: bytes) -> list[bytes]:
    out, off = [], 0
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
        out.append(kind)
        if size < 8:
            break
        off += size
    return out


def test_ten_bit_clip_becomes_web_playable(tmp_path):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    clip = tmp_path / "clip.mov"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x180:rate=25:duration=0.4", "-c:v", "libx264", "-pix_fmt", "yuv422p10le",
                    str(clip)], check=True)
    settings = Settings(data_dir=tmp_path / "data", workers=0)
    app = create_app(settings)
    with transaction(app.state.sessions) as s:
        token = sv.new_api_token(s, sv.add_user(s, "vid", "video password").id)
    h = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as c:
        album = c.post("/api/albums", json={"title": "clips", "look": "vivid"}, headers=h).json()["id"]
        r = c.post(f"/api/albums/{album}/photos", params={"name": "clip.mov"}, content=clip.read_bytes(), headers=h)
        assert r.status_code == 201 and r.json()["kind"] == "video" and r.json()["media_type"] == "video/quicktime"
        Worker(settings).run(until_idle=True)
        photo = c.get(f"/api/albums/{album}/photos", headers=h).json()[0]
        assert photo["state"] == "developed", photo["error"]
        assert {"video.mp4", "poster.jpg", "thumb.jpg"} <= set(photo["urls"])
        mp4 = c.get(photo["urls"]["video.mp4"], headers=h)
        assert mp4.headers["content-type"] == "video/mp4"
        poster = c.get(photo["urls"]["poster.jpg"], headers=h)
        assert poster.content[:3] == b"\xff\xd8\xff"
    out = tmp_path / "out.mp4"
    out.write_bytes(mp4.content)
    boxes = top_level_boxes(mp4.content)
    assert boxes.index(b"moov") < boxes.index(b"mdat")                 # faststart
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in container.decode(video=0)) == 10
    app.state.engine.dispose()
