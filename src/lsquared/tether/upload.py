"""The client side of the share service's resumable uploads (the tus protocol,
https://tus.io/protocols/resumable-upload; server: lsquared.share.resumable).

``Uploader.send`` creates an upload (or, given the URL of an interrupted one, asks the server
with HEAD how much it has confirmed), then PATCHes the rest in chunks of ``chunk_size``, each
at the offset the server confirmed.  Errors come in two kinds: ``Transient`` (the server or
the network is down, 5xx, 423 busy, 429) — try again later, the upload resumes — and
``Refused`` (401/403/404/413/415 ...) — trying again will not help.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import LsquaredError


class Transient(Exception):
    """Try again later (the upload, if any, can be resumed)."""


class Refused(LsquaredError):
    """The server refused the file or the credentials; sending again will not help."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(f"the server answered {status}: {message}")


class Gone(Exception):
    """The upload URL is unknown to the server (swept, or another server's): start again."""


@dataclass(frozen=True, slots=True)
class Sent:
    photo: dict          # the server's photo object (id, sha256, state, duplicate ...)
    resumed_at: int      # the offset the upload continued from (0 for a fresh one)
    bytes_sent: int      # body bytes sent by this call


def _detail(r) -> str:
    try:
        detail = r.json().get("detail")
    except ValueError:
        detail = r.text[:200]
    return str(detail or r.reason_phrase)


class RateLimit:
    """At most ``rate`` bytes per second over the whole tether (a token bucket of one second);
    for a venue's shared network.  ``rate`` None or 0: unlimited."""

    def __init__(self, rate: float | None):
        self.rate = rate or None
        self._allowance = float(rate or 0)
        self._at = time.monotonic()

    def take(self, n: int) -> None:
        if self.rate is None:
            return
        now = time.monotonic()
        self._allowance = min(self.rate, self._allowance + (now - self._at) * self.rate)
        self._at = now
        self._allowance -= n
        if self._allowance < 0:
            time.sleep(-self._allowance / self.rate)


class Uploader:
    def __init__(self, server: str, token: str, album_id: int, *, chunk_size: int = 8 << 20,
                 max_rate: float | None = None, timeout: float = 60.0):
        import httpx

        self.server = server.rstrip("/")
        self.album_id = album_id
        self.chunk_size = chunk_size
        self.rate = RateLimit(max_rate)
        self.http = httpx.Client(base_url=self.server, timeout=httpx.Timeout(timeout, connect=5.0),
                                 headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"})

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, url: str, **kw):
        import httpx

        try:
            r = self.http.request(method, url, **kw)
        except httpx.TransportError as exc:
            raise Transient(f"cannot reach {self.server} ({type(exc).__name__})") from None
        if r.status_code >= 500 or r.status_code in (408, 423, 429):
            raise Transient(f"the server answered {r.status_code}: {_detail(r)}")
        return r

    def create(self, name: str, size: int) -> str:
        meta = "filename " + base64.b64encode(name.encode("utf-8")).decode("ascii")
        r = self._request("POST", f"/api/albums/{self.album_id}/uploads",
                          headers={"Upload-Length": str(size), "Upload-Metadata": meta})
        if r.status_code != 201:
            raise Refused(r.status_code, _detail(r))
        return r.headers["location"]

    def offset(self, url: str) -> int:
        r = self._request("HEAD", url)
        if r.status_code in (404, 410):
            raise Gone()
        if r.status_code != 200:
            raise Refused(r.status_code, "HEAD of the upload failed")
        return int(r.headers["upload-offset"])

    def _patch(self, url: str, offset: int, body, length: int):
        return self._request("PATCH", url, content=body, headers={
            "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(length)})

    def send(self, path: Path, name: str, size: int, url: str | None,
             on_url: Callable[[str], None], on_progress: Callable[[int, int], None]) -> Sent:
        """Upload ``path`` (``size`` bytes) in chunks; ``url`` resumes an earlier upload.  Calls
        ``on_url(url)`` once a new upload exists (so it is remembered before any byte is sent)
        and ``on_progress(confirmed, sent_now)`` after each confirmed chunk."""
        offset = 0
        if url is not None:
            try:
                offset = self.offset(url)
            except Gone:
                url = None
        if url is None:
            url = self.create(name, size)
            on_url(url)
            offset = 0
        resumed_at, sent = offset, 0
        with open(path, "rb") as f:
            while True:
                n = min(self.chunk_size, size - offset)
                f.seek(offset)
                progress = {"bytes": 0}

                def body(f=f, n=n, progress=progress):
                    left = n
                    while left > 0:
                        block = f.read(min(1 << 20, left))
                        if not block:
                            raise Transient("the file got shorter while it was being sent")
                        self.rate.take(len(block))
                        left -= len(block)
                        progress["bytes"] += len(block)
                        yield block

                try:
                    r = self._patch(url, offset, body(), n)
                finally:
                    sent += progress["bytes"]
                if r.status_code == 409:                  # we and the server disagree: ask it
                    offset = int(r.headers.get("upload-offset") or self.offset(url))
                    continue
                if r.status_code in (404, 410):
                    raise Gone()
                if r.status_code >= 400:
                    raise Refused(r.status_code, _detail(r))
                offset = int(r.headers["upload-offset"])
                on_progress(offset, sent)
                if offset >= size:
                    if r.status_code == 204:             # finished, but the server did not say how
                        raise Transient("the server did not answer the last chunk with the photo")
                    return Sent(photo=r.json(), resumed_at=resumed_at, bytes_sent=sent)
