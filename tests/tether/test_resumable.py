"""The server's resumable (tus-style) uploads against the real application on a SQLite file
(and the same tests on PostgreSQL when LSQUARED_TEST_POSTGRES_URL names a server):
chunks at offsets, HEAD reports the confirmed offset, a wrong offset is refused, the finished
file goes through the normal ingest (same photo, same SHA-256, duplicates recognised), the
last chunk can be asked again, non-media is refused, and stale partial uploads are swept."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest
import share_fixtures
from fastapi.testclient import TestClient

from lsquared.share import Settings, create_app
from lsquared.share import resumable


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def env(request, tmp_path_factory):
    from lsquared.share import service as sv
    from lsquared.share.db import transaction

    url = drop = None
    if request.param == "postgres":
        url, drop = share_fixtures.fresh_postgres_database(share_fixtures.postgres_url_or_skip())
        request.addfinalizer(drop)
    settings = Settings(data_dir=tmp_path_factory.mktemp("tus") / "data", database_url=url, workers=0,
                        upload_limit=50_000_000)
    app = create_app(settings)
    with TestClient(app) as client:
        with transaction(app.state.sessions) as s:
            user = sv.add_user(s, "tus", "correct horse")
            token = sv.new_api_token(s, user.id)
            album = sv.create_album(s, user.id, "tus")
            other = sv.create_album(s, user.id, "other")
            device = sv.new_api_token(s, user.id, kind="upload", album_id=album.id)
        yield settings, app, client, {"Authorization": f"Bearer {token}"}, album.id, other.id, device
    app.state.engine.dispose()


def create(client, h, album, length, name="shot.dng"):
    meta = "filename " + base64.b64encode(name.encode()).decode()
    r = client.post(f"/api/albums/{album}/uploads", headers={**h, "Upload-Length": str(length),
                                                            "Upload-Metadata": meta, "Tus-Resumable": "1.0.0"})
    assert r.status_code == 201, r.text
    assert r.headers["tus-resumable"] == "1.0.0" and "upload-expires" in r.headers
    return r.headers["location"]


def patch(client, h, url, offset, body):
    return client.patch(url, content=body, headers={**h, "Upload-Offset": str(offset), "Tus-Resumable": "1.0.0",
                                                    "Content-Type": "application/offset+octet-stream"})


def offset_of(client, h, url) -> int:
    r = client.head(url, headers=h)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    return int(r.headers["upload-offset"])


def test_chunks_resume_and_finish_as_a_normal_upload(env, demo_raw_bytes):
    settings, app, client, h, album, _, _ = env
    data = demo_raw_bytes
    url = create(client, h, album, len(data))
    assert offset_of(client, h, url) == 0
    step = len(data) // 3 + 1
    r = patch(client, h, url, 0, data[:step])
    assert r.status_code == 204 and int(r.headers["upload-offset"]) == step
    # a client that lost track sends the wrong offset: 409 with the real one
    r = patch(client, h, url, step * 2, data[step * 2:])
    assert r.status_code == 409 and int(r.headers["upload-offset"]) == step
    assert offset_of(client, h, url) == step
    # the partial file holds exactly the confirmed bytes, on disk in the data folder
    part = resumable.partial_path(settings.data_dir, url.rsplit("/", 1)[1])
    assert part.read_bytes() == data[:step]
    r = patch(client, h, url, step, data[step:step * 2])
    assert r.status_code == 204
    r = patch(client, h, url, step * 2, data[step * 2:])
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["sha256"] == hashlib.sha256(data).hexdigest() and photo["name"] == "shot.dng"
    assert photo["kind"] == "raw" and photo["size"] == len(data) and not photo["duplicate"]
    assert not part.exists()
    stored = settings.data_dir / "originals" / photo["sha256"][:2] / photo["sha256"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == photo["sha256"]
    # the answer to the last chunk was lost: ask again with an empty PATCH at the end
    r = patch(client, h, url, len(data), b"")
    assert r.status_code == 200 and r.json()["id"] == photo["id"]
    assert offset_of(client, h, url) == len(data)
    # the same content in a new upload is recognised, not stored twice
    url2 = create(client, h, album, len(data), "copy.dng")
    r = patch(client, h, url2, 0, data)
    assert r.status_code == 200 and r.json()["id"] == photo["id"] and r.json()["duplicate"]
    photos = client.get(f"/api/albums/{album}/photos", headers=h).json()
    assert [p["id"] for p in photos] == [photo["id"]]


def test_refusals(env, demo_raw_bytes):
    settings, app, client, h, album, other, device = env
    r = client.post(f"/api/albums/{album}/uploads", headers={**h, "Upload-Length": str(settings.upload_limit + 1)})
    assert r.status_code == 413
    r = client.post(f"/api/albums/{album}/uploads", headers=h)
    assert r.status_code == 400
    r = client.post(f"/api/albums/{album}/uploads", headers={"Upload-Length": "10"})
    assert r.status_code == 401
    url = create(client, h, album, 5000)
    r = client.patch(url, content=b"x", headers={**h, "Upload-Offset": "0", "Content-Type": "application/json"})
    assert r.status_code == 415
    r = patch(client, h, url, 0, b"x" * 5001)                     # past the announced length
    assert r.status_code == 413
    r = patch(client, h, url, 0, b"not a picture at all " * 238 + b"xx")
    assert r.status_code == 415                                   # sniffed at the end like any upload
    assert client.head(url, headers=h).status_code == 404         # and dropped
    # an upload-only device token works for its album only, and sees no other user's uploads
    dh = {"Authorization": f"Bearer {device}"}
    assert client.post(f"/api/albums/{other}/uploads", headers={**dh, "Upload-Length": "10"}).status_code == 403
    durl = create(client, dh, album, len(demo_raw_bytes), "device.dng")
    assert offset_of(client, dh, durl) == 0
    assert client.head("/api/uploads/" + "0" * 32, headers=dh).status_code == 404
    r = client.delete(durl, headers=dh)
    assert r.status_code == 204 and client.head(durl, headers=dh).status_code == 404


def test_stale_partial_uploads_are_swept_after_a_day(env):
    settings, app, client, h, album, _, _ = env
    url = create(client, h, album, 1000)
    assert patch(client, h, url, 0, b"\0" * 100).status_code == 204
    part = resumable.partial_path(settings.data_dir, url.rsplit("/", 1)[1])
    assert part.exists()
    # an hour later nothing happens; a day (and a second) after the last chunk it is gone
    assert resumable.sweep(app.state.sessions, settings.data_dir, now=time.time() + 3600) == 0
    assert part.exists() and client.head(url, headers=h).status_code == 200
    assert resumable.sweep(app.state.sessions, settings.data_dir,
                           now=time.time() + resumable.RETENTION_SECONDS + 1) >= 1
    assert not part.exists() and client.head(url, headers=h).status_code == 404
