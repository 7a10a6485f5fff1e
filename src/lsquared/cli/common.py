"""Small pieces the command modules share: consoles, the --debug option, path checks."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

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


def announce_kernel_compilation_on_use() -> None:
    """``announce_kernel_compilation`` once numba is imported, so that a command that never runs
    a kernel (``--help``, ``info``, ``look list``) does not import numba (0.3 s) to listen."""
    if "numba" in sys.modules:
        announce_kernel_compilation()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport("numba", announce_kernel_compilation))
