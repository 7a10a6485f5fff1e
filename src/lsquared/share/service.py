"""What the service does, as plain functions on a database session: the JSON API, the pages
and the CLI's commands all go through these (one rule, one place).

Functions raise ``Refused(status, message)`` for what a caller may not do or ask; the web
layer turns it into that HTTP status.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import jobs
from .events import add_event
from .models import Album, ApiToken, Event, Favourite, Job, Photo, ShareLink, User
from .security import hash_password, new_token, token_digest, verify_password

MAX_TITLE = 300
MAX_NAME = 255
MAX_VIEWER = 100


class Refused(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


def clean_text(text: str | None, limit: int, what: str, *, required: bool = True) -> str:
    """User text as stored: control characters removed, whitespace collapsed, length limited.
    (Escaping is the templates' and JSON encoder's job, at output.)"""
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch == " ")
    text = re.sub(r"\s+", " ", text).strip()
    if required and not text:
        raise Refused(422, f"{what} must not be empty")
    return text[:limit]


def display_name(name: str | None) -> str:
    """The name shown for an upload: its last path component as text (never used as a path)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = clean_text(base, MAX_NAME, "name", required=False)
    return base if base not in ("", ".", "..") else "untitled"


# --- users and tokens ------------------------------------------------------------------------

def add_user(s: Session, name: str, password: str) -> User:
    name = clean_text(name, 100, "user name")
    if len(password) < 8:
        raise Refused(422, "the password must have at least 8 characters")
    if s.scalar(select(User).where(User.name == name)) is not None:
        raise Refused(409, f"user '{name}' exists already")
    user = User(name=name, password_hash=hash_password(password))
    s.add(user)
    s.flush()
    return user


def check_login(s: Session, name: str, password: str) -> User | None:
    user = s.scalar(select(User).where(User.name == name))
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok else None


def new_api_token(s: Session, user_id: int, *, kind: str = "api", album_id: int | None = None,
                  label: str = "") -> str:
    token = new_token()
    s.add(ApiToken(user_id=user_id, token_hash=token_digest(token), kind=kind, album_id=album_id,
                   label=clean_text(label, 200, "label", required=False)))
    return token


# --- albums ----------------------------------------------------------------------------------

def album_of(s: Session, user_id: int, album_id: int) -> Album:
    """The album if ``user_id`` owns it; 404 otherwise (not 403: no telling it exists)."""
    album = s.get(Album, album_id)
    if album is None or album.owner_id != user_id:
        raise Refused(404, "no such album")
    return album


def create_album(s: Session, user_id: int, title: str, look: str = "standard") -> Album:
    album = Album(owner_id=user_id, title=clean_text(title, MAX_TITLE, "title"),
                  look=check_look(look, from_store=False))
    s.add(album)
    s.flush()
    return album


def albums_of(s: Session, user_id: int) -> list[tuple[Album, int]]:
    counts = dict(s.execute(select(Photo.album_id, func.count(Photo.id)).join(Album)
                            .where(Album.owner_id == user_id).group_by(Photo.album_id)).all())
    albums = s.scalars(select(Album).where(Album.owner_id == user_id).order_by(Album.id.desc())).all()
    return [(a, counts.get(a.id, 0)) for a in albums]


def check_look(look: str, *, from_store: bool) -> str:
    """A built-in look's canonical name, or a look file's reference (``file:<sha256>.<ext>``)
    only when ``from_store``: the server itself put that file in the store (an uploaded
    .cube/.vlt, a look applied from the lab).  A reference typed into a form or a JSON body is
    refused, so nobody sets a look file that does not exist or is not theirs."""
    from ..looks.library import available_looks

    if look.startswith("file:"):
        if not from_store:
            raise Refused(422, "a look file is set by uploading it (POST /api/albums/{id}/look) or "
                          "applying it from the look lab, not by name")
        if not re.fullmatch(r"file:[0-9a-f]{64}\.(cube|vlt|toml)", look):
            raise Refused(422, "bad look file reference")
        return look
    from ..registry import canonical

    name = canonical(look) if look else "standard"
    builtin = {k for k, v in available_looks().items() if v == "builtin"}
    if name not in builtin:
        raise Refused(422, f"unknown look '{look}'; choose one of: {', '.join(sorted(builtin))}")
    return name


