"""The share service: live albums from the camera to every open browser.

``create_app(settings)`` builds the FastAPI application (JSON API, share links, SSE events);
``lsquared serve`` runs it under uvicorn beside ``--workers`` develop processes that take jobs
from the database.  See docs/share.md.  Heavy imports (FastAPI, SQLAlchemy) stay inside the
submodules so ``import lsquared.share`` is cheap.
"""

from __future__ import annotations

from .settings import Settings

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings):
    from .app import create_app as _create_app

    return _create_app(settings)
