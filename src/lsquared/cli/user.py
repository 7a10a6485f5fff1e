"""``lsquared user add``: make an account on a share service's database (works while it runs)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import ParameterError
from .common import DEBUG_OPTION

user_app = typer.Typer(help="Accounts of the share service.", no_args_is_help=True)


@user_app.command("add")
def add_command(
    name: str = typer.Argument(..., help="User name (for logging in)."),
    data: Path = typer.Option(Path("lsquared-data"), "--data", help="The service's data folder."),
    database: Optional[str] = typer.Option(None, "--database", help="Database URL if not SQLite in --data."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard "
                                        "input (first line) instead of prompting."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Add a user; prints an API token for the CLI on the last line (shown only once)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    from ..share.accounts import add_user_with_token
    from ..share.settings import Settings

    settings = Settings.from_env(data_dir=data, database_url=database, workers=0)
    if not password:
        raise ParameterError("empty password; give one (at least 8 characters)")
    token = add_user_with_token(settings, name, password)
    typer.echo(f"user '{name}' added; API token (keep it secret, shown once):")
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
