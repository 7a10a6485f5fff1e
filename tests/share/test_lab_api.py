"""The lab's API on the real app: the proxy through the LUT the lab compiles is the picture
``develop`` writes; save, export and apply to an album; another user sees nothing."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from fastapi.testclient import TestClient

from lsquared.looks.library import resolve_look
from lsquared.share import Settings, create_app
from lsquared.share import service as sv
from lsquared.share.db import transaction


def lut_table(r) -> np.ndarray:
    """A LUT response decoded as the page does: uint16 codes of the range in X-Lut-Range."""
    lo, hi = map(float, r.headers["x-lut-range"].split())
    n = int(r.headers["x-lut-size"])
    return np.frombuffer(r.content, "<u2").reshape(n, n, n, 3) * ((hi - lo) / 65535.0) + lo


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("lab-api") / "data", workers=0)
    app = create_app(settings)
    with transaction(app.state.sessions) as s:
        tokens = [sv.new_api_token(s, sv.add_user(s, n, "correct horse").id) for n in ("ann", "bob")]
    with TestClient(app) as client:
        yield client, [{"Authorization": f"Bearer {t}"} for t in tokens]
    app.state.engine.dispose()


def test_proxy_through_the_lab_lut_is_the_developed_picture(env, demo_raws, tmp_path):
    from lsquared.looks.compile import LookLUT
    from lsquared.pipeline.run import develop

    client, (ann, _) = env
    album = client.post("/api/albums", json={"title": "a"}, headers=ann).json()["id"]
    photo = client.post(f"/api/albums/{album}/photos", params={"name": "d.dng"},
                        content=demo_raws[0].read_bytes(), headers=ann).json()["id"]
    r = client.get("/api/lab/proxy", params={"photo": photo}, headers=ann)
    assert r.status_code == 200, r.text
    w, h = int(r.headers["x-width"]), int(r.headers["x-height"])
    vlog = np.frombuffer(r.content, "<u2").reshape(h, w, 3)
    definition = resolve_look("standard").definition()
    definition["tone"]["contrast"] = 1.5
    definition["saturation"] = {"amount": 1.3, "vibrance": 0.2}
    r = client.post("/api/lab/lut", json={"definition": definition}, headers=ann)
    assert r.status_code == 200, r.text
    table = lut_table(r)
    lab = LookLUT(table, "srgb").apply(vlog.astype(np.float32) / 65535.0)
    lab8 = (np.clip(lab, 0, 1) * 255 + 0.5).astype(np.uint8)
    # the same look saved, exported as TOML and developed as `lsquared develop --look FILE` does
    assert client.put("/api/lab/looks/mine", json={"definition": definition, "parent": "standard"},
                      headers=ann).status_code == 200
    toml = client.get("/api/lab/looks/mine/export", params={"format": "toml"}, headers=ann)
    path = tmp_path / "mine.toml"
    path.write_bytes(toml.content)
    assert tomllib.loads(toml.text)["inherits"] == "standard"
    developed = np.asarray(develop(demo_raws[0], look=str(path)))
    assert developed.shape == lab8.shape
    diff = np.abs(developed.astype(int) - lab8.astype(int))
    assert np.percentile(diff, 99) < 1.0 and diff.max() <= 1
    # `lsquared video --look FILE`: the same look (digest the lab reported), compiled for Rec.709
    from lsquared.looks import compile_look
    from lsquared.looks.model import look_from_definition
    from lsquared.video.grade import prepare_look

    assert resolve_look(str(path)).digest == r.headers["x-look-digest"]
    video = prepare_look(path)
    lab_look = look_from_definition("lab", "", definition, where="lab")
    assert np.array_equal(video.table, compile_look(lab_look, "rec709").table)


def test_exports_apply_and_privacy(env, demo_raws):
    client, (ann, bob) = env
    # its own look, album and photo (under pytest-xdist another worker may run the test above)
    definition = resolve_look("standard").definition()
    assert client.put("/api/lab/looks/mine", json={"definition": definition, "parent": "standard"},
                      headers=ann).status_code == 200
    album = client.post("/api/albums", json={"title": "exports"}, headers=ann).json()["id"]
    photo = client.post(f"/api/albums/{album}/photos", params={"name": "e.dng"},
                        content=demo_raws[0].read_bytes(), headers=ann).json()["id"]
    for fmt, head in (("cube", b"TITLE"), ("vlt", b"# "), ("haldclut", b"\x89PNG")):
        r = client.get("/api/lab/looks/mine/export", params={"format": fmt}, headers=ann)
        assert r.status_code == 200 and head in r.content[:200], (fmt, r.content[:80])
    r = client.post("/api/lab/looks/mine/apply", json={"album": album}, headers=ann)
    assert r.status_code == 200 and r.json()["rerendering"] == 1 and r.json()["look"].startswith("file:")
    assert client.get("/api/lab/looks", headers=bob).json()["library"] == []
    assert client.get("/api/lab/looks/mine", headers=bob).status_code == 404
    assert client.get("/api/lab/looks/mine/export", headers=bob).status_code == 404
    assert client.post("/api/lab/looks/mine/apply", json={"album": album}, headers=bob).status_code == 404
    assert client.get("/api/lab/proxy", params={"photo": photo}, headers=bob).status_code == 404
    r = client.put("/api/lab/looks/x", json={"definition": {"tone": {"contrast": 99}}}, headers=ann)
    assert r.status_code == 422 and "outside" in r.json()["detail"]
    assert client.post("/api/lab/lut", json={"definition": {}}).status_code == 401


def test_a_raw_uploaded_into_the_lab(env, demo_raws):
    client, (ann, bob) = env
    r = client.post("/api/lab/raws", content=demo_raws[1].read_bytes(), headers=ann)
    assert r.status_code == 201, r.text
    sha = r.json()["raw"]
    r = client.get("/api/lab/proxy", params={"raw": sha}, headers=ann)
    assert r.status_code == 200 and len(r.content) == int(r.headers["x-width"]) * int(r.headers["x-height"]) * 6
    assert client.get("/api/lab/proxy", params={"raw": sha}, headers=bob).status_code == 404
    r = client.post("/api/lab/raws", content=b"not a raw at all" * 100, headers=ann)
    assert r.status_code == 415 and r.json()["detail"].startswith("raw refused")
    r = client.post("/api/lab/import", params={"name": "x.cube"}, content=b"LUT_3D_SIZE 2\n0 0 0\n", headers=ann)
    assert r.status_code == 415


def test_an_imported_lut_saved_in_the_library(env, tmp_path):
    from lsquared.looks import compile_look, resolve_look
    from lsquared.looks.export import export_look

    client, (ann, bob) = env
    cube = export_look(resolve_look("vivid"), tmp_path / "vivid.cube", "cube")
    r = client.post("/api/lab/import", params={"name": "vivid.cube", "save": "my-vivid"},
                    content=cube.read_bytes(), headers=ann)
    assert r.status_code == 200, r.text
    shown = lut_table(r)
    # a 33-point .cube of a look, re-sampled at the same grid, is that look's table (to the
    # .cube's 6 decimals and the transport's uint16 step)
    assert np.abs(shown - compile_look(resolve_look("vivid"), "srgb", 33).table).max() < 1e-5 + 1 / 65535
    assert {"name": "my-vivid", "parent": ""} in client.get("/api/lab/looks", headers=ann).json()["library"]
    look = client.get("/api/lab/looks/my-vivid", headers=ann).json()
    assert look["imported"] and look["builtin"] is False
    lut = client.get("/api/lab/looks/my-vivid/lut", headers=ann)
    assert lut.content == r.content
    assert client.get("/api/lab/looks/my-vivid/export", params={"format": "cube"}, headers=ann).status_code == 200
    r = client.get("/api/lab/looks/my-vivid/export", params={"format": "toml"}, headers=ann)
    assert r.status_code == 422 and ".cube" in r.json()["detail"]
    r = client.put("/api/lab/looks/my-vivid-punchy", json={"parent": "my-vivid", "definition": {"tone": {"contrast": 1.4}}},
                   headers=ann)
    assert r.status_code == 422 and "cannot also have" in r.json()["detail"]
    assert client.get("/api/lab/looks/my-vivid/lut", headers=bob).status_code == 404
