"""Resumable uploads in chunks, the way the tus protocol does them (tus 1.0.0, core plus the
creation, expiration and termination extensions: https://tus.io/protocols/resumable-upload).

    POST   /api/albums/{id}/uploads   Upload-Length: N  [Upload-Metadata: filename <base64>]
                                      -> 201, Location: /api/uploads/{upload id}
    HEAD   /api/uploads/{upload id}   -> Upload-Offset (the bytes confirmed), Upload-Length
    PATCH  /api/uploads/{upload id}   Upload-Offset: k, Content-Type: application/offset+octet-stream
                                      -> 204 and the new Upload-Offset; the chunk that completes
                                      the file answers 201/200 with the photo, as a plain upload
    DELETE /api/uploads/{upload id}   -> 204 (the partial upload is dropped)

The partial file lives in ``<data>/uploads/<id>.part`` and its confirmed length in the
``resumable_uploads`` table.  A chunk is written, flushed to disk (fsync) and only then is the
new offset committed, so the offset the server reports is always on disk; bytes past it (a
server killed between the write and the commit) are cut off by the next PATCH.  When the
connection breaks in the middle of a chunk, what arrived is kept (tus: "the Server SHOULD
accept as many bytes as possible").  One PATCH at a time per upload (an exclusive flock on
the partial file, across server processes); a second one answers 423.

The completed file is hashed (SHA-256) and handed to the same ingest as ``POST .../photos``
(``api.store_upload``: content sniffed, 415 for anything that is not media, duplicates
recognised), so a file sent in chunks and one sent whole end the same way.  Finishing is
idempotent: a client that lost the answer to its last chunk sends an empty PATCH at
``Upload-Offset = Upload-Length`` and gets the photo again.

A partial upload not touched for ``RETENTION_SECONDS`` (a day; env
LSQUARED_UPLOAD_RETENTION_SECONDS) is deleted with its file: swept when uploads are created
(at most once a minute per process) and when one is asked about.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import logging
import os
import re
import secrets
import time
from email.utils import formatdate
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import ClientDisconnect

from .auth import Principal, authenticate
from .db import transaction
from .models import Base, Photo
from .serialize import photo_json
from .storage import BLOCK, Received

log = logging.getLogger("lsquared.share.resumable")

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"
CHUNK_TYPE = "application/offset+octet-stream"
RETENTION_SECONDS = float(os.environ.get("LSQUARED_UPLOAD_RETENTION_SECONDS", 24 * 3600))
SWEEP_EVERY = 60.0
ID_RE = re.compile(r"[0-9a-f]{32}")

router = APIRouter(prefix="/api")


class ResumableUpload(Base):
    """An upload in progress (state 'receiving') or finished ('done', with its photo)."""
    __tablename__ = "resumable_uploads"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)      # 128 random bits, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    length: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)      # confirmed bytes (Upload-Offset)
    state: Mapped[str] = mapped_column(String(10), default="receiving")
    photo_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float, index=True)


def tus_headers(**extra) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **{k.replace("_", "-"): str(v)
                                                                          for k, v in extra.items()}}


def partial_path(data_dir: Path, upload_id: str) -> Path:
    if not ID_RE.fullmatch(upload_id):
        raise ValueError("bad upload id")
    return Path(data_dir) / "uploads" / f"{upload_id}.part"


def expires_header(row: ResumableUpload) -> str:
    return formatdate(row.updated_at + RETENTION_SECONDS, usegmt=True)


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (tus creation extension)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise HTTPException(400, f"Upload-Metadata value of '{key[:40]}' is not base64 UTF-8") from None
    return out


def _int_header(request: Request, name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isdigit():
        raise HTTPException(400, f"the {name} header must be a non-negative integer")
    return int(value)


# --- cleanup ---------------------------------------------------------------------------------

_last_sweep = {"at": 0.0}


def sweep(sessions, data_dir: Path, now: float | None = None) -> int:
    """Delete uploads untouched for RETENTION_SECONDS (finished ones' rows too) and partial
    files without a row (a server stopped between creating the file and committing); returns
    how many partial uploads were dropped."""
    now = time.time() if now is None else now
    cutoff = now - RETENTION_SECONDS
    with transaction(sessions) as s:
        stale = list(s.scalars(select(ResumableUpload).where(ResumableUpload.updated_at < cutoff)))
        ids = {row.id for row in stale}
        dropped = sum(row.state == "receiving" for row in stale)
        if ids:
            s.execute(delete(ResumableUpload).where(ResumableUpload.id.in_(ids)))
        known = set(s.scalars(select(ResumableUpload.id)))
    folder = Path(data_dir) / "uploads"
    for path in folder.glob("*.part") if folder.is_dir() else ():
        upload_id = path.name.removesuffix(".part")
        try:
            old = path.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if upload_id in ids or (upload_id not in known and old):
            path.unlink(missing_ok=True)
    return dropped


def _maybe_sweep(request: Request) -> None:
    now = time.time()
    if now - _last_sweep["at"] >= SWEEP_EVERY:
        _last_sweep["at"] = now
        try:
            sweep(request.app.state.sessions, request.app.state.settings.data_dir, now)
        except Exception as exc:          # a busy database: the next sweep tries again
            log.warning("sweeping old uploads failed: %s", exc)


# --- the protocol ----------------------------------------------------------------------------

def _check_album(who: Principal, album_id: int) -> None:
    if who.via == "upload" and who.album_id != album_id:
        raise HTTPException(403, "this token can only upload to its own album")


def _load(request: Request, who: Principal, upload_id: str) -> ResumableUpload:
    """The caller's upload, or 404 (unknown, another user's, or swept) / 410 (expired)."""
    if not ID_RE.fullmatch(upload_id):
        raise HTTPException(404, "no such upload")
    with transaction(request.app.state.sessions) as s:
        row = s.get(ResumableUpload, upload_id)
        if row is None or row.user_id != who.user_id or (who.via == "upload" and row.album_id != who.album_id):
            raise HTTPException(404, "no such upload", headers=tus_headers())
        s.expunge(row)
    if row.state == "receiving" and row.updated_at < time.time() - RETENTION_SECONDS:
        _drop(request, upload_id)
        raise HTTPException(410, "this upload expired; start it again", headers=tus_headers())
    return row


def _drop(request: Request, upload_id: str) -> None:
    with transaction(request.app.state.sessions) as s:
        s.execute(delete(ResumableUpload).where(ResumableUpload.id == upload_id))
    partial_path(request.app.state.settings.data_dir, upload_id).unlink(missing_ok=True)


@router.options("/uploads")
def options() -> Response:
    return Response(status_code=204, headers={"Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION,
                                              "Tus-Extension": TUS_EXTENSIONS})


@router.post("/albums/{album_id}/uploads", status_code=201)
def create_upload(album_id: int, request: Request, who: Annotated[Principal, Depends(authenticate)],
                  name: str | None = None) -> Response:
    """Start a resumable upload of ``Upload-Length`` bytes (413 over the service's limit);
    its name from ``Upload-Metadata: filename <base64>`` or ``?name=``."""
    from . import service as sv

    _check_album(who, album_id)
    length = _int_header(request, "upload-length")
    limit = request.app.state.settings.upload_limit
    if length > limit:
        raise HTTPException(413, f"the upload is larger than the limit of {limit} bytes")
    if length == 0:
        raise HTTPException(400, "an empty file is not a photo")
    meta = parse_metadata(request.headers.get("upload-metadata", ""))
    given = sv.display_name(meta.get("filename") or name or "untitled")
    _maybe_sweep(request)
    upload_id = secrets.token_hex(16)
    now = time.time()
    with transaction(request.app.state.sessions) as s:
        sv.album_of(s, who.user_id, album_id)                 # 404 unless the caller's album
        row = ResumableUpload(id=upload_id, user_id=who.user_id, album_id=album_id, name=given,
                              length=length, received=0, state="receiving", created_at=now, updated_at=now)
        s.add(row)
    path = partial_path(request.app.state.settings.data_dir, upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return Response(status_code=201, headers=tus_headers(Location=f"/api/uploads/{upload_id}",
                                                         Upload_Expires=expires_header(row)))


@router.head("/uploads/{upload_id}")
def upload_offset(upload_id: str, request: Request, who: Annotated[Principal, Depends(authenticate)]) -> Response:
    row = _load(request, who, upload_id)
    headers = tus_headers(Upload_Offset=row.received, Upload_Length=row.length)
    if row.state == "receiving":
        headers["Upload-Expires"] = expires_header(row)
    return Response(status_code=200, headers=headers)


@router.delete("/uploads/{upload_id}")
def terminate(upload_id: str, request: Request, who: Annotated[Principal, Depends(authenticate)]) -> Response:
    row = _load(request, who, upload_id)
    if row.state == "receiving":
        _drop(request, upload_id)
    return Response(status_code=204, headers=tus_headers())


class _Busy(Exception):
    pass


def _open_locked(path: Path):
    try:
        f = open(path, "r+b")
    except FileNotFoundError:
        raise HTTPException(404, "no such upload", headers=tus_headers()) from None
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise _Busy() from None
    return f


def _commit_offset(request: Request, upload_id: str, old: int, new: int) -> bool:
    with transaction(request.app.state.sessions) as s:
        n = s.execute(update(ResumableUpload).where(ResumableUpload.id == upload_id,
                                                    ResumableUpload.received == old,
                                                    ResumableUpload.state == "receiving")
                      .values(received=new, updated_at=time.time())).rowcount
    return n == 1


@router.patch("/uploads/{upload_id}")
async def append_chunk(upload_id: str, request: Request,
                       who: Annotated[Principal, Depends(authenticate)]) -> Response:
    if not request.headers.get("content-type", "").startswith(CHUNK_TYPE):
        raise HTTPException(415, f"send chunks with Content-Type: {CHUNK_TYPE}", headers=tus_headers())
    offset = _int_header(request, "upload-offset")
    row = await anyio.to_thread.run_sync(_load, request, who, upload_id)
    if row.state == "done":
        if offset != row.length:
            raise HTTPException(409, "this upload is complete", headers=tus_headers(Upload_Offset=row.length))
        return await anyio.to_thread.run_sync(_finished_answer, request, row, False)
    if offset != row.received:
        raise HTTPException(409, f"the upload is at offset {row.received}, not {offset}",
                            headers=tus_headers(Upload_Offset=row.received))
    path = partial_path(request.app.state.settings.data_dir, upload_id)
    try:
        f = await anyio.to_thread.run_sync(_open_locked, path)
    except _Busy:
        raise HTTPException(423, "another request is writing to this upload; ask HEAD and try again",
                            headers=tus_headers(Upload_Offset=row.received)) from None
    received = offset
    try:
        # the offset in the row is what is known to be on disk; anything after it is cut off
        await anyio.to_thread.run_sync(f.truncate, offset)
        f.seek(offset)
        received = await _receive_chunk(request, f, row, offset)
        if received < row.length:
            return Response(status_code=204, headers=tus_headers(
                Upload_Offset=received, Upload_Expires=formatdate(time.time() + RETENTION_SECONDS, usegmt=True)))
        return await _complete(request, who, row, path)      # still holding the lock
    finally:
        f.close()                                             # releases the lock


async def _receive_chunk(request: Request, f, row: ResumableUpload, offset: int) -> int:
    """Append the request body at ``offset``; make it durable and commit the new offset (also
    when the client went away half-way).  Returns the confirmed offset."""
    received = offset
    pending: list[bytes] = []
    pending_size = 0

    def flush(blocks: list[bytes]) -> None:
        for b in blocks:
            f.write(b)

    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            if received + pending_size + len(chunk) > row.length:
                raise HTTPException(413, "the chunk goes past the Upload-Length given at creation",
                                    headers=tus_headers(Upload_Offset=received))
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= BLOCK:
                blocks, pending = pending, []
                await anyio.to_thread.run_sync(flush, blocks)
                received, pending_size = received + pending_size, 0
    except ClientDisconnect:
        log.info("upload %s: connection lost at %d bytes; keeping what arrived", row.id, received + pending_size)
    finally:
        if pending:
            await anyio.to_thread.run_sync(flush, pending)
            received += pending_size

        def durable() -> None:
            f.flush()
            os.fsync(f.fileno())

        await anyio.to_thread.run_sync(durable)
        if received != offset and not await anyio.to_thread.run_sync(
                _commit_offset, request, row.id, offset, received):
            received = offset            # the row changed under us (deleted): no progress
    return received


async def _complete(request: Request, who: Principal, row: ResumableUpload, path: Path) -> Response:
    """All bytes are here (the caller holds the upload's lock): ingest the file as a plain
    upload is ingested, then mark the upload done."""
    from .api import store_upload

    from ..io.files import file_sha256

    sha256 = await anyio.to_thread.run_sync(file_sha256, path)
    received = Received(path=path, sha256=sha256, size=row.length)
    try:
        photo, created = await store_upload(request, who, row.album_id, received, row.name)
    except HTTPException as exc:
        if 400 <= exc.status_code < 500:       # 415 not media, 404 album gone: the upload is over
            await anyio.to_thread.run_sync(_drop, request, row.id)
        raise

    def mark_done() -> None:
        with transaction(request.app.state.sessions) as s:
            s.execute(update(ResumableUpload).where(ResumableUpload.id == row.id).values(
                state="done", received=row.length, photo_id=photo["id"], updated_at=time.time()))

    await anyio.to_thread.run_sync(mark_done)
    path.unlink(missing_ok=True)              # store_upload moved it to its content address
    return JSONResponse({**photo, "duplicate": not created}, status_code=201 if created else 200,
                        headers=tus_headers(Upload_Offset=row.length))


def _finished_answer(request: Request, row: ResumableUpload, created: bool) -> Response:
    with transaction(request.app.state.sessions) as s:
        photo = s.get(Photo, row.photo_id) if row.photo_id is not None else None
        if photo is None:
            raise HTTPException(410, "the photo of this upload was deleted", headers=tus_headers())
        body = photo_json(photo)
    return JSONResponse({**body, "duplicate": not created}, status_code=200,
                        headers=tus_headers(Upload_Offset=row.length))
