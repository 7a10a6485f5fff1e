"""The look lab: make a look by eye on one's own photo, live in the browser (issue 16).

The server sends the photo once as a scene-referred proxy and, on every change, only the
look's recompiled LUT; the page (static/lab.js) applies the LUT to the proxy with WebGL2.

- ``GET /api/lab/proxy?photo=ID`` (or ``?raw=SHA256`` for a raw uploaded into the lab with
  ``POST /api/lab/raws``): the photo developed by the same pipeline as ``lsquared develop``
  (same default exposure, white balance, denoise, sharpening) up to the V-Log/V-Gamut
  intermediate, as raw little-endian uint16 R, G, B (headers ``X-Width``/``X-Height``).  It
  is made by developing with an identity look whose output is V-Log (``output.space =
  "vlog"``, no gamut compression; its 33-point table is the identity grid to 1e-14), at
  16 bits: the pictures ``develop`` writes are this proxy through the look's LUT, rounded.
- ``POST /api/lab/lut``: a look definition (the TOML tables as JSON) compiled to its
  33-point LUT, (33, 33, 33, 3) indexed [r, g, b], display-encoded sRGB, sent as little-endian
  uint16 codes of [-0.5, 1.5] (``LUT_RANGE``, the widest a table holds, see looks/compile.py;
  a step of 3e-5, 0.008 of an 8-bit code): 215 KB instead of float32's 431 KB, and the page
  uploads it as an RGB16UI 3D texture as it comes.
- ``GET /api/lab/schema``: the look model's steps and parameters (looks/schema.py), from
  which the page builds its controls.
- The owner's library (share/looklib.py): list, read, save (inheriting TOML), delete,
  export (TOML, .cube, .vlt, HaldCLUT PNG), apply to an album (re-renders), import a
  .cube/.vlt as a starting point.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from ..errors import LsquaredError
from . import looklib
from . import service as sv
from .auth import Principal, owner
from .db import transaction

router = APIRouter()
Owner = Annotated[Principal, Depends(owner)]
PROXY_MAX = 1600            # long edge of the proxy: screen size
LUT_SIZE = 33
LUT_RANGE = (-0.5, 1.5)     # looks/render.py EXTENDED_RANGE: every table value lies inside
EXPORT_TYPES = {"toml": ("application/toml", ".toml"), "cube": ("text/plain", ".cube"),
                "vlt": ("text/plain", ".vlt"), "haldclut": ("image/png", ".png")}
VLOG_LOOK = 'name = "lab-vlog-proxy"\n[output]\nspace = "vlog"\ngamut_compression = 0.0\n'


def _db(request: Request):
    return transaction(request.app.state.sessions)


def _lab_dir(request: Request, user_id: int) -> Path:
    folder = request.app.state.store.root / "lab" / str(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _bad(exc: LsquaredError, status: int = 422) -> HTTPException:
    return HTTPException(status, exc.one_line() if hasattr(exc, "one_line") else str(exc))


def _resolve(s, user_id: int, name: str):
    """The user's look ``name`` (library or built-in), or 404."""
    try:
        return looklib.resolve(s, user_id, name)
    except LsquaredError as exc:
        raise _bad(exc, 404) from None


# --- the proxy -------------------------------------------------------------------------------

