"""Process-level helpers for the worker processes the front ends start (share, batch)."""

from __future__ import annotations

import signal
import sys


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the thread that started it exits
    (prctl PR_SET_PDEATHSIG, man 2 prctl): a worker whose server or batch was killed with
    SIGKILL must not live on as an orphan.  Call it from a child started by the parent's
    main thread; a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
