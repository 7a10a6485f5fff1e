"""The first-compilation notice: said once when an lsquared kernel compiles, never otherwise."""

from __future__ import annotations

from numba import njit
from numba.core import event

from lsquared.cli.common import announce_kernel_compilation


def _fresh_function(module: str):
    """A new, uncompiled function that claims to live in ``module``."""
    namespace = {"__name__": module}
    exec("def probe(x):\n    return x * 2 + 1\n", namespace)
    return njit(cache=False)(namespace["probe"])


def test_notice_once_for_lsquared_kernels_only(capsys):
    listener = announce_kernel_compilation()
    try:
        assert _fresh_function("someone.else")(3) == 7          # compiles: not ours, no notice
        assert "compiling" not in capsys.readouterr().err
        assert _fresh_function("lsquared.kernels.probe")(3) == 7
        assert "compiling lsquared's kernels" in capsys.readouterr().err
        assert _fresh_function("lsquared.kernels.probe2")(4) == 9   # a second compile: silent
        assert "compiling" not in capsys.readouterr().err
    finally:
        event.unregister("numba:compile", listener)
