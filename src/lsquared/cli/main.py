"""Entry point of the ``lsquared`` command.

Each command group lives in its own module with a ``register(app)`` function; the modules are
listed in COMMAND_MODULES.  Errors a user can cause are ``LsquaredError``s and become one line
on stderr with exit status 1; ``--debug`` (anywhere on the line) shows the traceback instead.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from ..errors import LsquaredError
from .common import announce_kernel_compilation_on_use

COMMAND_MODULES = ("develop", "info", "demo", "look", "video", "lenses", "serve", "user", "album", "tether", "batch")

app = typer.Typer(
    name="lsquared",
    help="lsquared: an open picture engine. Develop camera RAW files, apply looks to stills and video.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


def debug_enabled() -> bool:
    return _state["debug"]


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
) -> None:
    _state["debug"] = _state["debug"] or debug


def _register_commands() -> None:
    if _state.get("registered"):      # main() called again in one process (tests, the fuzz suite)
        return
    _state["registered"] = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue          # command group not built yet
            raise
        module.register(app)


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error and exit (used for errors outside LsquaredError)."""
    typer.echo(f"lsquared: error: {message}", err=True)
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted anywhere on the line (lsquared develop x.dng --debug)
    if "--debug" in args:
        args = [a for a in args if a != "--debug"]
        _state["debug"] = True
    os.environ.setdefault("COLOUR_SCIENCE__FILTER_USAGE_WARNINGS", "True")
    _register_commands()
    announce_kernel_compilation_on_use()
    from typer._click.exceptions import ClickException, UsageError   # typer's own click

    try:
        # not standalone: usage errors arrive here too and become one line like our own
        # errors (click's would be a usage block and a framed panel); a command's exit status
        # (typer.Exit) comes back as the return value
        if "command" not in _state:      # typer builds the click command once per process
            _state["command"] = typer.main.get_command(app)
        status = _state["command"].main(args=args, prog_name="lsquared", standalone_mode=False)
    except UsageError as exc:
        if not exc.format_message():          # a bare command (no_args_is_help): its help was shown
            raise SystemExit(exc.exit_code) from None
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        typer.echo(f"lsquared: error: {exc.format_message()}{where}", err=True)
        raise SystemExit(exc.exit_code) from None
    except ClickException as exc:
        typer.echo(f"lsquared: error: {exc.format_message()}", err=True)
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        typer.echo("lsquared: interrupted", err=True)
        raise SystemExit(130) from None
    except LsquaredError as exc:
        if _state["debug"]:
            raise
        typer.echo(f"lsquared: error: {exc.one_line()}", err=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        if _state["debug"]:
            raise
        typer.echo("lsquared: interrupted", err=True)
        raise SystemExit(130) from None
    raise SystemExit(status if isinstance(status, int) else 0)     # as click's standalone mode does


if __name__ == "__main__":
    main()
