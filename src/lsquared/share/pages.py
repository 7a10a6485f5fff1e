"""The HTML pages of the share service: the owner's pages and the shared gallery ``/s/<token>``.

Server-rendered Jinja2 templates (autoescape on: every title, file name and EXIF string is
text, never markup) with a little plain JavaScript from ``static/`` (the CSP allows scripts,
styles and connections from 'self' only: no inline script or style anywhere).  Every page
works without JavaScript as plain HTML; scripts add drag-and-drop upload with progress, the
full-screen viewer, favourites and the live updates.

- Owner pages authenticate with the session cookie (``auth.optional_session``); every form
  that changes something carries the session's CSRF token; the login and unlock forms carry
  a double-submit token of their own (no session exists yet).
- Live updates: the shared page listens to ``/s/<token>/events`` (the backend's stream) and
  the owner's album page to ``/albums/<id>/events`` (here); on each event the script fetches
  the photo's tile as an HTML fragment rendered by the same template as the page, so there
  is one markup for a tile and one escaping rule.
- Placeholders: the photo's ThumbHash is decoded here into a tiny WebP data URL painted as
  the tile's first layer, sized by the photo's width and height attributes: the grid never
  moves when the thumbnails arrive.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import time
from pathlib import Path
from urllib.parse import quote

import anyio
import jinja2
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select

from . import service as sv
from .api import forget_originals
from .auth import SESSION_COOKIE, Principal, optional_session
from .db import transaction
from .events import events_after, last_event_id
from .models import Photo, ShareLink, User, WebSession
from .security import digests_equal, new_token, sign, token_digest, unsign
from .serialize import photo_json, public_photo_json

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOGIN_CSRF_COOKIE = "lsq_login_csrf"
FLASH_COOKIE = "lsq_flash"
EXPIRY_CHOICES = (("1d", "1 day"), ("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days"),
                  ("365d", "1 year"), ("never", "Never"))

router = APIRouter(include_in_schema=False)

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


@functools.cache
def static_url(name: str) -> str:
    """/static/<name>?v=<content hash>: browsers may cache it for long, a new version is a new URL."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


_env.globals["static"] = static_url
_env.filters["date"] = lambda t: time.strftime("%-d %B %Y", time.gmtime(t))


def render(template: str, status: int = 200, **context) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the share app (called by ``create_app``)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)


# --- what a page shows of a photo ------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def placeholder_data_url(thumbhash_b64: str | None) -> str | None:
    """The ThumbHash as a tiny (32-pixel) WebP data URL, None when there is none or it cannot
    be read.  WebP: about 140 bytes where a PNG of the same blur takes 950, and a gallery page
    carries one per photo."""
    if not thumbhash_b64:
        return None
    from PIL import Image

    from .thumbhash import thumbhash_to_rgb

    try:
        rgb = thumbhash_to_rgb(base64.b64decode(thumbhash_b64))
    except (ValueError, IndexError):
        return None
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "WEBP", quality=80)
    return "data:image/webp;base64," + base64.b64encode(buf.getvalue()).decode()


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def exposure_text(seconds: float | None) -> str | None:
    """1/250 s, 0.5 s, 2 s: shutter speeds as cameras print them."""
    if not seconds or seconds <= 0:
        return None
    if seconds < 0.3:
        return f"1/{round(1 / seconds)} s"
    return f"{_number(seconds)} s"


def exif_line(exif: dict) -> str:
    """Camera · lens · 35 mm · f/2.8 · 1/250 s · ISO 400 · by Artist (only what the file says)."""
    parts = [exif.get("camera"), exif.get("lens")]
    if exif.get("focal_length"):
        parts.append(f"{_number(exif['focal_length'])} mm")
    if exif.get("f_number"):
        parts.append(f"f/{_number(exif['f_number'])}")
    parts.append(exposure_text(exif.get("exposure_time")))
    if exif.get("iso"):
        parts.append(f"ISO {round(exif['iso'])}")
    if exif.get("artist"):
        parts.append(f"by {exif['artist']}")
    return " · ".join(str(p) for p in parts if p and str(p) != "unknown")


