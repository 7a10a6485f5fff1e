"""Applying a lab look to an album keeps the whole look: the album's look is the saved look's
TOML (not its colour LUT), so the worker renders the spatial steps too (vignette, grain), and
the album's photo is what ``lsquared develop --look FILE`` makes of it.  The album pages link
into the lab, which starts from the album's current look."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from lsquared.looks.library import resolve_look
from lsquared.share import Settings, create_app
from lsquared.share import service as sv
from lsquared.share.db import transaction
from lsquared.share.worker import Worker

VIGNETTE = {"amount": 1.5, "midpoint": 0.2}
GRAIN = {"amount": 0.05, "size": 1.0, "chroma": 0.0}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def corners_over_centre(picture: np.ndarray) -> float:
    """Mean of the four corner patches over the mean of the centre patch (same size)."""
    h, w = picture.shape[:2]
    k = min(h, w) // 8
    p = picture.astype(np.float64)
    corners = [p[:k, :k], p[:k, -k:], p[-k:, :k], p[-k:, -k:]]
    centre = p[h // 2 - k // 2:h // 2 + k // 2, w // 2 - k // 2:w // 2 + k // 2]
    return float(np.mean([c.mean() for c in corners]) / centre.mean())


def fine_noise(picture: np.ndarray, reference: np.ndarray) -> float:
    """The fine-grained difference of a picture from a reference: the robust standard deviation
    (1.4826 x median absolute value) of their difference minus its 3x3 box blur.  Grain is
    everywhere and fine; a vignette is smooth, and edges, where it scales the detail, are few."""
    d = picture.astype(np.float64).mean(axis=2) - reference.astype(np.float64).mean(axis=2)
    blur = sum(np.roll(np.roll(d, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9
    return float(1.4826 * np.median(np.abs((d - blur)[2:-2, 2:-2])))


@pytest.fixture
def env(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", workers=0)
    app = create_app(settings)
    with transaction(app.state.sessions) as s:
        token = sv.new_api_token(s, sv.add_user(s, "ann", "correct horse").id)
    with TestClient(app) as client:
        yield settings, client, {"Authorization": f"Bearer {token}"}
    app.state.engine.dispose()


def full_picture(client, headers, album: int) -> np.ndarray:
    photo = client.get(f"/api/albums/{album}/photos", headers=headers).json()[0]
    assert photo["state"] == "developed", photo
    return np.asarray(Image.open(io.BytesIO(client.get(photo["urls"]["full.jpg"], headers=headers).content)).convert("RGB"))


def test_apply_renders_every_step_as_develop_does(env, demo_raws, tmp_path):
    from lsquared.looks.export import export_look
    from lsquared.pipeline.run import develop

    settings, client, ann = env
    definition = {**resolve_look("standard").definition(), "vignette": VIGNETTE, "grain": GRAIN}
    r = client.put("/api/lab/looks/dark-corners", json={"definition": definition, "parent": "standard"}, headers=ann)
    assert r.status_code == 200, r.text
    album = client.post("/api/albums", json={"title": "lab"}, headers=ann).json()["id"]
    client.post(f"/api/albums/{album}/photos", params={"name": "d.dng"}, content=demo_raws[0].read_bytes(), headers=ann)

    r = client.post("/api/lab/looks/dark-corners/apply", json={"album": album}, headers=ann)
    assert r.status_code == 200, r.text
    assert r.json()["look"].endswith(".toml") and r.json()["rerendering"] == 1
    Worker(settings).run(until_idle=True)
    rendered = full_picture(client, ann, album)

    # the truth: `lsquared develop --look FILE` with the look's TOML as the lab exports it
    toml = tmp_path / "dark-corners.toml"
    toml.write_bytes(client.get("/api/lab/looks/dark-corners/export", params={"format": "toml"}, headers=ann).content)
    developed = np.asarray(develop(demo_raws[0], look=str(toml)))
    # what applying the look's .cube gave before: its colour map alone
    cube = export_look(resolve_look(str(toml)), tmp_path / "dark-corners.cube", "cube")
    lut_only = np.asarray(develop(demo_raws[0], look=str(cube)))
    assert rendered.shape == developed.shape == lut_only.shape

    # the album's photo is develop's picture, through the same JPEG coding as the renditions
    from lsquared.share.render import write_sizes

    (tmp_path / "jpeg").mkdir()
    write_sizes(developed, None, "srgb", tmp_path / "jpeg", full=True, webp=False)
    developed_jpeg = np.asarray(Image.open(tmp_path / "jpeg" / "full.jpg").convert("RGB"))
    to_develop, to_lut = psnr(rendered, developed_jpeg), psnr(rendered, lut_only)
    print(f"\nalbum photo vs develop (same JPEG coding): {to_develop:.1f} dB; vs the LUT-only render: {to_lut:.1f} dB")
    assert to_develop >= 45.0 and to_lut < 30.0, (to_develop, to_lut)
    # the vignette: corners darker relative to the centre, by the step's own gain at the corner
    # (2^-amount in display light, seen through a 2.2 gamma; the centre is before the midpoint)
    darkening = corners_over_centre(rendered) / corners_over_centre(lut_only)
    expected = 2.0 ** (-VIGNETTE["amount"] / 2.2)
    assert expected * 0.85 < darkening < expected * 1.15 + 0.05, (darkening, expected)
    # the grain: fine noise over the LUT-only render, far above what the JPEG coding alone adds
    (tmp_path / "lut-only").mkdir()
    write_sizes(lut_only, None, "srgb", tmp_path / "lut-only", full=True, webp=False)
    coding = fine_noise(np.asarray(Image.open(tmp_path / "lut-only" / "full.jpg").convert("RGB")), lut_only)
    grain = fine_noise(rendered, lut_only)
    assert grain > 3.0 * coding and grain > 2.0, (grain, coding)


def test_album_pages_open_the_lab_in_the_albums_look(env, demo_raws):
    settings, client, ann = env
    definition = {**resolve_look("vivid").definition(), "vignette": VIGNETTE}
    assert client.put("/api/lab/looks/mine", json={"definition": definition, "parent": "vivid"},
                      headers=ann).status_code == 200
    album = client.post("/api/albums", json={"title": "links"}, headers=ann).json()["id"]
    photo = client.post(f"/api/albums/{album}/photos", params={"name": "d.dng"},
                        content=demo_raws[1].read_bytes(), headers=ann).json()["id"]
    login = client.get("/login").text                     # the pages need a session cookie
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    r = client.post("/login", data={"name": "ann", "password": "correct horse", "csrf_token": csrf,
                                    "next": "/albums"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    link = f"/lab?photo={photo}&amp;album={album}"
    page = client.get(f"/albums/{album}").text
    assert link in page                                   # in the header and in the Look panel
    tile = client.get(f"/albums/{album}/tiles/{photo}").text
    assert link in tile
    lab = client.get(f"/lab?photo={photo}&album={album}").text
    assert 'data-look="standard"' in lab and f'href="/albums/{album}"' in lab

    client.post("/api/lab/looks/mine/apply", json={"album": album}, headers=ann)
    assert "mine (from the lab)" in client.get(f"/albums/{album}").text
    lab = client.get(f"/lab?photo={photo}&album={album}").text
    assert 'data-look="mine"' in lab                       # the lab starts from the album's look
    # the library look deleted: the lab starts from the built-in it inherited from
    assert client.delete("/api/lab/looks/mine", headers=ann).status_code == 200
    assert 'data-look="vivid"' in client.get(f"/lab?photo={photo}&album={album}").text
    assert client.get(f"/lab?photo={photo}&album={album + 99}").status_code == 404
    # a built-in look applied from the lab is the album's by name
    r = client.post("/api/lab/looks/portrait/apply", json={"album": album}, headers=ann)
    assert r.status_code == 200 and r.json()["look"] == "portrait"
    assert 'data-look="portrait"' in client.get(f"/lab?photo={photo}&album={album}").text
