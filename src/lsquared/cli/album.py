"""``lsquared album``: albums on a share service, through its HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .common import DEBUG_OPTION

album_app = typer.Typer(help="Albums on a share service (lsquared serve), over its HTTP API.",
                        no_args_is_help=True)

SERVER = typer.Option(None, "--server", envvar="LSQUARED_SERVER", help="Service URL (env LSQUARED_SERVER).")
TOKEN = typer.Option(None, "--token", envvar="LSQUARED_TOKEN", help="API token (env LSQUARED_TOKEN).")


def _client(server, token):
    from ..share.client import Client

    return Client(server, token)


@album_app.command("create")
def create_command(title: str = typer.Argument(..., help="Album title."),
                   look: Optional[str] = typer.Option(None, "--look", help="Built-in look (default standard)."),
                   server: Optional[str] = SERVER, token: Optional[str] = TOKEN, debug: bool = DEBUG_OPTION):
    """Create an album; prints its id on the last line."""
    with _client(server, token) as c:
        album = c.create_album(title, look)
    typer.echo(f"album created: {album['title']}")
    typer.echo(album["id"])


@album_app.command("list")
def list_command(server: Optional[str] = SERVER, token: Optional[str] = TOKEN, debug: bool = DEBUG_OPTION):
    """List your albums: id, photos, look, title."""
    with _client(server, token) as c:
        for a in c.albums():
            typer.echo(f"{a['id']}\t{a.get('photo_count', 0)} photos\t{a['look']}\t{a['title']}")


@album_app.command("share")
def share_command(album_id: int = typer.Argument(..., help="Album id."),
                  expires: Optional[str] = typer.Option(None, "--expires", help="Link lifetime: 7d, 12h, 2w or never "
                                                        "(default: the service's, 30 days)."),
                  no_download: bool = typer.Option(False, "--no-download", help="Viewers cannot download."),
                  originals: bool = typer.Option(False, "--originals", help="Offer the original files."),
                  names: bool = typer.Option(False, "--names", help="Show the original file names."),
                  location: bool = typer.Option(False, "--location", help="Keep GPS in served originals."),
                  password_stdin: bool = typer.Option(False, "--password-stdin",
                                                      help="Protect the link with a password read from stdin."),
                  server: Optional[str] = SERVER, token: Optional[str] = TOKEN, debug: bool = DEBUG_OPTION):
    """Make a share link; prints the full link URL/s/<token> on the last line."""
    import sys
    import time

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with _client(server, token) as c:
        link = c.share(album_id, expires=expires, download=not no_download, originals=originals,
                       names=names, location=location, password=password)
    when = "never expires" if link["expires_at"] is None else \
        "expires " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(link["expires_at"]))
    typer.echo(f"share link {link['id']} ({when}, download {'on' if link['download'] else 'off'}):")
    typer.echo(link["url"])


@album_app.command("revoke")
def revoke_command(link: str = typer.Argument(..., help="The link's id, token or URL."),
                   server: Optional[str] = SERVER, token: Optional[str] = TOKEN, debug: bool = DEBUG_OPTION):
    """Revoke a share link at once (it answers 404 from now on)."""
    with _client(server, token) as c:
        out = c.revoke(link)
    typer.echo(f"share link {out['id']} revoked")


@album_app.command("upload")
def upload_command(album_id: int = typer.Argument(..., help="Album id."),
                   files: List[Path] = typer.Argument(..., help="Photos, raws or video clips."),
                   server: Optional[str] = SERVER, token: Optional[str] = TOKEN, debug: bool = DEBUG_OPTION):
    """Upload files (streamed); prints one line per file: photo id, state, name."""
    from ..share.client import ServiceError

    failed = 0
    with _client(server, token) as c:
        for path in files:
            try:
                photo = c.upload(album_id, path)
            except ServiceError as exc:
                failed += 1
                typer.echo(f"lsquared: error: {path}: {exc.one_line()}", err=True)
                continue
            note = " (already in the album)" if photo.get("duplicate") else ""
            typer.echo(f"{photo['id']}\t{photo['state']}\t{path.name}{note}")
    if failed:
        raise typer.Exit(1)


@album_app.command("photos")
def photos_command(album_id: int = typer.Argument(..., help="Album id."),
                   as_json: bool = typer.Option(False, "--json", help="A JSON array of photo objects."),
                   server: Optional[str] = SERVER, token: Optional[str] = TOKEN, debug: bool = DEBUG_OPTION):
    """The album's photos with their state (waiting, preview, developed, failed)."""
    with _client(server, token) as c:
        photos = c.photos(album_id)
    if as_json:
        typer.echo(json.dumps(photos, indent=1))
        return
    for p in photos:
        error = f"\t{p['error']}" if p.get("error") else ""
        typer.echo(f"{p['id']}\t{p['state']}\t{p['name']}{error}")


@album_app.command("token")
def token_command(album_id: int = typer.Argument(..., help="Album id."),
                  upload_only: bool = typer.Option(False, "--upload-only",
                                                   help="A device token that can only add photos to this album."),
                  label: str = typer.Option("", "--label", help="What the token is for (a camera's name)."),
                  server: Optional[str] = SERVER, token: Optional[str] = TOKEN, debug: bool = DEBUG_OPTION):
    """Make an upload-only device token for one album; prints it on the last line."""
    from ..errors import ParameterError

    if not upload_only:
        raise ParameterError("album tokens are upload-only; pass --upload-only")
    with _client(server, token) as c:
        out = c.device_token(album_id, label)
    typer.echo(f"upload-only token for album {album_id} (shown once):")
    typer.echo(out["token"])


def register(app: typer.Typer) -> None:
    app.add_typer(album_app, name="album")