def tile_view(data: dict) -> dict:
    """A photo as the templates draw it, from the API's or a link's JSON shape."""
    urls = data.get("urls", {})
    w, h = data.get("width"), data.get("height")
    if not (w and h):
        w, h = 1500, 1000                   # until the first rendition says: a 3:2 frame
    return {"name": None, "original_url": None, "error": None, **data, "w": w, "h": h, "ph": placeholder_data_url(data.get("placeholder")),
            "thumb": urls.get("thumb.jpg"), "thumb_webp": urls.get("thumb.webp"), "thumb_avif": urls.get("thumb.avif"),
            "web": urls.get("web.jpg"), "web_webp": urls.get("web.webp"), "web_avif": urls.get("web.avif"),
            "full": urls.get("full.jpg"),
            "video": urls.get("video.mp4"), "poster": urls.get("poster.jpg"),
            "exif_line": exif_line(data.get("exif") or {}),
            "version": f"{data.get('state')}:{urls.get('thumb.jpg', '')}"}


# --- owner: session, CSRF, errors ------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect through the login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/albums"


async def _session_or_redirect(request: Request) -> Principal | RedirectResponse:
    who = await optional_session(request)
    if who is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return who


async def _form(request: Request, who: Principal) -> dict:
    """The posted form, after its CSRF token is checked against the session's (403 if not)."""
    form = await request.form()
    given = form.get("csrf_token")
    if not isinstance(given, str) or not digests_equal(given, who.csrf or ""):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _user_name(request: Request, user_id: int) -> str:
    with transaction(request.app.state.sessions) as s:
        return s.get(User, user_id).name


def _refused_page(exc: sv.Refused) -> HTMLResponse:
    titles = {404: "Not found", 422: "That did not work"}
    message = exc.message[:1].upper() + exc.message[1:] + ("" if exc.message.endswith(".") else ".")
    return render("error.html", status=exc.status, status_code=titles.get(exc.status, exc.status),
                  message=message, back=("/albums", "Back to your albums"))


def _owner_photo(request: Request, photo: Photo, error: str | None) -> dict:
    """A photo's tile on the owner's page; an error names the upload, not the store's path."""
    if error:
        error = error.replace(str(request.app.state.store.original(photo.sha256)), photo.name)
    return tile_view({**photo_json(photo), "error": error})


# --- login -----------------------------------------------------------------------------------

@router.get("/")
async def home(request: Request):
    who = await optional_session(request)
    return RedirectResponse("/albums" if who else "/login", status_code=303)


def _login_page(request: Request, *, error: str | None = None, name: str = "", status: int = 200) -> HTMLResponse:
    token = new_token()
    response = render("login.html", status=status, csrf=token, error=error, name=name,
                      next=_safe_next(request.query_params.get("next")), user=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path="/login")
    return response


@router.get("/login")
async def login_page(request: Request):
    if await optional_session(request):
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return _login_page(request)


@router.post("/login")
async def login_submit(request: Request):
    from .api import do_login, set_session_cookie

    form = await request.form()
    name, password = str(form.get("name", ""))[:200], str(form.get("password", ""))[:1000]
    cookie, given = request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")
    if not cookie or not isinstance(given, str) or not digests_equal(cookie, given):
        return _login_page(request, error="The form had expired. Please try again.", name=name, status=403)
    try:
        token, _csrf = await anyio.to_thread.run_sync(do_login, request, name, password)
    except sv.Refused as exc:
        message = "Wrong name or password." if exc.status == 401 else exc.message.capitalize() + "."
        return _login_page(request, error=message, name=name, status=exc.status)
    response = RedirectResponse(_safe_next(str(form.get("next", ""))), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request):
    who = await optional_session(request)
    if who is not None:
        await _form(request, who)

        def forget() -> None:
            with transaction(request.app.state.sessions) as s:
                s.query(WebSession).filter(
                    WebSession.token_hash == token_digest(request.cookies.get(SESSION_COOKIE, ""))).delete()

        await anyio.to_thread.run_sync(forget)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- albums ----------------------------------------------------------------------------------

def _albums(request: Request, user_id: int) -> list[dict]:
    with transaction(request.app.state.sessions) as s:
        albums = sv.albums_of(s, user_id)
        ids = [a.id for a, _ in albums]
        covers: dict[int, list[Photo]] = {}
        if ids:                 # the first three pictures of each album make its cover
            for p in s.scalars(select(Photo).where(Photo.album_id.in_(ids), Photo.rendition_key.is_not(None))
                               .order_by(Photo.id)):
                if len(covers.setdefault(p.album_id, [])) < 3:
                    covers[p.album_id].append(p)
        links = s.scalars(select(ShareLink).where(ShareLink.album_id.in_(ids))).all() if ids else []
        shared = {link.album_id for link in links if sv.link_state(link) == "active"}
        return [{"id": album.id, "title": album.title, "count": count, "look": album.look,
                 "created_at": album.created_at, "shared": album.id in shared,
                 "covers": [tile_view(photo_json(p)) for p in covers.get(album.id, [])]}
                for album, count in albums]


