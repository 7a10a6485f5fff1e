"""``create_app(settings)``: the FastAPI application of the share service.

The app holds no state of its own beyond ``app.state``: the settings, the database engine and
session factory (``sessions``), the file store (``store``), the signing key (``secret_key``) and
the ``hub`` that wakes live streams.  The schema is migrated when the app is made, so a fresh
data folder or database just works.

The HTML pages (``pages.py``, when present) plug in with ``install(app)`` or a ``router`` and use
the same pieces as the JSON API: ``auth.optional_session`` / ``auth.csrf_ok`` for the owner,
``api.do_login`` + ``api.set_session_cookie`` for the login form, ``public.open_link``,
``public.unlocked`` and ``public.album_view`` for a share link, ``service`` for every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .. import __version__
from .db import make_engine, migrate, session_factory
from .security import load_secret_key
from .service import Refused
from .settings import Settings
from .storage import Store

log = logging.getLogger("lsquared.share")

# the pages use only our own scripts, styles, images and the event stream; no inline script
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",          # share tokens are in URLs: never send them on
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


class Hub:
    """Wakes the live streams of this process when events may have been written: after a
    local commit, on a PostgreSQL NOTIFY, or (SQLite) when the poll interval passes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def wake_here(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Callable from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.wake_here)

    async def wait(self, timeout: float) -> None:
        event = self._event
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


async def _listen_postgres(url: str, hub: Hub) -> None:
    """LISTEN for events written by any process on the database; reconnect on loss."""
    import psycopg

    from .events import CHANNEL

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                hub.wake_here()
                async for _ in conn.notifies():
                    hub.wake_here()
        except asyncio.CancelledError:
            raise
        except Exception as exc:         # server restarted: the streams poll meanwhile
            log.warning("LISTEN connection lost (%s); retrying", exc)
            await asyncio.sleep(1.0)


async def _poll_events(app: FastAPI, hub: Hub, seconds: float) -> None:
    """One poll of the events table per process (not per viewer): wake the streams when the
    newest event number changes (SQLite; on PostgreSQL a slow safety net beside LISTEN)."""
    import anyio
    from sqlalchemy import func, select

    from .models import Event

    def newest() -> int:
        with app.state.sessions() as s:
            return s.execute(select(func.max(Event.id))).scalar() or 0

    last = -1
    while True:
        try:
            current = await anyio.to_thread.run_sync(newest)
        except Exception as exc:          # database busy or restarting: try again
            log.warning("event poll failed: %s", exc)
            current = last
        if current != last:
            last = current
            hub.wake_here()
        await asyncio.sleep(seconds)


def create_app(settings: Settings) -> FastAPI:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings)
    migrate(engine)
    hub = Hub()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        hub.bind(asyncio.get_running_loop())
        tasks = [asyncio.create_task(_poll_events(app, hub, 2.0 if settings.is_postgres else settings.poll_seconds))]
        if settings.is_postgres:
            tasks.append(asyncio.create_task(_listen_postgres(settings.url, hub)))
        try:
            yield
        finally:
            app.state.closing = True
            hub.wake_here()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(title="lsquared share", version=__version__, lifespan=lifespan,
                  description="Live albums: upload, develop, share. See docs/share.md.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.store = Store(settings.data_dir)
    app.state.secret_key = load_secret_key(settings.data_dir)
    app.state.hub = hub
    app.state.closing = False

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused):
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    from . import api, public, resumable

    app.include_router(api.router)
    app.include_router(public.router)
    app.include_router(resumable.router)          # chunked, resumable uploads (tus protocol)
    from .lab import router as lab_router

    app.include_router(lab_router)                # the look lab (issue 16)
    import importlib

    try:                             # the HTML pages (built beside this module)
        pages = importlib.import_module(f"{__package__}.pages")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.pages":
            raise
    else:                            # pages.py offers install(app) or a router
        if hasattr(pages, "install"):
            pages.install(app)
        else:
            app.include_router(pages.router)
    return app
