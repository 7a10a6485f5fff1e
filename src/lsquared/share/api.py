"""The JSON API under /api: login, albums, photos (upload), looks, share links, tokens, picks.

Everything an owner does goes through here (the pages' scripts and the CLI alike).  Database
work runs in FastAPI's thread pool (plain ``def`` handlers, or ``anyio.to_thread``), never on
the event loop; uploads stream to the store.
"""

from __future__ import annotations

import time
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, Field

from . import service as sv
from .auth import SESSION_COOKIE, SESSION_SECONDS, Principal, authenticate, owner, unauthorized
from .db import transaction
from .models import Photo, WebSession
from .serialize import album_json, download_name, link_json, photo_json, variants
from .security import (clear_failures, new_token, record_failure, token_digest, wait_seconds)
from .sniff import NotMedia, sniff
from .storage import TooLarge

router = APIRouter(prefix="/api")
Owner = Annotated[Principal, Depends(owner)]


def db(request: Request):
    return transaction(request.app.state.sessions)


def wake(request: Request) -> None:
    request.app.state.hub.notify()


def forget_originals(request: Request, digests: list[str]) -> None:
    """After a delete is committed: remove the originals no photo holds any more (the
    workers' sweep removes those kept for the grace period, see service.collect_originals)."""
    if digests:
        with db(request) as s:
            sv.collect_originals(s, request.app.state.store, digests)


# --- login -----------------------------------------------------------------------------------

class LoginIn(BaseModel):
    name: str = Field(max_length=200)
    password: str = Field(max_length=1000)


def login_scopes(name: str, address: str) -> list[str]:
    return [f"login:user:{name.lower()[:100]}", f"login:addr:{address}"]


def do_login(request: Request, name: str, password: str) -> tuple[str, str]:
    """Check a login (slowed down after repeated failures); returns (session cookie, csrf) or
    raises Refused 401/429.  Used by the JSON login and the pages' form."""
    settings = request.app.state.settings
    address = request.client.host if request.client else "?"
    scopes = login_scopes(name, address)
    with db(request) as s:       # per account, and (looser: offices share an address) per address
        wait = max(wait_seconds(s, scopes[:1], settings.login_free_failures),
                   wait_seconds(s, scopes[1:], 10 * settings.login_free_failures))
    if wait > 0:
        raise sv.Refused(429, f"too many failed logins; try again in {int(wait) + 1} s")
    with db(request) as s:
        user = sv.check_login(s, name, password)
        if user is None:
            record_failure(s, scopes)
        else:
            clear_failures(s, scopes)
            token, csrf = new_token(), new_token()
            s.add(WebSession(user_id=user.id, token_hash=token_digest(token), csrf=csrf,
                             expires_at=time.time() + SESSION_SECONDS))
    if user is None:
        raise sv.Refused(401, "invalid credentials")
    return token, csrf


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=request.app.state.settings.secure_cookies, path="/")


@router.post("/login")
def login(body: LoginIn, request: Request, response: Response) -> dict:
    token, csrf = do_login(request, body.name, body.password)
    set_session_cookie(request, response, token)
    return {"csrf_token": csrf}


@router.post("/logout")
def logout(request: Request, response: Response, who: Owner) -> dict:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with db(request) as s:
            s.query(WebSession).filter(WebSession.token_hash == token_digest(cookie)).delete()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}


@router.get("/me")
def me(request: Request, who: Owner) -> dict:
    from .models import User

    with db(request) as s:
        user = s.get(User, who.user_id)
        return {"id": user.id, "name": user.name, "csrf_token": who.csrf}


class TokenIn(BaseModel):
    label: str = Field("", max_length=200)


@router.post("/tokens")
def create_token(body: TokenIn, request: Request, who: Owner) -> dict:
    with db(request) as s:
        return {"token": sv.new_api_token(s, who.user_id, label=body.label)}


# --- albums ----------------------------------------------------------------------------------

