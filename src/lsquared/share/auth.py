"""Who is asking: API and device tokens (Authorization: Bearer), browser sessions (cookie).

Every failure is the same 401 "invalid credentials" (never which part was wrong).  A request
authenticated by the session cookie that changes something must carry the session's CSRF
token (header ``X-CSRF-Token`` or form field ``csrf_token``): a cookie is sent by the browser
on any site's request, the token only by our own pages.  Bearer tokens are not ambient, so
they need none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio
from fastapi import HTTPException, Request
from sqlalchemy import select

from .models import ApiToken, WebSession
from .security import digests_equal, token_digest

SESSION_COOKIE = "lsq_session"
SESSION_SECONDS = 14 * 24 * 3600
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    via: str                    # api | session | upload
    album_id: int | None = None  # the one album of an upload-only token
    csrf: str | None = None      # the session's CSRF token


def unauthorized() -> HTTPException:
    return HTTPException(401, "invalid credentials", headers={"WWW-Authenticate": "Bearer"})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _lookup(request: Request, bearer: str | None, cookie: str | None) -> Principal | None:
    factory = request.app.state.sessions
    with factory() as s:
        if bearer is not None:
            digest = token_digest(bearer)
            row = s.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
            if row is None or row.revoked_at is not None or not digests_equal(row.token_hash, digest):
                return None
            if row.kind == "upload":
                return Principal(row.user_id, "upload", album_id=row.album_id)
            return Principal(row.user_id, "api")
        if cookie:
            digest = token_digest(cookie)
            row = s.scalar(select(WebSession).where(WebSession.token_hash == digest))
            if row is None or row.expires_at < time.time() or not digests_equal(row.token_hash, digest):
                return None
            return Principal(row.user_id, "session", csrf=row.csrf)
    return None


async def csrf_ok(request: Request, expected: str) -> bool:
    given = request.headers.get("x-csrf-token")
    if given is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            given = value if isinstance(value, str) else None
    return given is not None and digests_equal(given, expected)


async def authenticate(request: Request) -> Principal:
    """The caller (any kind of credential), or 401."""
    bearer = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE) if bearer is None else None
    principal = await anyio.to_thread.run_sync(_lookup, request, bearer, cookie)
    if principal is None:
        raise unauthorized()
    if principal.via == "session" and request.method not in SAFE_METHODS:
        if not await csrf_ok(request, principal.csrf or ""):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page")
    return principal


async def owner(request: Request) -> Principal:
    """An album owner's full credential (API token or browser session), not a device token."""
    principal = await authenticate(request)
    if principal.via == "upload":
        raise HTTPException(403, "this token can only upload to its album")
    return principal


async def optional_session(request: Request) -> Principal | None:
    """The logged-in user of a page request, or None (pages redirect to the login page)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return await anyio.to_thread.run_sync(_lookup, request, None, cookie)
