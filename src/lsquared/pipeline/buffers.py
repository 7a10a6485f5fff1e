"""The buffer pool of a long-lived develop process (a batch worker): freed large intermediates
stay in the process and the next file reuses them, instead of going back to the kernel and
being page-faulted and zeroed again.

A develop allocates a dozen arrays of 25-300 MB (the decoded mosaic, the levels and white
balance planes, the denoiser's planes, the demosaiced RGB, the display picture, the encoder's
strips) and numba's kernels allocate their own tile scratch.  glibc serves every block above
its mmap threshold with a fresh ``mmap`` and gives it back with ``munmap`` on free, so each
file faults in and zeroes about 1.5 GB again: measured on the 24 MP file with one thread,
0.25-0.8 s of system time per develop (``bench/batch.py --profile``).  Rather than thread a
pool object through every operation and kernel (and miss the kernels' own scratch), the pool
is the allocator's heap itself: raising glibc's mmap threshold and trim threshold
(``mallopt``, glibc's documented tuning interface, the same as its ``MALLOC_MMAP_THRESHOLD_``
and ``MALLOC_TRIM_THRESHOLD_`` variables) keeps freed blocks of any size in the heap, where
the next file's arrays of the same sizes find them.  Pixels are computed exactly as before
(the pool changes where an array lives, not what is written into it), which the tests check
byte for byte.

Blocks allocated by threads other than the main one live in per-thread arenas that cannot
hold large blocks (glibc maps anything over 64 MB there directly); ``retain_buffers``
therefore also limits glibc to one arena, which threads that allocate for the first time
afterwards share.  A thread that already has its own arena keeps it: a process that develops
in such a thread (a Dask worker's executor thread) gets the pool only when started with
``MALLOC_ARENA_MAX=1`` in its environment (measured: page faults of a 6 MP develop in such a
thread 18,700 per file without it, 700 with it).  A process that is not glibc-based (macOS,
musl) runs without the pool.

``release_buffers`` restores the defaults and returns the retained memory to the system
(``malloc_trim``): a batch calls it when it ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from contextlib import contextmanager

# mallopt parameters (glibc malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_INT_MAX = 2**31 - 1
# glibc's defaults (mallopt(3)): 128 kB thresholds (dynamic), 128 kB top pad
_DEFAULTS = ((_M_TRIM_THRESHOLD, 128 * 1024), (_M_MMAP_THRESHOLD, 128 * 1024), (_M_TOP_PAD, 128 * 1024))

_state = {"retained": False}


def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.mallopt, libc.malloc_trim       # glibc only
    except (OSError, AttributeError):
        return None
    return libc


def retain_buffers() -> bool:
    """Keep freed buffers in this process for reuse (idempotent); False where the C library
    offers no such control (then nothing changes)."""
    if _state["retained"]:
        return True
    libc = _libc()
    if libc is None:
        return False
    ok = all(libc.mallopt(param, value) == 1 for param, value in (
        (_M_MMAP_THRESHOLD, _INT_MAX),      # no block is mmapped on its own (up to 2 GB)...
        (_M_TRIM_THRESHOLD, _INT_MAX),      # ... and the heap's free top is not given back
        (_M_TOP_PAD, 64 * 1024 * 1024),     # grow the heap in steps of 64 MB
        (_M_ARENA_MAX, 1)))                 # threads allocate from the main heap too
    _state["retained"] = ok
    return ok


def release_buffers() -> None:
    """Give the retained memory back to the system and restore glibc's default behaviour."""
    if not _state["retained"]:
        return
    libc = _libc()
    for param, value in _DEFAULTS:
        libc.mallopt(param, value)
    libc.malloc_trim(0)
    _state["retained"] = False


def buffers_retained() -> bool:
    return _state["retained"]


@contextmanager
def buffer_pool():
    """``with buffer_pool(): ...`` develops many files reusing one set of buffers."""
    retain_buffers()
    try:
        yield
    finally:
        release_buffers()