def rename_album(s: Session, album: Album, title: str) -> None:
    album.title = clean_text(title, MAX_TITLE, "title")
    add_event(s, album.id, "album", title=album.title)


def set_look(s: Session, album: Album, look: str, *, from_store: bool = False) -> int:
    """Change the album's look and queue a re-render of every photo; returns how many.
    ``from_store``: ``look`` is a look file the server stored itself (see check_look)."""
    if look == album.look:
        return 0
    look = check_look(look, from_store=from_store)
    if look == album.look:
        return 0
    album.look = look
    album.look_version += 1
    photos = s.scalars(select(Photo).where(Photo.album_id == album.id)).all()
    for p in photos:
        jobs.enqueue(s, p.id, "video" if p.kind == "video" else "develop", album.look_version)
    add_event(s, album.id, "album", look=look)
    return len(photos)


def delete_album(s: Session, album: Album) -> list[int]:
    ids = list(s.scalars(select(Photo.id).where(Photo.album_id == album.id)))
    s.execute(delete(Event).where(Event.album_id == album.id))
    s.delete(album)
    return ids


# --- photos ----------------------------------------------------------------------------------

def add_photo(s: Session, album: Album, *, sha256: str, name: str, kind: str, media_type: str,
              size: int) -> tuple[Photo, bool]:
    """Record an upload; (photo, False) when the album already holds the same content."""
    existing = s.scalar(select(Photo).where(Photo.album_id == album.id, Photo.sha256 == sha256))
    if existing is not None:
        return existing, False
    photo = Photo(album_id=album.id, sha256=sha256, name=display_name(name), kind=kind,
                  media_type=media_type, size=size, state="waiting")
    try:
        with s.begin_nested():
            s.add(photo)
            s.flush()
    except IntegrityError:      # the same content arrived at the same moment through another request
        return s.scalar(select(Photo).where(Photo.album_id == album.id, Photo.sha256 == sha256)), False
    if kind == "video":
        jobs.enqueue(s, photo.id, "video", album.look_version)
    else:
        jobs.enqueue(s, photo.id, "preview", album.look_version)
        jobs.enqueue(s, photo.id, "develop", album.look_version)
    add_event(s, album.id, "photo-added", photo.id)
    return photo, True


def photo_of(s: Session, user_id: int, photo_id: int) -> Photo:
    photo = s.get(Photo, photo_id)
    if photo is None or s.get(Album, photo.album_id).owner_id != user_id:
        raise Refused(404, "no such photo")
    return photo


def delete_photo(s: Session, photo: Photo) -> None:
    add_event(s, photo.album_id, "deleted", photo.id)
    s.delete(photo)


def album_digests(s: Session, album_id: int) -> list[str]:
    """The SHA-256 of the originals an album's photos hold."""
    return list(s.scalars(select(Photo.sha256).where(Photo.album_id == album_id)))


def collect_originals(s: Session, store, digests=None) -> list[str]:
    """Remove from ``store`` the originals no photo holds any more (of ``digests``, or of the
    whole store): a deleted photo's file does not stay on the server.  Content is shared
    between albums, so an original goes only with the last photo holding it; one kept or used
    within the store's grace period is left for a later pass.  Returns the removed digests."""
    candidates = sorted(set(store.original_digests() if digests is None else digests))
    removed = []
    for start in range(0, len(candidates), 500):            # bounded IN lists
        chunk = candidates[start:start + 500]
        held = set(s.scalars(select(Photo.sha256).where(Photo.sha256.in_(chunk))))
        removed += [d for d in chunk if d not in held and store.remove_original(d)]
    return removed


def photos_of(s: Session, album_id: int) -> list[Photo]:
    return list(s.scalars(select(Photo).where(Photo.album_id == album_id).order_by(Photo.id)))


def job_errors(s: Session, photo_ids: list[int]) -> dict[int, str]:
    rows = s.execute(select(Job.photo_id, Job.error).where(Job.photo_id.in_(photo_ids), Job.error.is_not(None))
                     .order_by(Job.id)).all()
    return {pid: err for pid, err in rows}