@router.get("/albums")
async def albums_page(request: Request):
    who = await _session_or_redirect(request)
    if isinstance(who, Response):
        return who
    albums = await anyio.to_thread.run_sync(_albums, request, who.user_id)
    user = await anyio.to_thread.run_sync(_user_name, request, who.user_id)
    return render("albums.html", albums=albums, csrf=who.csrf, user=user, looks=_builtin_looks(),
                  error=request.query_params.get("error"))


@router.post("/albums")
async def album_create(request: Request):
    who = await _session_or_redirect(request)
    if isinstance(who, Response):
        return who
    form = await _form(request, who)

    def create() -> int:
        with transaction(request.app.state.sessions) as s:
            return sv.create_album(s, who.user_id, form.get("title", ""), form.get("look") or "standard").id

    try:
        album_id = await anyio.to_thread.run_sync(create)
    except sv.Refused as exc:
        return RedirectResponse(f"/albums?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"/albums/{album_id}", status_code=303)


def _builtin_looks() -> list[str]:
    from ..looks.library import available_looks

    return sorted(k for k, v in available_looks().items() if v == "builtin")


def _album_page_data(request: Request, user_id: int, album_id: int) -> dict:
    from .serialize import link_json

    with transaction(request.app.state.sessions) as s:
        album = sv.album_of(s, user_id, album_id)
        photos = sv.photos_of(s, album.id)
        errors = sv.job_errors(s, [p.id for p in photos if p.state == "failed"])
        links = [link_json(link) for link in
                 s.scalars(select(ShareLink).where(ShareLink.album_id == album.id).order_by(ShareLink.id.desc()))]
        picks = {viewer: [p.name for p in ps] for viewer, ps in sv.favourites_of(s, album.id).items()}
        counts: dict[str, int] = {}
        for p in photos:
            counts[p.state] = counts.get(p.state, 0) + 1
        from .lab import album_look_label

        lab_photo = next((p.id for p in photos if p.kind != "video"), None)
        return {"album": {"id": album.id, "title": album.title, "look": album.look,
                          "look_label": album_look_label(request.app.state.store, album.look),
                          "lab_photo": lab_photo, "created_at": album.created_at},
                "photos": [_owner_photo(request, p, p.error or errors.get(p.id)) for p in photos],
                "links": links, "picks": picks, "counts": counts,
                "last_event_id": last_event_id(s, album.id)}


@router.get("/albums/{album_id}")
async def album_page(album_id: int, request: Request):
    who = await _session_or_redirect(request)
    if isinstance(who, Response):
        return who
    try:
        data = await anyio.to_thread.run_sync(_album_page_data, request, who.user_id, album_id)
    except sv.Refused as exc:
        return _refused_page(exc)
    new_link = unsign(request.app.state.secret_key, request.cookies.get(FLASH_COOKIE))
    if new_link and not new_link.startswith(f"{album_id}|"):
        new_link = None
    user = await anyio.to_thread.run_sync(_user_name, request, who.user_id)
    from .api import base_url

    default_expiry = f"{request.app.state.settings.share_days}d"
    choices = EXPIRY_CHOICES if any(v == default_expiry for v, _ in EXPIRY_CHOICES) else \
        ((default_expiry, f"{request.app.state.settings.share_days} days"),) + EXPIRY_CHOICES
    response = render("album.html", **data, csrf=who.csrf, user=user, looks=_builtin_looks(),
                      expiry_choices=choices, default_expiry=default_expiry,
                      new_link=f"{base_url(request)}/s/{new_link.split('|', 1)[1]}" if new_link else None,
                      error=request.query_params.get("error"),
                      upload_limit=request.app.state.settings.upload_limit, now=time.time())
    if new_link:
        response.delete_cookie(FLASH_COOKIE, path=f"/albums/{album_id}")
    return response


def _album_action(action):
    """A POST form on an album: session + CSRF, then ``action(session, album, form)`` in a
    transaction; back to the album page (or where the action says), errors shown there."""

    async def endpoint(album_id: int, request: Request):
        who = await _session_or_redirect(request)
        if isinstance(who, Response):
            return who
        form = await _form(request, who)

        def run():
            with transaction(request.app.state.sessions) as s:
                result = action(request, s, sv.album_of(s, who.user_id, album_id), form)
            forget_originals(request, getattr(request.state, "deleted_digests", []))   # committed
            return result

        back = _safe_next(form["next"]) if form.get("next") else f"/albums/{album_id}"   # the albums list's menu
        try:
            result = await anyio.to_thread.run_sync(run)
        except sv.Refused as exc:
            if exc.status == 404:
                return _refused_page(exc)
            return RedirectResponse(f"{back}?error={quote(exc.message)}", status_code=303)
        request.app.state.hub.notify()
        return result if isinstance(result, Response) else RedirectResponse(f"{back}{result or ''}", status_code=303)

    return endpoint


def _rename(request, s, album, form):
    sv.rename_album(s, album, form.get("title", ""))


def _set_look(request, s, album, form):
    sv.set_look(s, album, form.get("look", ""))


def _delete_album(request, s, album, form):
    if form.get("confirm_title", "").strip() != album.title:
        raise sv.Refused(422, "type the album's title to confirm deleting it")
    request.state.deleted_digests = sv.album_digests(s, album.id)
    ids = sv.delete_album(s, album)
    for pid in ids:
        request.app.state.store.remove_renditions(pid)
    return RedirectResponse("/albums", status_code=303)


def _delete_photo(request, s, album, form):
    photo_id = form.get("photo_id", "")
    photo = sv.photo_of(s, album.owner_id, int(photo_id)) if photo_id.isdigit() else None
    if photo is None or photo.album_id != album.id:
        raise sv.Refused(404, "no such photo")
    request.state.deleted_digests = [photo.sha256]
    sv.delete_photo(s, photo)
    request.app.state.store.remove_renditions(photo.id)


def _create_share(request, s, album, form):
    expires = form.get("expires") or f"{request.app.state.settings.share_days}d"
    options = sv.LinkOptions(expires_seconds=sv.parse_duration(expires), password=form.get("password") or None,
                             allow_download="download" in form, allow_originals="originals" in form,
                             allow_location="location" in form, allow_names="names" in form,
                             label=form.get("label", ""))
    _link, token = sv.create_link(s, album, options)
    # the token is shown once (only its hash is kept): carried to the next page in a signed cookie
    response = RedirectResponse(f"/albums/{album.id}#share", status_code=303)
    response.set_cookie(FLASH_COOKIE, sign(request.app.state.secret_key, f"{album.id}|{token}", 300),
                        max_age=300, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path=f"/albums/{album.id}")
    return response


def _revoke_share(request, s, album, form):
    link_id = form.get("link_id", "")
    link = s.get(ShareLink, int(link_id)) if link_id.isdigit() else None
    if link is None or link.album_id != album.id:
        raise sv.Refused(404, "no such share link")
    sv.revoke_link(s, album.owner_id, str(link.id))
    return "#share"


for _path, _action in (("rename", _rename), ("look", _set_look), ("delete", _delete_album),
                       ("photos/delete", _delete_photo), ("shares", _create_share),
                       ("shares/revoke", _revoke_share)):
    router.add_api_route(f"/albums/{{album_id}}/{_path}", _album_action(_action), methods=["POST"])


@router.get("/albums/{album_id}/tiles/{photo_id}")
async def owner_tile(album_id: int, photo_id: int, request: Request):
    """One photo's tile on the owner's page (the live updates' fragment)."""
    who = await optional_session(request)
    if who is None:
        raise HTTPException(401, "invalid credentials")

    def load() -> dict:
        with transaction(request.app.state.sessions) as s:
            photo = sv.photo_of(s, who.user_id, photo_id)
            if photo.album_id != album_id:
                raise sv.Refused(404, "no such photo")
            errors = sv.job_errors(s, [photo.id]) if photo.state == "failed" else {}
            return _owner_photo(request, photo, photo.error or errors.get(photo.id))

    try:
        photo = await anyio.to_thread.run_sync(load)
    except sv.Refused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return render("owner_tile.html", photo=photo, album={"id": album_id}, csrf=who.csrf)


@router.get("/albums/{album_id}/events")
async def owner_events(album_id: int, request: Request, after: int | None = None):
    """The album's live events for its owner's page (type and photo id; the page fetches the
    tile).  Same numbering and resume rules as a share link's stream."""
    import json

    from sse_starlette.sse import EventSourceResponse

    who = await optional_session(request)
    if who is None:
        raise HTTPException(401, "invalid credentials")

    def check() -> None:
        with transaction(request.app.state.sessions) as s:
            sv.album_of(s, who.user_id, album_id)

    try:
        await anyio.to_thread.run_sync(check)
    except sv.Refused as exc:
        raise HTTPException(exc.status, exc.message) from None
    header = request.headers.get("last-event-id", "")
    start = int(header) if header.isdigit() else max(after or 0, 0)
    hub = request.app.state.hub

    def batch(after_id: int) -> list[dict]:
        with transaction(request.app.state.sessions) as s:
            return [{"id": str(e.id), "data": json.dumps({"type": e.kind, "photo_id": e.photo_id, "event_id": e.id,
                                                          **json.loads(e.data or "{}")})}
                    for e in events_after(s, album_id, after_id)]

    async def stream():
        last = start
        while not request.app.state.closing:
            for item in await anyio.to_thread.run_sync(batch, last):
                last = int(item["id"])
                yield item
            await hub.wait(5.0)
            if await request.is_disconnected():
                return

    return EventSourceResponse(stream(), ping=request.app.state.settings.ping_seconds,
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# --- the shared gallery ----------------------------------------------------------------------

def _gallery_data(request: Request, link: ShareLink, token: str) -> dict:
    from .public import album_view

    view = album_view(request, link, token, count=True)
    photos = [tile_view(p) for p in view["photos"] if p["state"] != "failed"]
    return {**view, "photos": photos}


def _open(request: Request, token: str):
    """(link, None) for an open link, or (None, the page to answer instead)."""
    from .public import _link, unlocked

    link = _link(request, token)
    if link is None:
        return None, render("error.html", status=404, status_code="Not found", back=None,
                            message="This link does not exist, has expired or was withdrawn. "
                                    "Ask the photographer for a new one.")
    if not unlocked(request, link):
        from .public import UNLOCK_CSRF_COOKIE

        csrf = new_token()          # (the album's title is not shown before the password)
        page = render("unlock.html", status=401, token=token, csrf=csrf,
                      wrong=request.query_params.get("wrong") == "1",
                      expired=request.query_params.get("expired") == "1")
        page.set_cookie(UNLOCK_CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path=f"/s/{token}")
        return None, page
    return link, None


@router.get("/s/{token}")
async def gallery(token: str, request: Request):
    link, page = await anyio.to_thread.run_sync(_open, request, token)
    if link is None:
        return page
    data = await anyio.to_thread.run_sync(_gallery_data, request, link, token)
    return render("gallery.html", **data, token=token, names=link.allow_names)


@router.get("/s/{token}/photo/{photo_id}")
async def gallery_photo(token: str, photo_id: int, request: Request):
    """One photo on its own page: the viewer of a browser without JavaScript."""
    link, page = await anyio.to_thread.run_sync(_open, request, token)
    if link is None:
        return page
    from .public import album_view

    data = await anyio.to_thread.run_sync(album_view, request, link, token, False)
    photos = [tile_view(p) for p in data["photos"] if p["state"] != "failed"]
    index = next((i for i, p in enumerate(photos) if p["id"] == photo_id), None)
    if index is None:
        return render("error.html", status=404, status_code="Not found", back=(f"/s/{token}", "See the album"),
                      message="This photo is no longer in the album.")
    return render("photo.html", title=data["title"], token=token, photo=photos[index], index=index,
                  total=len(photos), download=data["download"], originals=data["originals"],
                  prev=photos[index - 1] if index > 0 else None,
                  next=photos[index + 1] if index + 1 < len(photos) else None)


@router.get("/s/{token}/tile/{photo_id}")
async def gallery_tile(token: str, photo_id: int, request: Request):
    """One photo's tile on the shared page (the live updates' fragment); 404 once it is gone."""
    from .public import open_link

    link = await open_link(token, request)

    def load() -> dict | None:
        with transaction(request.app.state.sessions) as s:
            photo = s.get(Photo, photo_id)
            if photo is None or photo.album_id != link.album_id or photo.state == "failed":
                return None
            return tile_view(public_photo_json(photo, link, token))

    photo = await anyio.to_thread.run_sync(load)
    if photo is None:
        raise HTTPException(404, "no such photo")
    return render("tile.html", photo=photo, token=token,
                  download=link.allow_download, originals=link.allow_download and link.allow_originals)
