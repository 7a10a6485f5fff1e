"""Small pieces the command modules share: consoles, the --debug option, path checks."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

DEBUG_OPTION = typer.Option(False, "--debug", help="Show full tracebacks for errors.")


def default_of(params_cls, name: str):
    """The default of a params dataclass field, for help texts (defaults live only there)."""
    return params_cls.__dataclass_fields__[name].default
