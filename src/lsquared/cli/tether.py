"""``lsquared tether``: send every shot from a folder into a live album, once, in shooting order."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import DEBUG_OPTION


def tether_command(
    folder: Path = typer.Argument(..., help="The folder the camera or tethering program writes into (or a card)."),
    album: int = typer.Option(..., "--album", help="Album id on the share service."),
    server: Optional[str] = typer.Option(None, "--server", envvar="LSQUARED_SERVER",
                                         help="Service URL (env LSQUARED_SERVER)."),
    token: Optional[str] = typer.Option(None, "--token", envvar="LSQUARED_TOKEN",
                                        help="API or upload-only device token (env LSQUARED_TOKEN; "
                                             "lsquared album token ID --upload-only makes one)."),
    state: Optional[Path] = typer.Option(None, "--state", help="State file (default: FOLDER/.lsquared-tether.sqlite; "
                                         "give one elsewhere for a read-only card)."),
    once: bool = typer.Option(False, "--once", help="Send what is in the folder, then exit "
                              "(status 0 only if every file was accepted)."),
    new_only: bool = typer.Option(False, "--new-only", help="Skip the files already in the folder at start."),
    settle: float = typer.Option(2.0, "--settle", help="Seconds a file's size and time must stay unchanged."),
    rescan: float = typer.Option(10.0, "--rescan", help="Seconds between full rescans (the watcher's safety net)."),
    chunk_size: str = typer.Option("8M", "--chunk-size", help="Upload chunk (a broken upload resumes from the "
                                   "last whole chunk): bytes, or 512K, 8M."),
    max_rate: Optional[str] = typer.Option(None, "--max-rate", help="Upload at most this many bytes per second "
                                           "(e.g. 5M), for a shared network."),
    max_backoff: float = typer.Option(30.0, "--max-backoff", help="Longest wait between retries while the "
                                      "server is unreachable (seconds)."),
    retry_for: Optional[float] = typer.Option(None, "--retry-for", help="Give up after the server was unreachable "
                                              "this many seconds (default: never; 600 with --once)."),
    link: Optional[str] = typer.Option(None, "--link", envvar="LSQUARED_SHARE_LINK",
                                       help="The album's share link, shown in the status line."),
    plain: bool = typer.Option(False, "--plain", help="Plain lines instead of the live status line."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Watch FOLDER and upload every complete photo, raw or clip to the album, exactly once."""
    import sys

    from ..errors import ParameterError
    from ..share.settings import parse_size
    from ..tether import Tether, TetherOptions
    from ..tether.status import LiveStatus, PlainStatus

    if not server:
        raise ParameterError("no server given; use --server URL or set LSQUARED_SERVER")
    if not token:
        raise ParameterError("no token given; use --token T or set LSQUARED_TOKEN "
                             "(lsquared album token ID --upload-only makes one)")
    options = TetherOptions(folder=folder, server=server, token=token, album_id=album, state_file=state,
                            settle_seconds=settle, rescan_seconds=rescan, new_only=new_only, once=once,
                            retry_for=retry_for if retry_for is not None else (600.0 if once else None),
                            chunk_size=parse_size(chunk_size), max_rate=parse_size(max_rate) if max_rate else None,
                            backoff_cap=max_backoff, link=link)
    status = PlainStatus() if plain or not sys.stdout.isatty() else LiveStatus()
    code = Tether(options, status).run()
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("tether")(tether_command)
