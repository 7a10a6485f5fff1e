"""Live events: rows in the events table, numbered by their id (the SSE ``id:`` field).

Writers insert an event in the same transaction as the change it reports.  On PostgreSQL a
transaction-scoped advisory lock makes event inserts commit in id order (a sequence alone
hands out ids at insert, not at commit, and a viewer reading "after 41" could miss 40 were it
to commit later), and ``NOTIFY lsquared_events`` wakes every server's streams; on SQLite
writes are serialized anyway and streams poll the table every ``poll_seconds``.
"""

from __future__ import annotations

import json

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .models import Event

CHANNEL = "lsquared_events"
EVENT_LOCK = 0x6C73710E
KINDS = ("photo-added", "preview-ready", "developed", "deleted", "failed", "album")


def add_event(session: Session, album_id: int, kind: str, photo_id: int | None = None, **data) -> None:
    """Record an event in the caller's transaction (published when it commits)."""
    assert kind in KINDS, kind
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_LOCK})
        session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": str(album_id)})
    session.add(Event(album_id=album_id, kind=kind, photo_id=photo_id, data=json.dumps(data)))


def events_after(session: Session, album_id: int, after: int, limit: int = 500) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.album_id == album_id, Event.id > after)
                                .order_by(Event.id).limit(limit)))


def last_event_id(session: Session, album_id: int) -> int:
    from sqlalchemy import func

    return session.execute(select(func.max(Event.id)).where(Event.album_id == album_id)).scalar() or 0