def develop_vlog(original: Path, kind: str, store_root: Path) -> np.ndarray:
    """The picture as ``lsquared develop`` makes it, stopped at V-Log/V-Gamut: uint16 (H, W, 3)."""
    from ..io.atomic import atomic_write_bytes
    from ..pipeline.recipe import Recipe
    from ..pipeline.run import apply_overrides, develop_frame, develop_image

    look = store_root / "lab" / "vlog-proxy.toml"
    if not look.exists() or look.read_text() != VLOG_LOOK:
        look.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(look, VLOG_LOOK.encode(), overwrite=True)
    recipe = apply_overrides(Recipe(), look=str(look), bit_depth=16)
    if kind == "raw":
        from ..io.raw import open_raw

        frame = open_raw(original)
        if frame.data.shape[0] * frame.data.shape[1] > 4 * PROXY_MAX * PROXY_MAX:
            from .render import half_size_frame       # a big raw: half size is still > screen

            frame = half_size_frame(frame)
        picture = develop_frame(frame, recipe)
    elif kind == "image":
        picture = develop_image(original, recipe)
    else:
        raise HTTPException(422, "the lab works on photos (raws and images), not videos")
    vlog = np.asarray(picture)
    factor = -(-max(vlog.shape[:2]) // PROXY_MAX)        # ceil: an integer box, no resampling
    if factor > 1:
        h, w = vlog.shape[0] // factor * factor, vlog.shape[1] // factor * factor
        boxes = vlog[:h, :w].reshape(h // factor, factor, w // factor, factor, 3)
        vlog = (boxes.mean(axis=(1, 3)) + 0.5).astype(np.uint16)
    return np.ascontiguousarray(vlog, dtype=np.uint16)


def _proxy_source(request: Request, who: Principal, photo: int | None, raw: str | None) -> tuple[Path, str, str]:
    if photo is not None:
        with _db(request) as s:
            p = sv.photo_of(s, who.user_id, photo)
            return request.app.state.store.original(p.sha256), p.kind, p.sha256
    if raw is not None and len(raw) == 64 and all(c in "0123456789abcdef" for c in raw):
        path = _lab_dir(request, who.user_id) / f"{raw}.raw"
        if path.exists():
            return path, "raw", raw
    raise HTTPException(404, "no such photo")


@router.get("/api/lab/proxy")
async def proxy(request: Request, who: Owner, photo: int | None = None, raw: str | None = None):
    from ..io.atomic import atomic_write_bytes

    original, kind, sha = _proxy_source(request, who, photo, raw)
    cache = _lab_dir(request, who.user_id) / f"proxy-{sha}-{PROXY_MAX}.npy"

    def make() -> np.ndarray:
        if cache.exists():
            return np.load(cache)
        try:
            vlog = develop_vlog(original, kind, request.app.state.store.root)
        except LsquaredError as exc:
            raise _bad(exc) from None
        import io
        buf = io.BytesIO()
        np.save(buf, vlog)
        atomic_write_bytes(cache, buf.getvalue(), overwrite=True)
        return vlog

    vlog = await anyio.to_thread.run_sync(make)
    return Response(vlog.astype("<u2").tobytes(), media_type="application/octet-stream",
                    headers={"X-Width": str(vlog.shape[1]), "X-Height": str(vlog.shape[0]),
                             "Cache-Control": "private, max-age=3600"})


@router.post("/api/lab/raws", status_code=201)
async def upload_raw(request: Request, who: Owner) -> dict:
    """A raw (DNG or a camera's raw) uploaded into the lab, not into an album."""
    store = request.app.state.store
    received = await store.receive(request.stream(), request.app.state.settings.upload_limit)
    target = _lab_dir(request, who.user_id) / f"{received.sha256}.raw"
    try:
        from ..io.raw import open_raw

        await anyio.to_thread.run_sync(open_raw, received.path)
    except Exception as exc:
        store.discard(received)
        msg = exc.one_line() if isinstance(exc, LsquaredError) else "not a raw file lsquared can read"
        raise HTTPException(415, f"raw refused: {msg.replace(str(received.path), 'the upload')}") from None
    received.path.replace(target)
    return {"raw": received.sha256}


# --- looks and LUTs --------------------------------------------------------------------------

class LookIn(BaseModel):
    definition: dict[str, Any] = Field(default_factory=dict)
    parent: str = Field("standard", max_length=64)
    description: str = Field("", max_length=1000)


def _look_from(definition: dict, name: str = "lab"):
    from ..looks.model import look_from_definition

    d = {k: v for k, v in definition.items() if k not in ("name", "description", "inherits")}
    try:
        return look_from_definition(name, "", d, where="look")
    except LsquaredError as exc:
        raise _bad(exc) from None


def lut_codes(table: np.ndarray) -> bytes:
    """A LUT as the page takes it: uint16 codes of LUT_RANGE, little-endian, [r, g, b] order."""
    lo, hi = LUT_RANGE
    codes = (np.clip(table, lo, hi) - lo) * (65535.0 / (hi - lo)) + 0.5
    return codes.astype("<u2").tobytes()


def lut_response(table: np.ndarray, **headers: str) -> Response:
    return Response(lut_codes(table), media_type="application/octet-stream",
                    headers={"X-Lut-Size": str(table.shape[0]), "X-Lut-Range": "%g %g" % LUT_RANGE,
                             **headers})


def compile_table(look) -> np.ndarray:
    from ..looks.compile import compile_look

    # not into the disk cache: every slider position is a new look, and its file would stay
    return compile_look(look, output_space="srgb", size=LUT_SIZE, disk_cache=False).table


@router.post("/api/lab/lut")
async def lut(body: LookIn, who: Owner) -> Response:
    look = _look_from(body.definition)
    if look.lut is not None:
        raise HTTPException(422, "a look with [lut] compiles from its file: open it from the library")
    table = await anyio.to_thread.run_sync(compile_table, look)
    return lut_response(table, **{"X-Look-Digest": look.digest})


@router.get("/api/lab/schema")
async def schema(who: Owner) -> dict:
    from ..looks.schema import look_schema

    return look_schema()


@router.get("/api/lab/looks")
def list_looks(request: Request, who: Owner) -> dict:
    with _db(request) as s:
        mine = [{"name": r.name, "parent": r.parent} for r in looklib.library(s, who.user_id)]
    return {"builtin": sorted(looklib.builtin_names()), "library": mine}


@router.get("/api/lab/looks/{name}")
def get_look(name: str, request: Request, who: Owner) -> dict:
    with _db(request) as s:
        look = _resolve(s, who.user_id, name)
        row = looklib.row_of(s, who.user_id, name)
    return {"name": name, "description": look.description, "definition": look.definition(),
            "parent": row.parent if row else None, "toml": row.toml if row else None,
            "builtin": row is None, "imported": look.lut is not None}


@router.get("/api/lab/looks/{name}/lut")
async def look_lut(name: str, request: Request, who: Owner) -> Response:
    """Any built-in or library look (an imported LUT too) as the lab's LUT."""
    def run() -> np.ndarray:
        with _db(request) as s:
            look = _resolve(s, who.user_id, name)
        return compile_table(look)

    return lut_response(await anyio.to_thread.run_sync(run))


@router.put("/api/lab/looks/{name}")
def save_look(name: str, body: LookIn, request: Request, who: Owner) -> dict:
    try:
        with _db(request) as s:
            row = looklib.save(s, who.user_id, name, body.parent, body.definition, body.description)
            return {"name": row.name, "parent": row.parent, "toml": row.toml}
    except LsquaredError as exc:
        raise _bad(exc) from None


@router.delete("/api/lab/looks/{name}")
def delete_look(name: str, request: Request, who: Owner) -> dict:
    try:
        with _db(request) as s:
            looklib.delete(s, who.user_id, name)
    except LsquaredError as exc:
        raise _bad(exc, 404 if "no look" in str(exc) else 409) from None
    return {"deleted": name}


def _export(look, toml_text: str, fmt: str) -> bytes:
    from ..looks.export import export_look

    if fmt == "toml":
        return toml_text.encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"look{EXPORT_TYPES[fmt][1]}"
        export_look(look, path, fmt)
        return path.read_bytes()


@router.get("/api/lab/looks/{name}/export")
async def export(name: str, request: Request, who: Owner, format: str = "toml") -> Response:
    if format not in EXPORT_TYPES:
        raise HTTPException(422, f"unknown format '{format}'; choose one of: {', '.join(EXPORT_TYPES)}")

    def run() -> bytes:
        with _db(request) as s:
            look = _resolve(s, who.user_id, name)
            try:
                text = looklib.portable_toml(s, who.user_id, name) if format == "toml" else ""
            except LsquaredError as exc:
                raise _bad(exc) from None
        return _export(look, text, format)

    data = await anyio.to_thread.run_sync(run)
    media, suffix = EXPORT_TYPES[format]
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}{suffix}"'})


class ApplyIn(BaseModel):
    album: int


def album_look_file(store, s, user_id: int, name: str) -> Path:
    """The look as the album's look file, content-addressed in the store: the saved look itself
    as portable TOML (inheriting its built-in root; every step kept, the spatial ones too, so
    the worker renders exactly what ``lsquared develop --look FILE`` does), or, for an imported
    .cube/.vlt (a colour map and nothing else), that LUT as .cube."""
    from ..io.atomic import atomic_write_bytes

    look = _resolve(s, user_id, name)
    if look.lut is not None:
        data, suffix = _export(look, "", "cube"), "cube"
    else:
        try:
            data, suffix = looklib.portable_toml(s, user_id, name).encode(), "toml"
        except LsquaredError as exc:
            raise _bad(exc) from None
    target = store.look_file(f"{hashlib.sha256(data).hexdigest()}.{suffix}")
    if not target.exists():
        atomic_write_bytes(target, data)
    return target


def applied_toml(store, album_look: str) -> dict | None:
    """The TOML of a look applied from the lab (album look ``file:<sha>.toml``), else None."""
    import tomllib

    if not (album_look.startswith("file:") and album_look.endswith(".toml")):
        return None
    try:
        return tomllib.loads(store.look_file(album_look[5:]).read_text())
    except (OSError, ValueError):
        return None


def album_look_label(store, album_look: str) -> str:
    """How an album's look reads on its page."""
    saved = applied_toml(store, album_look)
    if saved is not None:
        return f"{saved.get('name', 'lab look')} (from the lab)"
    return "uploaded LUT" if album_look.startswith("file:") else album_look


def start_look(store, s, user_id: int, album_look: str) -> str:
    """The lab's starting look for an album's look: a built-in by name; a look applied from the
    lab (file:<sha>.toml) by its name in the library, or its built-in root when the library no
    longer has it; an uploaded .cube/.vlt has no parameters to start from: standard."""
    if not album_look.startswith("file:"):
        return album_look
    saved = applied_toml(store, album_look)
    if saved is None:
        return "standard"
    name = str(saved.get("name", ""))
    if looklib.row_of(s, user_id, name) is not None:
        return name
    parent = str(saved.get("inherits", ""))
    return parent if parent in looklib.builtin_names() else "standard"


@router.post("/api/lab/looks/{name}/apply")
async def apply(name: str, body: ApplyIn, request: Request, who: Owner) -> dict:
    """Make the look the album's (the saved look itself, see album_look_file): every photo re-renders."""
    store = request.app.state.store

    def run() -> dict:
        with _db(request) as s:
            sv.album_of(s, who.user_id, body.album)
            # a built-in look is the album's by name, as the album page sets it
            look = name if name in looklib.builtin_names() else \
                f"file:{album_look_file(store, s, who.user_id, name).name}"
        with _db(request) as s:
            album = sv.album_of(s, who.user_id, body.album)
            n = sv.set_look(s, album, look, from_store=True)
            return {"album": album.id, "look": album.look, "rerendering": n}

    out = await anyio.to_thread.run_sync(run)
    request.app.state.hub.notify()
    return out


@router.post("/api/lab/import")
async def import_lut(request: Request, who: Owner, name: str = "look.cube", save: str | None = None) -> Response:
    """A .cube/.vlt as the starting point: its table sampled at the lab's grid, for the page
    to show (an imported LUT's look has no sliders).  With ``save=NAME`` it is also kept
    (content-addressed in the store) as a look of the owner's library."""
    from ..io.lutfile import read_lut

    body = await request.body()
    if len(body) > 16 << 20:
        raise HTTPException(413, "LUT file larger than 16 MiB")
    suffix = ".vlt" if name.lower().endswith(".vlt") else ".cube"

    def run() -> np.ndarray:
        from ..looks.model import Look
        from ..looks.steps import ImportedLut

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"import{suffix}"
            path.write_bytes(body)
            try:
                data = read_lut(path)
            except LsquaredError as exc:
                raise HTTPException(415, f"LUT refused: {exc.one_line().replace(str(path), name)}") from None
            look = Look(name="imported", lut=ImportedLut(file=str(path)), lut_data=data,
                        lut_sha256=data.sha256)
            table = compile_table(look)
            if save:
                from ..io.atomic import atomic_write_bytes

                kept = request.app.state.store.look_file(f"{hashlib.sha256(body).hexdigest()}{suffix}")
                if not kept.exists():
                    atomic_write_bytes(kept, body)
                try:
                    with _db(request) as s:
                        looklib.save_imported(s, who.user_id, save, kept)
                except LsquaredError as exc:
                    raise _bad(exc) from None
            return table

    return lut_response(await anyio.to_thread.run_sync(run))


# --- the page --------------------------------------------------------------------------------

@router.get("/lab", include_in_schema=False)
async def lab_page(request: Request, photo: int | None = None, raw: str | None = None,
                   look: str | None = None, album: int | None = None):
    """The lab; ``album=ID`` (the album pages' "Open in lab") starts from that album's current
    look and offers it first for "Apply to album"; ``look=NAME`` starts from that look."""
    from .auth import optional_session
    from .pages import render

    who = await optional_session(request)
    if who is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    def load() -> tuple[list[dict], str, str]:
        with _db(request) as s:
            albums = [{"id": a.id, "title": a.title} for a, _ in sv.albums_of(s, who.user_id)]
            title = sv.photo_of(s, who.user_id, photo).name if photo is not None else ""
            start = look or "standard"
            if album is not None:
                current = sv.album_of(s, who.user_id, album)
                albums.sort(key=lambda a: a["id"] != current.id)
                if look is None:
                    start = start_look(request.app.state.store, s, who.user_id, current.look)
        return albums, title, start

    try:
        albums, title, start = await anyio.to_thread.run_sync(load)
    except sv.Refused as exc:
        raise HTTPException(exc.status, exc.message) from None
    source = {"photo": photo} if photo is not None else {"raw": raw} if raw else {}
    return render("lab.html", csrf=who.csrf, source=json.dumps(source), look=start,
                  albums=albums, title=title or "a raw of yours", album=album)
