"""Small pieces the command modules share: consoles, the --debug option, path checks."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

import typer
from rich.console import Console

def _plain_help_labels() -> None:
    """typer (0.29) labels each option with its Python type (``<str>``, ``<bool>`` on flags,
    ``<list[Path]>``) and writes a required argument as ``{INPUT}...``; a photographer reads
    NAME, EV, PATH.  Show the option's metavar (or click's type name: TEXT, FLOAT, PATH),
    nothing for flags, and arguments as plain ``INPUT...``.  Guarded: a typer without these
    hooks keeps its own labels."""
    from typer import core

    option, argument = getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)
    if option is None or argument is None or not hasattr(option, "display_type_rich"):
        return

    def option_label(self, ctx):
        if getattr(self, "is_flag", False) or self.count:
            return None
        if self.metavar:
            return self.metavar
        try:
            bare = self.bare_type()
        except Exception:            # a type typer describes differently: no label
            return None
        labels = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH"}
        inner = bare[5:-1] if bare.startswith("list[") else bare        # a repeatable option
        return labels.get(inner, inner.upper())

    def argument_usage(self) -> str:
        name = (self.metavar or self.display_name_raw).upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")

    option.display_type_rich = option_label
    option.display_type = option_label
    argument.display_type_rich = lambda self, ctx: None
    argument.display_type = lambda self, ctx: ""
    if hasattr(argument, "_usage_display_name"):
        argument._usage_display_name = argument_usage


_plain_help_labels()
console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

DEBUG_OPTION = typer.Option(False, "--debug", help="Show full tracebacks for errors.")


def default_of(params_cls, name: str):
    """The default of a params dataclass field, for help texts (defaults live only there)."""
    return params_cls.__dataclass_fields__[name].default


def shown_default(value) -> str:
    """' [default: VALUE]' for a help text; the bracket escaped, since rich markup would take
    '[default: ...]' for a style tag and print nothing."""
    return f" \\[default: {value}]"


def choices_text(params_cls, name: str) -> str:
    """The choices (or range) a params field declares, for help texts (lsquared.schema)."""
    from ..schema import describe

    return describe(params_cls, name)


def announce_kernel_compilation():
    """Say once, on stderr, that lsquared's numba kernels are being compiled; returns the
    listener registered with numba's event system.

    A fresh install compiles the kernels on first use (up to a minute on two cores) and caches
    them; without a word the first ``lsquared demo`` or ``develop`` looks hung.  numba fires
    its "numba:compile" event only on a cache miss, so a cached start says nothing."""
    from numba.core import event

    class FirstCompileNotice(event.Listener):
        said = False

        def on_start(self, ev) -> None:
            if self.said:
                return
            func = getattr(ev.data.get("dispatcher"), "py_func", None)
            if (getattr(func, "__module__", "") or "").startswith("lsquared"):
                self.said = True
                err_console.print("compiling lsquared's kernels (first run only, up to a minute; "
                                  "cached afterwards) ...", style="dim", soft_wrap=True)

        def on_end(self, ev) -> None:
            pass

    listener = FirstCompileNotice()
    event.register("numba:compile", listener)
    return listener


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``callback`` once, right after ``module`` has been imported (by whoever imports it)."""

    def __init__(self, module: str, callback) -> None:
        self.module, self.callback = module, callback

    def find_spec(self, fullname, path, target=None):
        if fullname != self.module:
            return None
        sys.meta_path.remove(self)                  # once; the finders after us find the module
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module, callback = spec.loader.exec_module, self.callback

        def exec_then_call(module) -> None:
            exec_module(module)
            callback()

        spec.loader.exec_module = exec_then_call
        return spec


def _on_numba_import() -> None:
    from ..kernels.startup import start_numba_target

    announce_kernel_compilation()
    start_numba_target()          # this process is the CLI's: numba without its BLAS probe


def announce_kernel_compilation_on_use() -> None:
    """``announce_kernel_compilation`` once numba is imported, so that a command that never runs
    a kernel (``--help``, ``info``, ``look list``) does not import numba (0.3 s) to listen; a
    command that does also starts numba's CPU target then (``kernels/startup.py``)."""
    if "numba" in sys.modules:
        _on_numba_import()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport("numba", _on_numba_import))
