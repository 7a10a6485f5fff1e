"""The share service as it runs: ``lsquared serve`` processes on loopback, the CLI over HTTP,
live events over SSE, and a server killed with SIGKILL in the middle of developing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from share_fixtures import EventStream, ServerProcess, add_user, wait_for

pytestmark = pytest.mark.slow


def cli(*args: str, server: str, token: str, input: str | None = None) -> subprocess.CompletedProcess:
    env = {"LSQUARED_SERVER": server, "LSQUARED_TOKEN": token}
    import os

    return subprocess.run([sys.executable, "-m", "lsquared.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, input=input, timeout=120)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("serve") / "data"
    data.mkdir()
    proc = ServerProcess(data, workers=2).start()
    yield proc
    proc.stop()


def test_cli_end_to_end_with_live_viewer(server, demo_raws):
    token = add_user(server.data, "ann")                 # while the server runs
    out = cli("album", "create", "Wedding <b>Ann</b>", server=server.url, token=token)
    assert out.returncode == 0, out.stderr
    album_id = int(out.stdout.strip().splitlines()[-1])
    out = cli("album", "share", str(album_id), "--expires", "7d", server=server.url, token=token)
    assert out.returncode == 0, out.stderr
    link = out.stdout.strip().splitlines()[-1]
    assert link.startswith(server.url + "/s/")
    viewer = EventStream(link + "/events")
    try:
        wait_for(lambda: viewer.headers)
        assert viewer.headers["cache-control"] == "no-cache"
        assert viewer.headers["x-accel-buffering"] == "no"
        assert viewer.headers["content-type"].startswith("text/event-stream")
        out = cli("album", "upload", str(album_id), str(demo_raws[0]), str(demo_raws[1]), server=server.url,
                  token=token)
        assert out.returncode == 0, out.stderr
        assert len(out.stdout.strip().splitlines()) == 2
        developed = viewer.wait(lambda d: d["type"] == "developed", 120)
        viewer.wait(lambda d: d["type"] == "developed" and d["photo_id"] != developed[0][1]["photo_id"], 120)
        kinds = [d["type"] for _, d in viewer.events]
        assert kinds.count("photo-added") == 2 and kinds.count("developed") == 2
        ids = [i for i, _ in viewer.events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        first = next(d for _, d in viewer.events if d["type"] == "developed")
        assert first["photo"]["state"] == "developed" and "thumb.jpg" in first["photo"]["urls"]
        assert "name" not in first["photo"]                  # names only where the link allows
        thumb = httpx.get(server.url + first["photo"]["urls"]["thumb.jpg"])
        assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
    finally:
        viewer.close()

    # a viewer that lost its connection resumes after the last id it saw and misses nothing
    resumed = EventStream(link + "/events", last_event_id=str(ids[0]))
    try:
        resumed.wait(lambda d: d["event_id"] == ids[-1], 30)
        assert [i for i, _ in resumed.events][:len(ids) - 1] == ids[1:]
    finally:
        resumed.close()

    out = cli("album", "photos", str(album_id), "--json", server=server.url, token=token)
    photos = json.loads(out.stdout)
    assert {p["name"] for p in photos} == {demo_raws[0].name, demo_raws[1].name}
    assert all({"id", "name", "state", "sha256"} <= set(p) and p["state"] == "developed" for p in photos)
    out = cli("album", "list", server=server.url, token=token)
    assert "Wedding <b>Ann</b>" in out.stdout

    # the same content again is recognised, not stored or shown twice
    out = cli("album", "upload", str(album_id), str(demo_raws[0]), server=server.url, token=token)
    assert "already in the album" in out.stdout
    assert len(json.loads(cli("album", "photos", str(album_id), "--json", server=server.url,
                              token=token).stdout)) == 2

    # an upload-only device token adds photos to its album and can do nothing else
    out = cli("album", "token", str(album_id), "--upload-only", server=server.url, token=token)
    device = out.stdout.strip().splitlines()[-1]
    out = cli("album", "upload", str(album_id), str(demo_raws[2]), server=server.url, token=device)
    assert out.returncode == 0, out.stderr
    out = cli("album", "photos", str(album_id), server=server.url, token=device)
    assert out.returncode == 1 and "403" in out.stderr and "Traceback" not in out.stderr

    out = cli("album", "revoke", link, server=server.url, token=token)
    assert out.returncode == 0, out.stderr
    assert httpx.get(link + "/album.json").status_code == 404


def test_cli_errors_are_one_line(server):
    out = cli("album", "list", server=server.url, token="not-a-token")
    assert out.returncode == 1 and out.stderr.startswith("lsquared: error:") and "401" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = cli("album", "list", server="http://127.0.0.1:9", token="x")
    assert out.returncode == 1 and "cannot reach" in out.stderr and "Traceback" not in out.stderr
    busy = subprocess.run([sys.executable, "-m", "lsquared.cli.main", "serve", "--port", str(server.port),
                           "--data", str(server.data), "--workers", "0"], capture_output=True, text=True, timeout=60)
    assert busy.returncode == 1 and busy.stderr.startswith("lsquared: error: cannot listen on 127.0.0.1:")


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":          # LISTEN
                found.add(addr)
    return found


def test_binds_loopback_by_default(server):
    assert _listening_addresses(server.port) == {"0100007F"}      # 127.0.0.1, nothing else


def test_restart_after_sigkill_develops_everything_once(tmp_path, demo_raws):
    from lsquared.synth.demo import make_demo_raw

    data = tmp_path / "data"
    data.mkdir()
    raws = []
    for i in range(6):
        path = tmp_path / f"r{i}.dng"
        make_demo_raw(path, size=(480, 320), seed=100 + i)
        raws.append(path)
    srv = ServerProcess(data, workers=1).start()
    try:
        token = add_user(data, "bob")
        h = {"Authorization": f"Bearer {token}"}
        album = httpx.post(srv.url + "/api/albums", json={"title": "restart"}, headers=h).json()["id"]
        for p in raws:
            r = httpx.post(f"{srv.url}/api/albums/{album}/photos", params={"name": p.name},
                           content=p.read_bytes(), headers=h, timeout=60)
            assert r.status_code == 201
        db = sqlite3.connect(data / "lsquared.db")
        wait_for(lambda: db.execute("select count(*) from jobs where state='running'").fetchone()[0] > 0, 60, 0.02)
        pending = db.execute("select count(*) from jobs where state='pending'").fetchone()[0]
        assert pending > 0
    finally:
        srv.kill()
    # nothing of the killed server is left running
    out = subprocess.run(["pgrep", "-f", "--", f"--data {data}"], capture_output=True, text=True)
    assert out.returncode == 1 and out.stdout.strip() == ""          # 1: no process matched

    srv2 = ServerProcess(data, workers=1, port=srv.port).start()
    try:
        wait_for(lambda: db.execute("select count(*) from photos where state='developed'").fetchone()[0] == 6,
                 180, 0.2)
        assert db.execute("select count(*) from photos").fetchone()[0] == 6
        per_photo = db.execute("select photo_id, count(*) from events where kind='developed' group by photo_id"
                               ).fetchall()
        assert sorted(n for _, n in per_photo) == [1] * 6
        done = db.execute("select photo_id, count(*) from jobs where kind='develop' and state='done' "
                          "group by photo_id").fetchall()
        assert sorted(n for _, n in done) == [1] * 6
        assert db.execute("select count(*) from jobs where state != 'done'").fetchone()[0] == 0
        for pid, key in db.execute("select id, rendition_key from photos").fetchall():
            assert (data / "renditions" / str(pid) / key / "full.jpg").is_file()
    finally:
        srv2.stop()
