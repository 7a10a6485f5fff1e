"""One thread pool for the nogil numba kernels that work in bands or tiles.

``map_tasks`` runs ``fn`` over items on ``numba.get_num_threads()`` threads; threads take the
next item when they finish one, so a thread the shared machine deschedules delays only its
current item (a parfor barrier would wait for its whole share, spinning).  The kernels must
release the GIL (``nogil=True``) for this to gain anything.  Used by the demosaic (tiles),
the denoiser and the sharpening (row bands) and the noise estimator.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()
_POOL_NAME = "lsquared-bands"


def _thread_pool(n: int) -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _pool_lock:
        # a forked child inherits the pool object but not its threads: make a new one there
        if _pool is None or _pool._max_workers != n or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix=_POOL_NAME)
            _pool_pid = os.getpid()
        return _pool


def map_tasks(fn, items) -> list:
    """[fn(item) for item in items], on the pool (results in order; a worker's exception is
    raised here)."""
    items = list(items)
    threads = numba.get_num_threads()
    # inside a task of the pool, run here: workers waiting on the pool could all end up waiting
    if min(threads, len(items)) <= 1 or threading.current_thread().name.startswith(_POOL_NAME):
        return [fn(item) for item in items]
    # one pool of get_num_threads() workers for the process (fewer items simply leave some
    # idle): sizing it per call made a new pool, and new threads, whenever the count changed
    return list(_thread_pool(threads).map(fn, items))


def run_bands(kernel, nbands: int, *args, parallel: bool = True) -> None:
    """kernel(*args, first, last) over bands 0 .. nbands - 1: in spans of a few bands on the
    thread pool, or in one call (``parallel`` False, e.g. inside a task of the pool)."""
    if not parallel or nbands < 2:
        kernel(*args, 0, nbands)
        return
    per = max(1, nbands // (8 * numba.get_num_threads()))
    map_tasks(lambda first: kernel(*args, first, min(nbands, first + per)), range(0, nbands, per))