class AlbumIn(BaseModel):
    title: str = Field(max_length=1000)
    look: str = Field("standard", max_length=200)


class AlbumPatch(BaseModel):
    title: str | None = Field(None, max_length=1000)
    look: str | None = Field(None, max_length=200)


@router.get("/looks")
def looks(who: Owner) -> dict:
    from ..looks.library import available_looks

    return {"looks": sorted(k for k, v in available_looks().items() if v == "builtin")}


@router.get("/albums")
def list_albums(request: Request, who: Owner) -> list[dict]:
    with db(request) as s:
        return [album_json(a, n) for a, n in sv.albums_of(s, who.user_id)]


@router.post("/albums", status_code=201)
def create_album(body: AlbumIn, request: Request, who: Owner) -> dict:
    with db(request) as s:
        return album_json(sv.create_album(s, who.user_id, body.title, body.look), 0)


@router.get("/albums/{album_id}")
def get_album(album_id: int, request: Request, who: Owner) -> dict:
    with db(request) as s:
        album = sv.album_of(s, who.user_id, album_id)
        photos = sv.photos_of(s, album.id)
        return {**album_json(album, len(photos)),
                "photos": [photo_json(p) for p in photos],
                "last_event_id": _last_event(s, album.id)}


def _last_event(s, album_id: int) -> int:
    from .events import last_event_id

    return last_event_id(s, album_id)


@router.patch("/albums/{album_id}")
def patch_album(album_id: int, body: AlbumPatch, request: Request, who: Owner) -> dict:
    with db(request) as s:
        album = sv.album_of(s, who.user_id, album_id)
        if body.title is not None:
            sv.rename_album(s, album, body.title)
        rerender = sv.set_look(s, album, body.look) if body.look is not None else 0
        out = {**album_json(album), "rerendering": rerender}
    wake(request)
    return out


@router.delete("/albums/{album_id}")
def delete_album(album_id: int, request: Request, who: Owner) -> dict:
    with db(request) as s:
        album = sv.album_of(s, who.user_id, album_id)
        digests = sv.album_digests(s, album.id)
        ids = sv.delete_album(s, album)
    store = request.app.state.store
    for pid in ids:
        store.remove_renditions(pid)
    forget_originals(request, digests)
    return {"deleted": album_id}


@router.post("/albums/{album_id}/look")
async def upload_look(album_id: int, request: Request, who: Owner, name: str = "look.cube") -> dict:
    """Upload a .cube or .vlt file (request body) as the album's look."""
    from ..looks.library import load_look_file

    store = request.app.state.store
    received = await _receive(request, 16 << 20)
    suffix = ".vlt" if name.lower().endswith(".vlt") else ".cube"
    target = store.look_file(f"{received.sha256}{suffix}")
    try:
        check_path = received.path.with_suffix(suffix)
        received.path.rename(check_path)
        try:
            await anyio.to_thread.run_sync(load_look_file, check_path)
        except Exception as exc:
            from ..errors import LsquaredError

            msg = exc.one_line() if isinstance(exc, LsquaredError) else "not a readable .cube/.vlt LUT"
            raise HTTPException(415, f"look file refused: {msg.replace(str(check_path), name)}") from None
        check_path.replace(target)
    finally:
        received.path.unlink(missing_ok=True)
        received.path.with_suffix(suffix).unlink(missing_ok=True)

    def apply():
        with db(request) as s:
            album = sv.album_of(s, who.user_id, album_id)
            n = sv.set_look(s, album, f"file:{target.name}", from_store=True)
            return {**album_json(album), "rerendering": n}

    out = await anyio.to_thread.run_sync(apply)
    wake(request)
    return out


# --- photos ----------------------------------------------------------------------------------

async def _receive(request: Request, limit: int):
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise HTTPException(413, f"the upload is larger than the limit of {limit} bytes")
    try:
        return await request.app.state.store.receive(request.stream(), limit)
    except TooLarge:
        raise HTTPException(413, f"the upload is larger than the limit of {limit} bytes") from None


