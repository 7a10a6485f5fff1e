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

# Each command's module (cli/<name>.py, with a ``register(app)``) and the one line the root
# help lists for it.  A command's module is imported only when that command runs or its
# ``--help`` is asked for: a develop never imports the share service or the video path, and
# ``lsquared --help`` imports no command module at all (issue 14: every ``--help`` fast).
# The lines must equal each command's own help; tests/cli/test_startup_imports.py checks it.
COMMANDS: dict[str, str] = {
    "develop": "Develop camera RAW files (or rendered images) into finished pictures.",
    "info": "Show a raw file's camera, exposure, sensor layout, levels, white balance and colour matrices.",
    "demo": "Synthesize a scene with known colours, write it as a DNG and develop it in every look.",
    "video": "Apply a look to a video: every frame through the look's LUT, 8 and 10 bit, audio, "
             "subtitles, chapters, timestamps and rotation kept.",
    "lenses": "List the lenses lensfun's database knows: the names --lens accepts, and what each can correct.",
    "serve": "Serve live albums: the JSON API, share links with live updates, and developing.",
    "tether": "Watch FOLDER and upload every complete photo, raw or clip to the album, exactly once.",
    "batch": "Develop many files: every core (or a Dask cluster), resumable, errors never stop the batch.",
    "look": "Looks: list, show, export as .cube/.vlt/HaldCLUT, import LUTs, preview.",
    "user": "Accounts of the share service.",
    "album": "Albums on a share service (lsquared serve), over its HTTP API.",
}
COMMAND_MODULES = tuple(COMMANDS)

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


def _register_commands(names: tuple[str, ...] = COMMAND_MODULES) -> None:
    """Import the modules of ``names`` (all by default) and add their commands to the app."""
    done = _state.setdefault("registered", set())      # main() runs many times in tests
    for name in names:
        if name in done:
            continue
        done.add(name)
        importlib.import_module(f"{__package__}.{name}").register(app)
        _state.pop("command", None)                     # the click command is rebuilt


def _command_named(args: list[str]) -> str | None:
    """The command a command line asks for: its first word that is not a root option."""
    return next((a for a in args if not a.startswith("-")), None)


def _click_command(args: list[str]):
    """The click command for ``args``: only the named command's module is imported.

    With no command named (``lsquared``, ``lsquared --help``) the root help lists every command
    from COMMANDS without importing them: each listed entry is a help line only, and any command
    line that names one registers the real command before click sees it.  A word that is not a
    command registers them all, so click's "No such command" and its suggestions stay right.
    """
    named = _command_named(args)
    if named in COMMANDS:
        _register_commands((named,))
    elif named is not None:
        _register_commands()
    if "command" not in _state:           # typer builds the click command once per set of commands
        _state["command"] = typer.main.get_command(app)
    command = _state["command"]
    if named is None:
        from typer.core import TyperCommand
        for name, line in COMMANDS.items():
            if name not in command.commands:
                command.add_command(TyperCommand(name, help=line, short_help=line))
        _state.pop("command")             # the help lines never serve a later command line
    return command


def _help_target(command, args: list[str]):
    """For a command line asking for help (``lsquared look list --help``): the innermost command
    it names and that command's path, so the help is rendered by that command alone.

    Going through the groups would also process each group's own ``--help`` flag, which is
    unset there; typer coerces an unset flag through a pydantic adapter, and importing
    pydantic is a fifth of a ``--help``'s time (issue 14).  Returns None for other lines."""
    if not any(a in ("--help", "-h") for a in args):
        return None
    path = ["lsquared"]
    for word in (a for a in args if not a.startswith("-")):
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        command = sub
        path.append(word)
    return (command, " ".join(path)) if len(path) > 1 else None


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
    announce_kernel_compilation_on_use()
    from typer._click.exceptions import ClickException, UsageError   # typer's own click

    try:
        # not standalone: usage errors arrive here too and become one line like our own
        # errors (click's would be a usage block and a framed panel); a command's exit status
        # (typer.Exit) comes back as the return value
        command = _click_command(args)
        target = _help_target(command, args)
        if target is not None:
            command, prog_name = target
            status = command.main(args=["--help"], prog_name=prog_name, standalone_mode=False)
        else:
            status = command.main(args=args, prog_name="lsquared", standalone_mode=False)
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
