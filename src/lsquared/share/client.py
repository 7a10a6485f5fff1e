"""A small client of the share service's HTTP API (what ``lsquared album`` uses)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from ..errors import InputError, LsquaredError, ParameterError


class ServiceError(LsquaredError):
    """The share service refused a request or cannot be reached."""


class Client:
    def __init__(self, server: str | None = None, token: str | None = None, timeout: float = 60.0):
        import httpx

        server = server or os.environ.get("LSQUARED_SERVER")
        token = token or os.environ.get("LSQUARED_TOKEN")
        if not server:
            raise ParameterError("no server given; use --server URL or set LSQUARED_SERVER")
        if not token:
            raise ParameterError("no token given; use --token T or set LSQUARED_TOKEN "
                                 "(lsquared user add prints one)")
        self.server = server.rstrip("/")
        self.http = httpx.Client(base_url=self.server, headers={"Authorization": f"Bearer {token}"},
                                 timeout=httpx.Timeout(timeout, connect=10.0))

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, method: str, path: str, **kw):
        import httpx

        try:
            r = self.http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise ServiceError(f"cannot reach the share service at {self.server} ({exc})",
                               hint="is lsquared serve running there?") from None
        if r.status_code >= 400:
            try:
                detail = r.json().get("detail")
            except ValueError:
                detail = r.text[:200]
            if isinstance(detail, list):       # FastAPI's validation errors
                detail = "; ".join(str(d.get("msg", d)) for d in detail)
            raise ServiceError(f"the server answered {r.status_code}: {detail}")
        return r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text

    # --- the API -----------------------------------------------------------------------------
    def create_album(self, title: str, look: str | None = None) -> dict:
        body = {"title": title} | ({"look": look} if look else {})
        return self.request("POST", "/api/albums", json=body)

    def albums(self) -> list[dict]:
        return self.request("GET", "/api/albums")

    def share(self, album_id: int, **options) -> dict:
        return self.request("POST", f"/api/albums/{album_id}/shares", json=options)

    def revoke(self, link: str) -> dict:
        return self.request("DELETE", f"/api/shares/{quote(link, safe='')}")

    def photos(self, album_id: int) -> list[dict]:
        return self.request("GET", f"/api/albums/{album_id}/photos")

    def device_token(self, album_id: int, label: str = "") -> dict:
        return self.request("POST", f"/api/albums/{album_id}/tokens", json={"upload_only": True, "label": label})

    def upload(self, album_id: int, path: Path) -> dict:
        """Stream one file as the request body (never read whole into memory)."""
        path = Path(path)
        if not path.is_file():
            raise InputError("no such file", path=path)

        def body():
            with open(path, "rb") as f:
                while block := f.read(1 << 20):
                    yield block

        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(path.stat().st_size)}
        return self.request("POST", f"/api/albums/{album_id}/photos", params={"name": path.name},
                            content=body(), headers=headers)