async def store_upload(request: Request, who: Principal, album_id: int, received, name: str) -> tuple[dict, bool]:
    """Sniff a received file and add it to the album; (photo json, created)."""
    store = request.app.state.store
    try:
        kind = await anyio.to_thread.run_sync(sniff, received.path)
    except NotMedia as exc:
        store.discard(received)
        raise HTTPException(415, exc.one_line()) from None

    def record():
        with db(request) as s:
            album = sv.album_of(s, who.user_id, album_id)
            store.keep_original(received)
            photo, created = sv.add_photo(s, album, sha256=received.sha256, name=name, kind=kind.kind,
                                          media_type=kind.media_type, size=received.size)
            return photo_json(photo), created

    try:
        out = await anyio.to_thread.run_sync(record)
    finally:
        store.discard(received)
    wake(request)
    return out


def _check_uploader(who: Principal, album_id: int) -> None:
    if who.via == "upload" and who.album_id != album_id:
        raise HTTPException(403, "this token can only upload to its own album")


@router.post("/albums/{album_id}/photos", status_code=201)
async def upload_photo(album_id: int, request: Request, response: Response,
                       who: Annotated[Principal, Depends(authenticate)], name: str | None = None) -> dict:
    """Upload one file as the raw request body (``?name=`` or header X-Filename gives its
    name); 201 with the new photo, 200 with the existing one when the album holds the same
    content.  The file is streamed to disk and sniffed: 413 over the limit, 415 when it is
    not an image, raw or video."""
    from urllib.parse import unquote

    _check_uploader(who, album_id)
    limit = request.app.state.settings.upload_limit
    # the album must exist before a large body is read
    await anyio.to_thread.run_sync(_album_exists, request, who.user_id, album_id)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        raise HTTPException(415, "send the file as the request body (not multipart), with ?name=")
    received = await _receive(request, limit)
    given = name or unquote(request.headers.get("x-filename", "")) or "untitled"
    photo, created = await store_upload(request, who, album_id, received, given)
    if not created:
        response.status_code = 200
    return {**photo, "duplicate": not created}


def _album_exists(request: Request, user_id: int, album_id: int) -> None:
    with db(request) as s:
        sv.album_of(s, user_id, album_id)


@router.get("/albums/{album_id}/photos")
def list_photos(album_id: int, request: Request, who: Owner) -> list[dict]:
    with db(request) as s:
        sv.album_of(s, who.user_id, album_id)
        photos = sv.photos_of(s, album_id)
        errors = sv.job_errors(s, [p.id for p in photos if p.state == "failed"])
        return [photo_json(p, error=errors.get(p.id)) for p in photos]


@router.get("/photos/{photo_id}")
def get_photo(photo_id: int, request: Request, who: Owner) -> dict:
    with db(request) as s:
        return photo_json(sv.photo_of(s, who.user_id, photo_id))


@router.delete("/photos/{photo_id}")
def delete_photo(photo_id: int, request: Request, who: Owner) -> dict:
    with db(request) as s:
        photo = sv.photo_of(s, who.user_id, photo_id)
        digest = photo.sha256
        sv.delete_photo(s, photo)
    request.app.state.store.remove_renditions(photo_id)
    forget_originals(request, [digest])
    wake(request)
    return {"deleted": photo_id}


def rendition_response(request: Request, photo: Photo, variant: str) -> FileResponse:
    if variant not in variants(photo):
        raise HTTPException(404, "no such rendition (yet)")
    path = request.app.state.store.rendition(photo.id, photo.rendition_key, variant)
    if not path.exists():
        raise HTTPException(404, "no such rendition (yet)")
    media = {"jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4"}[variant.rsplit(".", 1)[1]]
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=86400"})


@router.get("/photos/{photo_id}/r/{variant}")
def owner_rendition(photo_id: int, variant: str, request: Request, who: Owner):
    with db(request) as s:
        photo = sv.photo_of(s, who.user_id, photo_id)
    return rendition_response(request, photo, variant)


