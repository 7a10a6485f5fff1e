"""The database schema (SQLAlchemy 2), one for SQLite and PostgreSQL.

Times are UNIX seconds (float) so both databases compare them the same way.  Secrets (API
tokens, share tokens, sessions) are stored only as SHA-256 hex digests; passwords as argon2
hashes.  The Alembic migrations in ``migrations/versions`` create exactly these tables.
"""

from __future__ import annotations

import time

from sqlalchemy import (BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

BigId = BigInteger().with_variant(Integer, "sqlite")   # SQLite autoincrements INTEGER keys only


def now() -> float:
    return time.time()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float, default=now)


class ApiToken(Base):
    """An API token (kind 'api': everything its user may do) or a device token (kind
    'upload': add photos to one album, nothing else)."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="api")
    album_id: Mapped[int | None] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), nullable=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[float] = mapped_column(Float, default=now)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class WebSession(Base):
    """A browser login: the cookie holds a random id (stored hashed) and the session's CSRF
    token is checked on every state-changing request made with the cookie."""
    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float, default=now)
    expires_at: Mapped[float] = mapped_column(Float)


class Album(Base):
    __tablename__ = "albums"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    look: Mapped[str] = mapped_column(String(200), default="standard")   # built-in name or file:<sha>.<ext> (.toml: a lab look)
    look_version: Mapped[int] = mapped_column(Integer, default=1)       # bumped on every look change
    created_at: Mapped[float] = mapped_column(Float, default=now)


class Photo(Base):
    """One uploaded original (a still or a video clip) in one album."""
    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("album_id", "sha256", name="uq_photo_album_sha"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))          # as the uploader named it: text, never a path
    kind: Mapped[str] = mapped_column(String(10))           # raw | image | video
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(12), default="waiting")   # waiting | preview | developed | failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    placeholder: Mapped[str | None] = mapped_column(String(100), nullable=True)   # ThumbHash, base64
    exif: Mapped[str | None] = mapped_column(Text, nullable=True)       # JSON: camera, lens, exposure ...
    recipe: Mapped[str | None] = mapped_column(Text, nullable=True)     # TOML of the resolved recipe
    rendition_key: Mapped[str | None] = mapped_column(String(80), nullable=True)  # folder of the current renditions
    developed_version: Mapped[int] = mapped_column(Integer, default=0)  # album look_version developed
    created_at: Mapped[float] = mapped_column(Float, default=now)


class Job(Base):
    """A unit of work for the develop processes, leased so a dead worker's job is taken again."""
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))           # preview | develop | video
    look_version: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=1)   # lower first: previews before develops
    state: Mapped[str] = mapped_column(String(10), default="pending")   # pending | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)


Index("ix_jobs_queue", Job.state, Job.priority, Job.id)


class Event(Base):
    """A numbered live event of an album (the SSE ``id:``); kept so a viewer resumes."""
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    album_id: Mapped[int] = mapped_column(Integer, index=True)    # no FK: deleting an album keeps no events anyway
    kind: Mapped[str] = mapped_column(String(20))   # photo-added | preview-ready | developed | deleted | failed | album
    photo_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[float] = mapped_column(Float, default=now)


class ShareLink(Base):
    __tablename__ = "share_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)   # None: never (only when asked)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    allow_download: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_originals: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_location: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_names: Mapped[bool] = mapped_column(Boolean, default=False)
    views: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)


class Favourite(Base):
    """A viewer's pick (client proofing): a typed name, no account."""
    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("photo_id", "viewer", name="uq_favourite_photo_viewer"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    viewer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float, default=now)


class Attempt(Base):
    """A failed login or share-password attempt, for slowing down guessing across processes."""
    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[float] = mapped_column(Float, default=now)