# --- share links -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LinkOptions:
    expires_seconds: float | None        # None: never expires (only when asked)
    password: str | None = None
    allow_download: bool = True
    allow_originals: bool = False
    allow_location: bool = False
    allow_names: bool = False
    label: str = ""


def parse_duration(text: str) -> float | None:
    """'30d', '12h', '90m', '2w', 'never' -> seconds (None for never)."""
    t = text.strip().lower()
    if t in ("never", "none", "0"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", t)
    if not m:
        raise Refused(422, f"cannot read duration '{text}'; use e.g. 7d, 12h, 2w or never")
    value = float(m.group(1)) * {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
    if value <= 0:
        raise Refused(422, "the expiry must be in the future")
    return value


def create_link(s: Session, album: Album, options: LinkOptions) -> tuple[ShareLink, str]:
    token = new_token()
    link = ShareLink(album_id=album.id, token_hash=token_digest(token),
                     label=clean_text(options.label, 200, "label", required=False),
                     expires_at=None if options.expires_seconds is None else time.time() + options.expires_seconds,
                     password_hash=hash_password(options.password) if options.password else None,
                     allow_download=options.allow_download, allow_originals=options.allow_originals,
                     allow_location=options.allow_location, allow_names=options.allow_names)
    s.add(link)
    s.flush()
    return link, token


def link_state(link: ShareLink, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    return "active"


def live_link(s: Session, token: str) -> ShareLink | None:
    """The active link a token opens, or None (unknown, expired, revoked: all look the same)."""
    from .security import digests_equal

    if not token or len(token) > 100:
        return None
    digest = token_digest(token)
    link = s.scalar(select(ShareLink).where(ShareLink.token_hash == digest))
    if link is None or not digests_equal(link.token_hash, digest) or link_state(link) != "active":
        return None
    return link


def revoke_link(s: Session, user_id: int, ref: str) -> ShareLink:
    """Revoke by link id, token or full link URL (owner only)."""
    ref = ref.strip().rstrip("/")
    token = ref.rsplit("/s/", 1)[1].split("/")[0] if "/s/" in ref else ref
    link = s.get(ShareLink, int(ref)) if ref.isdigit() else \
        s.scalar(select(ShareLink).where(ShareLink.token_hash == token_digest(token)))
    if link is None or s.get(Album, link.album_id).owner_id != user_id:
        raise Refused(404, "no such share link")
    if link.revoked_at is None:
        link.revoked_at = time.time()
    return link


def count_view(s: Session, link: ShareLink) -> None:
    s.execute(update(ShareLink).where(ShareLink.id == link.id).values(views=ShareLink.views + 1))


# --- proofing --------------------------------------------------------------------------------

def set_favourite(s: Session, link: ShareLink, photo_id: int, viewer: str, on: bool) -> None:
    viewer = clean_text(viewer, MAX_VIEWER, "name")
    photo = s.get(Photo, photo_id)
    if photo is None or photo.album_id != link.album_id:
        raise Refused(404, "no such photo")
    existing = s.scalar(select(Favourite).where(Favourite.photo_id == photo_id, Favourite.viewer == viewer))
    if on and existing is None:
        s.add(Favourite(link_id=link.id, photo_id=photo_id, viewer=viewer))
    elif not on and existing is not None:
        s.delete(existing)


def favourites_of(s: Session, album_id: int, viewer: str | None = None) -> dict[str, list[Photo]]:
    """viewer name -> the photos they picked (in album order)."""
    q = select(Favourite.viewer, Photo).join(Photo, Photo.id == Favourite.photo_id) \
        .where(Photo.album_id == album_id).order_by(Favourite.viewer, Photo.id)
    if viewer is not None:
        q = q.where(Favourite.viewer == viewer)
    picks: dict[str, list[Photo]] = {}
    for name, photo in s.execute(q).all():
        picks.setdefault(name, []).append(photo)
    return picks


def exif_of(photo: Photo) -> dict:
    return json.loads(photo.exif) if photo.exif else {}