@router.get("/photos/{photo_id}/original")
def owner_original(photo_id: int, request: Request, who: Owner):
    """The owner's own original, untouched (with its name)."""
    with db(request) as s:
        photo = sv.photo_of(s, who.user_id, photo_id)
    path = request.app.state.store.original(photo.sha256)
    return FileResponse(path, media_type=photo.media_type, filename=download_name(photo, True))


# --- share links and device tokens -----------------------------------------------------------

class ShareIn(BaseModel):
    expires: str | None = Field(None, max_length=20)   # 7d, 12h, 2w, never (None: the service default, 30d)
    password: str | None = Field(None, max_length=1000)
    download: bool = True
    originals: bool = False
    location: bool = False
    names: bool = False
    label: str = Field("", max_length=200)


def base_url(request: Request) -> str:
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


@router.post("/albums/{album_id}/shares", status_code=201)
def create_share(album_id: int, body: ShareIn, request: Request, who: Owner) -> dict:
    expires = body.expires or f"{request.app.state.settings.share_days}d"
    options = sv.LinkOptions(expires_seconds=sv.parse_duration(expires), password=body.password or None,
                             allow_download=body.download, allow_originals=body.originals,
                             allow_location=body.location, allow_names=body.names, label=body.label)
    with db(request) as s:
        link, token = sv.create_link(s, sv.album_of(s, who.user_id, album_id), options)
        return {**link_json(link, f"{base_url(request)}/s/{token}"), "token": token}


@router.get("/albums/{album_id}/shares")
def list_shares(album_id: int, request: Request, who: Owner) -> list[dict]:
    from sqlalchemy import select

    from .models import ShareLink

    with db(request) as s:
        sv.album_of(s, who.user_id, album_id)
        links = s.scalars(select(ShareLink).where(ShareLink.album_id == album_id).order_by(ShareLink.id))
        return [link_json(link) for link in links]


@router.delete("/shares/{ref:path}")
def revoke_share(ref: str, request: Request, who: Owner) -> dict:
    """Revoke a link given by its id, its token or its full URL."""
    with db(request) as s:
        link = sv.revoke_link(s, who.user_id, ref)
        out = link_json(link)
    wake(request)
    return out


class DeviceTokenIn(BaseModel):
    upload_only: bool = True
    label: str = Field("", max_length=200)


@router.post("/albums/{album_id}/tokens", status_code=201)
def album_token(album_id: int, body: DeviceTokenIn, request: Request, who: Owner) -> dict:
    """A device token: it can add photos to this album and do nothing else."""
    if not body.upload_only:
        raise HTTPException(422, "album tokens are upload-only; use /api/tokens for a full API token")
    with db(request) as s:
        sv.album_of(s, who.user_id, album_id)
        return {"token": sv.new_api_token(s, who.user_id, kind="upload", album_id=album_id, label=body.label),
                "album_id": album_id, "upload_only": True}


# --- proofing --------------------------------------------------------------------------------

@router.get("/albums/{album_id}/picks")
def picks(album_id: int, request: Request, who: Owner) -> dict:
    with db(request) as s:
        sv.album_of(s, who.user_id, album_id)
        return {viewer: [{"id": p.id, "name": p.name} for p in photos]
                for viewer, photos in sv.favourites_of(s, album_id).items()}


@router.get("/albums/{album_id}/picks.txt", response_class=PlainTextResponse)
def picks_text(album_id: int, request: Request, who: Owner, viewer: str | None = None) -> str:
    """The picked file names, one per line (all viewers, or one), for a photo editor's filter."""
    with db(request) as s:
        sv.album_of(s, who.user_id, album_id)
        names: list[str] = []
        for photos in sv.favourites_of(s, album_id, viewer).values():
            names.extend(p.name for p in photos if p.name not in names)
    return "".join(n + "\n" for n in names)
