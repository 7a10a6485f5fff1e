"""``lsquared serve``: the share service (web server plus develop workers)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import DEBUG_OPTION


def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback unless told otherwise)."),
    port: int = typer.Option(8080, help="TCP port."),
    data: Path = typer.Option(Path("lsquared-data"), "--data", help="Folder for originals, renditions, "
                              "the SQLite database and the secret key (env LSQUARED_DATA)."),
    database: Optional[str] = typer.Option(None, "--database", help="postgresql+psycopg://USER@HOST/DB "
                                           "(env LSQUARED_DATABASE_URL); default: SQLite in --data."),
    workers: int = typer.Option(2, help="Develop worker processes (0: this server only serves)."),
    preview_workers: int = typer.Option(1, "--preview-workers", help="Extra processes that make only the "
                                        "first, fast previews, so a new photo's preview never waits "
                                        "behind full develops (0: the develop workers make them too)."),
    upload_limit: str = typer.Option("2G", "--upload-limit", help="Largest upload (bytes, or 500M, 2G)."),
    public_url: Optional[str] = typer.Option(None, "--public-url", help="Base URL of share links "
                                             "(behind a proxy); default: from each request."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Serve live albums: the JSON API, share links with live updates, and developing."""
    import os

    from ..share.server import serve
    from ..share.settings import Settings, parse_size

    data_given = data if (data != Path("lsquared-data") or not os.environ.get("LSQUARED_DATA")) else None
    settings = Settings.from_env(host=host, port=port, data_dir=data_given, database_url=database,
                                 workers=workers, preview_workers=preview_workers,
                                 upload_limit=parse_size(upload_limit), public_url=public_url)
    serve(settings)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
