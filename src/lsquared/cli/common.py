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
