"""What a share link opens: /s/<token>/... (JSON, renditions, the live event stream, ZIP).

A token reads exactly one album.  Unknown, expired and revoked tokens all answer 404 at once
(the link's state is checked on every request, and streams re-check it every few seconds).
A password-protected link answers 401 until it is unlocked: POST the password to
/s/<token>/unlock (attempts slowed down per link and per address); success sets a cookie
signed with the service key, bound to that link, valid 12 hours.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from . import service as sv
from .db import transaction
from .events import events_after, last_event_id
from .models import Album, Photo, ShareLink
from .security import clear_failures, digests_equal, record_failure, sign, unsign, wait_seconds
from .serialize import download_name, public_photo_json

router = APIRouter(prefix="/s/{token}")
UNLOCK_SECONDS = 12 * 3600
UNLOCK_CSRF_COOKIE = "lsq_unlock_csrf"
RECHECK_SECONDS = 5.0


def unlock_cookie(link_id: int) -> str:
    return f"lsq_link_{link_id}"


def _link(request: Request, token: str) -> ShareLink | None:
    with transaction(request.app.state.sessions) as s:
        return sv.live_link(s, token)


def unlocked(request: Request, link: ShareLink) -> bool:
    if link.password_hash is None:
        return True
    value = unsign(request.app.state.secret_key, request.cookies.get(unlock_cookie(link.id)))
    return value == f"link:{link.id}"


async def open_link(token: str, request: Request) -> ShareLink:
    """The link (active); 404 when not, 401 when it needs its password."""
    link = await anyio.to_thread.run_sync(_link, request, token)
    if link is None:
        raise HTTPException(404, "no such album")
    if not unlocked(request, link):
        raise HTTPException(401, "this album needs its password")
    return link


Link = Annotated[ShareLink, Depends(open_link)]


def album_view(request: Request, link: ShareLink, token: str, count: bool = True) -> dict:
    """The album as a viewer sees it (also what the shared page renders); counts a view."""
    with transaction(request.app.state.sessions) as s:
        album = s.get(Album, link.album_id)
        photos = sv.photos_of(s, album.id)
        if count:
            sv.count_view(s, link)
        return {"title": album.title, "download": link.allow_download,
                "originals": link.allow_download and link.allow_originals,
                "expires_at": link.expires_at, "last_event_id": last_event_id(s, album.id),
                "photos": [public_photo_json(p, link, token) for p in photos],
                "events_url": f"/s/{token}/events", "zip_url": f"/s/{token}/download.zip"
                if link.allow_download else None}


@router.get("/album.json")
def album_json(token: str, request: Request, link: Link) -> dict:
    return album_view(request, link, token)


class UnlockIn(BaseModel):
    password: str = Field(max_length=1000)


@router.post("/unlock")
async def unlock(token: str, request: Request):
    """Unlock a password-protected link: JSON {"password"} or a form field ``password``."""
    settings = request.app.state.settings
    link = await anyio.to_thread.run_sync(_link, request, token)
    if link is None:
        raise HTTPException(404, "no such album")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            password = UnlockIn.model_validate(await request.json()).password
        except ValueError:
            raise HTTPException(422, "give the password as {\"password\": ...}") from None
        wants_json = True
    else:
        form = await request.form()
        password = str(form.get("password", ""))[:1000]
        wants_json = False
        # the page's form carries a double-submit token (no session exists to bind one to)
        given, expected = form.get("csrf_token"), request.cookies.get(UNLOCK_CSRF_COOKIE)
        if not (isinstance(given, str) and expected and digests_equal(given, expected)):
            return RedirectResponse(f"/s/{token}?expired=1", status_code=303)
    address = request.client.host if request.client else "?"
    scopes = [f"link:{link.id}:addr:{address}"]
    scopes_link = [f"link:{link.id}"]

    def check() -> tuple[bool, float]:
        from .security import verify_password

        with transaction(request.app.state.sessions) as s:
            wait = max(wait_seconds(s, scopes, settings.login_free_failures),
                       wait_seconds(s, scopes_link, 10 * settings.login_free_failures))
            if wait > 0:
                return False, wait
            ok = verify_password(link.password_hash, password) if link.password_hash else True
            if ok:
                clear_failures(s, scopes)
            else:
                record_failure(s, scopes + scopes_link)
            return ok, 0.0

    ok, wait = await anyio.to_thread.run_sync(check)
    if wait > 0:
        raise HTTPException(429, f"too many wrong passwords; try again in {int(wait) + 1} s")
    if not ok:
        if wants_json:
            raise HTTPException(401, "wrong password")
        return RedirectResponse(f"/s/{token}?wrong=1", status_code=303)
    response = JSONResponse({"ok": True}) if wants_json else RedirectResponse(f"/s/{token}", status_code=303)
    response.set_cookie(unlock_cookie(link.id), sign(request.app.state.secret_key, f"link:{link.id}", UNLOCK_SECONDS),
                        max_age=UNLOCK_SECONDS, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path=f"/s/{token}")
    return response


def _photo(request: Request, link: ShareLink, photo_id: int) -> Photo:
    with transaction(request.app.state.sessions) as s:
        photo = s.get(Photo, photo_id)
    if photo is None or photo.album_id != link.album_id:
        raise HTTPException(404, "no such photo")
    return photo


@router.get("/p/{photo_id}/original")
def original(token: str, photo_id: int, request: Request, link: Link):
    """The original file, where the link allows originals; GPS and serial numbers are
    removed on the way out unless the link allows location."""
    from .privacy import redacted_stream

    if not (link.allow_download and link.allow_originals):
        raise HTTPException(404, "originals are not offered by this link")
    photo = _photo(request, link, photo_id)
    path = request.app.state.store.original(photo.sha256)
    name = download_name(photo, link.allow_names)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store",
               "Content-Length": str(path.stat().st_size)}
    body = redacted_stream(path, keep_location=link.allow_location)
    return StreamingResponse(body, media_type=photo.media_type, headers=headers)


@router.get("/p/{photo_id}/{variant}")
def rendition(token: str, photo_id: int, variant: str, request: Request, link: Link):
    from .api import rendition_response

    photo = _photo(request, link, photo_id)
    if variant == "full.jpg" and not link.allow_download:
        raise HTTPException(404, "downloads are off for this link")
    return rendition_response(request, photo, variant)


@router.get("/download.zip")
def download_zip(token: str, request: Request, link: Link, originals: bool = False):
    """The whole album as one ZIP, built while it is sent (ZIP64, nothing kept in memory or on
    disk): the developed JPEGs, or the originals where the link allows them."""
    from .zipstream import album_zip

    if not link.allow_download:
        raise HTTPException(404, "downloads are off for this link")
    if originals and not link.allow_originals:
        raise HTTPException(404, "originals are not offered by this link")
    with transaction(request.app.state.sessions) as s:
        album = s.get(Album, link.album_id)
        photos = sv.photos_of(s, album.id)
        title = album.title
    store = request.app.state.store
    entries = []
    for p in photos:
        if originals:
            entries.append((download_name(p, link.allow_names), store.original(p.sha256), not link.allow_location))
        elif p.rendition_key and p.state == "developed":
            variant = "video.mp4" if p.kind == "video" else "full.jpg"
            suffix = ".mp4" if p.kind == "video" else ".jpg"
            entries.append((download_name(p, link.allow_names, suffix),
                            store.rendition(p.id, p.rendition_key, variant), False))
    safe_title = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip() or "album"
    return StreamingResponse(album_zip(entries), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{safe_title[:80]}.zip"',
                                      "Cache-Control": "private, no-store"})


class FavouriteIn(BaseModel):
    photo_id: int
    viewer: str = Field(max_length=200)
    on: bool = True


@router.post("/favourites")
def favourite(token: str, body: FavouriteIn, request: Request, link: Link) -> dict:
    with transaction(request.app.state.sessions) as s:
        sv.set_favourite(s, link, body.photo_id, body.viewer, body.on)
        picked = sv.favourites_of(s, link.album_id, sv.clean_text(body.viewer, sv.MAX_VIEWER, "name"))
    return {"viewer": body.viewer, "photos": [p.id for ps in picked.values() for p in ps]}


@router.get("/favourites")
def favourites(token: str, request: Request, link: Link, viewer: str) -> dict:
    with transaction(request.app.state.sessions) as s:
        picked = sv.favourites_of(s, link.album_id, sv.clean_text(viewer, sv.MAX_VIEWER, "name"))
    return {"viewer": viewer, "photos": [p.id for ps in picked.values() for p in ps]}


# --- the live stream -------------------------------------------------------------------------

def _batch(request: Request, token: str, link_id: int, after: int) -> tuple[list[dict], bool]:
    """Events after ``after`` as SSE dicts, and whether the link is still active."""
    with transaction(request.app.state.sessions) as s:
        link = s.get(ShareLink, link_id)
        if link is None or sv.link_state(link) != "active":
            return [], False
        rows = events_after(s, link.album_id, after)
        ids = {e.photo_id for e in rows if e.photo_id is not None}
        photos = {p.id: p for p in s.scalars(select(Photo).where(Photo.id.in_(ids)))} if ids else {}
        out = []
        for e in rows:
            data = {"type": e.kind, "event_id": e.id, **json.loads(e.data or "{}")}
            if e.photo_id is not None:
                data["photo_id"] = e.photo_id
                photo = photos.get(e.photo_id)
                if photo is not None and e.kind != "deleted":
                    data["photo"] = public_photo_json(photo, link, token)
            out.append({"id": str(e.id), "data": json.dumps(data)})
        return out, True


@router.get("/events")
async def events(token: str, request: Request, link: Link, after: int | None = None):
    """Server-Sent Events: ``id:`` is the event number, ``data:`` a JSON object with ``type``
    (photo-added, preview-ready, developed, deleted, failed, album), ``photo_id`` and
    ``photo`` (as in album.json).  A reconnecting browser sends Last-Event-ID and gets every
    event after it; ``?after=N`` does the same for a first connection."""
    from sse_starlette.sse import EventSourceResponse

    settings = request.app.state.settings
    hub = request.app.state.hub
    header = request.headers.get("last-event-id", "")
    start = int(header) if header.isdigit() else (after if after is not None and after >= 0 else 0)
    link_id = link.id

    async def stream():
        last = start
        checked = time.monotonic()
        while not request.app.state.closing:
            batch, active = await anyio.to_thread.run_sync(_batch, request, token, link_id, last)
            if not active:
                return                     # revoked or expired while watching
            for item in batch:
                last = int(item["id"])
                yield item
            if len(batch) >= 500:
                continue
            await hub.wait(RECHECK_SECONDS)
            if time.monotonic() - checked > RECHECK_SECONDS:
                checked = time.monotonic()
                if await request.is_disconnected():
                    return

    return EventSourceResponse(stream(), ping=settings.ping_seconds,
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
