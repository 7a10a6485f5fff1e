"""Start numba's CPU target in a process lsquared owns, without numba's BLAS probe.

numba sets up its CPU target (typing and lowering registries) at the first kernel call of a
process, cached or not.  One of the registries it loads, ``numba.np.arraymath``, probes for a
BLAS at import by importing ``scipy.linalg.cython_blas`` (``numba.np.linalg.ensure_blas``).
With scipy installed (the test extra brings it, for colour-demosaicing's reference
demosaicers) that import pulls in all of ``scipy.linalg`` and scipy's array-API layer, which
touches every lazily loaded submodule of numpy (``numpy.f2py``, ``numpy.testing``...): a fixed
cost of every fresh process that runs a kernel (measured by ``bench/cold.py``'s "numba
start-up" column).  lsquared's kernels use no BLAS (no ``np.dot``, ``@`` or ``np.linalg`` in
``kernels/``), so the front ends (the CLI, batch and share workers: processes lsquared
owns) start the target with that one import held off; afterwards scipy imports normally for
anyone who needs it.  The only effect on numba is its ``_HAVE_BLAS`` flag: in such a process
``np.correlate``/``np.convolve`` inside jitted code take their inner products with a loop.
A library user's process is left alone: it starts numba the usual way at its first kernel.
"""

from __future__ import annotations

import sys

_PROBE = "scipy.linalg.cython_blas"
_started = False


def start_numba_target() -> None:
    """Set up numba's CPU target now (once per process), with its BLAS probe held off."""
    global _started
    if _started:
        return
    _started = True
    from numba.core.registry import cpu_target

    held = _PROBE not in sys.modules
    if held:
        sys.modules[_PROBE] = None        # the import system's way to make one import fail
    try:
        cpu_target.target_context.refresh()
    finally:
        if held and _PROBE in sys.modules and sys.modules[_PROBE] is None:
            del sys.modules[_PROBE]
