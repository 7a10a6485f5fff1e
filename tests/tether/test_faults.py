"""The tether through faults, each a real process killed or stopped: ``lsquared serve`` and
``lsquared tether`` as a user runs them, small synthetic DNGs (and one padded to 24 MB for
the chunked upload), the server's own database read back to audit the result."""

from __future__ import annotations

import hashlib
import time

import pytest
from share_fixtures import wait_for
from tether_helpers import Album, TetherProcess, audit_developed_once, make_shot, sha256, shot_state, start_server

pytestmark = pytest.mark.slow


def test_server_sigkilled_mid_burst(tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    server = start_server(tmp_path)
    album = Album(server, "burst")
    tether = TetherProcess(folder, album)
    shots = []
    try:
        for i in range(10):
            shots.append(make_shot(folder / f"BURST_{i:03d}.dng", seed=200 + i))
            time.sleep(0.1)
        wait_for(lambda: len(album.photos()) >= 3, 60, 0.05)
        server.kill()                                  # the server and its develop worker, mid-burst
        assert len(album.photos()) == 0                # (it is really down)
        time.sleep(1.0)
        server = start_server(tmp_path, port=server.port)
        wait_for(lambda: len(album.photos()) == 10 and all(p["state"] == "developed" for p in album.photos()), 120)
        audit_developed_once(album, shots)
        out = tether.output()
        assert all(out.count(f"sent {s.name}") == 1 for s in shots), out
    finally:
        tether.stop()
        server.stop()


def test_server_down_20s_then_everything_in_shooting_order(tmp_path):
    folder = tmp_path / "tethered"
    folder.mkdir()
    server = start_server(tmp_path)
    album = Album(server, "down")
    tether = TetherProcess(folder, album)
    shots = []
    try:
        for i in range(2):
            shots.append(make_shot(folder / f"A_{i:03d}.dng", seed=300 + i))
        wait_for(lambda: len(album.photos()) == 2, 60)
        server.kill()
        down_at = time.monotonic()
        # the camera keeps shooting: names that do not sort in shooting order, so the order
        # seen on the server must come from the files' times
        for i, name in enumerate(["Z_first.dng", "M_second.dng", "B_third.dng", "Y_fourth.dng", "C_fifth.dng"]):
            shots.append(make_shot(folder / name, seed=310 + i))
            time.sleep(3.0)
        time.sleep(max(0.0, 20.0 - (time.monotonic() - down_at)))
        server = start_server(tmp_path, port=server.port)
        wait_for(lambda: len(album.photos()) == 7, 90)
        photos = sorted(album.photos(), key=lambda p: p["id"])
        by_time = sorted(shots, key=lambda s: s.stat().st_mtime_ns)
        assert [p["name"] for p in photos] == [s.name for s in by_time]
        assert [p["sha256"] for p in photos] == [sha256(s) for s in by_time]
        assert "waiting:" in tether.output()           # it said it was waiting for the server
    finally:
        tether.stop()
        server.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("tether-shared"))
    yield server
    server.stop()


def test_tether_sigkilled_mid_chunked_upload_resumes(shared_server, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    album = Album(shared_server, "chunks")
    big = make_shot(folder / "BIG_0001.dng", seed=400, pad=24 << 20)
    size = big.stat().st_size
    # 1 MiB chunks at 8 MB/s: about 3 s for the file, time to kill it half-way
    args = ("--once", "--chunk-size", "1M", "--max-rate", "8M")
    first = TetherProcess(folder, album, *args)
    try:
        wait_for(lambda: (shot_state(folder, big.name) or ("", 0))[1] >= 4 << 20, 60, 0.02)
    finally:
        first.kill()
        first.stop()
    state, confirmed = shot_state(folder, big.name)
    assert state == "sending" and 0 < confirmed < size
    assert album.photos() == []
    second = TetherProcess(folder, album, *args)
    try:
        assert second.wait(120) == 0, second.output()
    finally:
        second.stop()
    out = second.output()
    sent_line = next(line for line in out.splitlines() if line.startswith(f"sent {big.name}"))
    resumed_at = int(sent_line.split("resumed at byte ")[1].split(",")[0])
    sent_bytes = int(sent_line.split(", ")[-1].split(" bytes sent")[0])
    assert resumed_at >= confirmed                       # from the last confirmed chunk (or later)
    assert sent_bytes == size - resumed_at < size        # fewer bytes than the whole file
    photos = album.photos()
    assert len(photos) == 1 and photos[0]["sha256"] == sha256(big) and photos[0]["size"] == size
    stored = shared_server.data / "originals" / sha256(big)[:2] / sha256(big)
    assert sha256(stored) == sha256(big)


def test_file_written_slowly_is_sent_once_complete(shared_server, tmp_path):
    from lsquared.synth.demo import make_demo_raw

    folder = tmp_path / "slow"
    folder.mkdir()
    album = Album(shared_server, "slow")
    source = tmp_path / "source.dng"
    make_demo_raw(source, size=(480, 320), seed=500)
    data = source.read_bytes()
    tether = TetherProcess(folder, album, "--settle", "1.5")
    target = folder / "SLOW_0001.dng"
    try:
        wait_for(lambda: "ready, watching" in tether.output(), 60)
        pieces = 10
        step = -(-len(data) // pieces)
        with open(target, "wb") as f:                    # a camera writing over 4.5 s
            for k in range(pieces):
                f.write(data[k * step:(k + 1) * step])
                f.flush()
                (folder / "~SLOW_0001.dng.tmp").write_bytes(data[: (k + 1) * step])  # an editor's temporary
                time.sleep(0.5)
        wait_for(lambda: album.photos(), 60)
        time.sleep(3.0)                                  # nothing more arrives
        photos = album.photos()
        assert len(photos) == 1
        assert photos[0]["sha256"] == hashlib.sha256(data).hexdigest() and photos[0]["size"] == len(data)
        out = tether.output()
        assert out.count("sent SLOW_0001.dng") == 1 and "FAILED" not in out, out
        assert "~SLOW" not in out
    finally:
        tether.stop()
    assert target.read_bytes() == data                   # the original is untouched
