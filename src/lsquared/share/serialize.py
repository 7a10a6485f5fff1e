"""The JSON shapes of the API (owner) and of share links (viewers).

A viewer's shape carries no original file name unless the link allows names, and only the
EXIF fields shown on the page (camera, lens, exposure, ISO, focal length, date, artist);
never serial numbers or positions (those are not kept in the database at all).
"""

from __future__ import annotations

from .models import Album, Photo, ShareLink
from .service import exif_of, link_state

STILL_VARIANTS = {"preview": ("thumb.jpg", "web.jpg"),
                  "developed": ("thumb.jpg", "thumb.webp", "web.jpg", "web.webp", "full.jpg")}
VIDEO_VARIANTS = ("thumb.jpg", "web.jpg", "poster.jpg", "video.mp4")


def variants(photo: Photo) -> tuple[str, ...]:
    """The rendition files the photo has now."""
    if photo.rendition_key is None:
        return ()
    if photo.kind == "video":
        return VIDEO_VARIANTS
    return STILL_VARIANTS["developed" if photo.rendition_key.startswith("v") else "preview"]


def urls(photo: Photo, base: str) -> dict[str, str]:
    """variant name (thumb.jpg ...) -> URL, versioned by the rendition key (cache busting)."""
    return {v: f"{base}/{v}?v={photo.rendition_key}" for v in variants(photo)}


def photo_json(photo: Photo, *, error: str | None = None) -> dict:
    return {"id": photo.id, "album_id": photo.album_id, "name": photo.name, "sha256": photo.sha256,
            "kind": photo.kind, "media_type": photo.media_type, "size": photo.size,
            "state": photo.state, "error": photo.error or error, "width": photo.width,
            "height": photo.height, "placeholder": photo.placeholder, "exif": exif_of(photo),
            "recipe": photo.recipe, "created_at": photo.created_at,
            "urls": urls(photo, f"/api/photos/{photo.id}/r"),
            "original_url": f"/api/photos/{photo.id}/original"}


def album_json(album: Album, photo_count: int | None = None) -> dict:
    out = {"id": album.id, "title": album.title, "look": album.look, "look_version": album.look_version,
           "created_at": album.created_at}
    if photo_count is not None:
        out["photo_count"] = photo_count
    return out


def link_json(link: ShareLink, url: str | None = None) -> dict:
    return {"id": link.id, "album_id": link.album_id, "label": link.label, "state": link_state(link),
            "expires_at": link.expires_at, "password": link.password_hash is not None,
            "download": link.allow_download, "originals": link.allow_originals,
            "location": link.allow_location, "names": link.allow_names, "views": link.views,
            "created_at": link.created_at, "revoked_at": link.revoked_at, **({"url": url} if url else {})}


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif", "image/heif": ".heic",
              "image/avif": ".avif", "image/x-adobe-dng": ".dng", "video/mp4": ".mp4",
              "video/quicktime": ".mov"}


def download_name(photo: Photo, allow_names: bool, suffix: str | None = None) -> str:
    """The file name a download carries: the uploader's name where allowed, else the photo's
    number (the original name can say who or where)."""
    ext = suffix or EXTENSIONS.get(photo.media_type, "")
    if allow_names:
        stem = photo.name.rsplit(".", 1)[0] if "." in photo.name and suffix else photo.name
        return stem + (suffix or "")
    return f"photo-{photo.id:05d}{ext}"


PUBLIC_EXIF = ("camera", "lens", "exposure_time", "f_number", "iso", "focal_length", "datetime", "artist")


def public_photo_json(photo: Photo, link: ShareLink, token: str) -> dict:
    exif = exif_of(photo)
    out = {"id": photo.id, "kind": photo.kind, "state": photo.state, "width": photo.width,
           "height": photo.height, "placeholder": photo.placeholder,
           "exif": {k: exif[k] for k in PUBLIC_EXIF if exif.get(k) is not None},
           "urls": urls(photo, f"/s/{token}/p/{photo.id}")}
    if link.allow_names:
        out["name"] = photo.name
    if link.allow_download and link.allow_originals:
        out["original_url"] = f"/s/{token}/p/{photo.id}/original"
    return out
