"""Engines: small adapters that run ``run_task`` on many files and hand back Results as they
finish.  Neither knows anything about developing; both call ``run_task_single_threaded``.

- ``LocalEngine``: worker processes on this machine, started with ``spawn`` (LibRaw's OpenMP
  and ``fork`` do not mix), one file at a time each, kernels on one thread, so N workers use N
  cores without oversubscription.  A worker that dies (killed, out of memory, a crash in a
  decoder) breaks the pool; the files it and its neighbours had in hand go to a fresh pool, up
  to ``attempts`` times each.
- ``DaskEngine``: the same tasks on an existing Dask distributed scheduler.  The scheduler
  re-runs the tasks of a worker that dies on another worker (up to its
  ``allowed-failures``); ``retries`` covers an exception in a task.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .task import Result, Task, run_task_single_threaded

WORKER_DIED = "the worker process died while developing it (killed, out of memory, or a crash in a decoder)"
# set in each local worker before numba, OpenMP (LibRaw) or BLAS start: one thread each
_ONE_THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def available_memory() -> int:
    """Bytes the system can give without swapping (MemAvailable)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def read_ahead(path: str) -> None:
    """Ask the kernel to start reading a file that a worker will open next (the pool holds
    one task more than it has workers), so its decode does not wait on a cold disk or a
    network share.  Costs no CPU; a no-op where posix_fadvise is absent."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    except (AttributeError, OSError):
        pass
    finally:
        os.close(fd)


def _init_local_worker() -> None:
    from ..process import die_with_parent

    die_with_parent()         # a batch killed with SIGKILL leaves no idle workers behind
    os.environ.update(_ONE_THREAD_ENV)
    # Ctrl-C reaches the whole process group: an idle worker ignores it (no traceback from
    # its queue), a busy one stops its file (``_local_task``), removing its temporary file
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .task import configure_worker

    configure_worker(threads=1)
    from ..pipeline import run  # noqa: F401  (the imports, while the main process plans)


def _local_task(task: Task) -> Result:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run_task_single_threaded(task)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalEngine:
    def __init__(self, workers: int, attempts: int = 3):
        self.workers = max(1, workers)
        self.attempts = attempts
        self._started: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the workers now (they import while the main process hashes the inputs)."""
        if self._started is None:
            self._started = self._pool()

    def describe(self) -> str:
        return f"{self.workers} local worker{'s' if self.workers != 1 else ''}"

    def _pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        # the children inherit the environment at start: one thread each from the first import
        saved = {k: os.environ.get(k) for k in _ONE_THREAD_ENV}
        os.environ.update(_ONE_THREAD_ENV)
        try:
            pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_init_local_worker)
            # start the processes now, while the environment holds
            for _ in range(self.workers):
                pool.submit(os.getpid)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return pool

    def run(self, tasks: list[Task]) -> Iterator[Result]:
        """Results in completion order.  At most workers + 1 tasks are handed to the pool at a
        time, so a dead worker sends back only the files that were in hand."""
        pending = list(reversed(tasks))
        tries: dict[str, int] = {}
        while pending:
            pool, self._started = self._started or self._pool(), None
            try:
                running: dict = {}
                broken = False
                while pending or running:
                    while pending and len(running) <= self.workers and not broken:
                        task = pending.pop()
                        running[pool.submit(_local_task, task)] = task
                        read_ahead(task.source)
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = running.pop(future)
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            broken = True
                            tries[task.key] = tries.get(task.key, 0) + 1
                            if tries[task.key] >= self.attempts:
                                yield Result(source=task.source, output=task.output, ok=False,
                                             error=f"{task.source}: {WORKER_DIED}")
                            else:
                                pending.append(task)
                        else:
                            yield result
                    if broken and not running:
                        break
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        if self._started is not None:
            self._started.shutdown(wait=True, cancel_futures=True)
            self._started = None


def _run_on_dask_worker(task: Task) -> Result:
    return run_task_single_threaded(task)


class DaskEngine:
    def __init__(self, scheduler: str, retries: int = 2):
        from ..errors import LsquaredError

        try:
            from distributed import Client
        except ImportError:
            raise LsquaredError("--scheduler needs Dask distributed, which is not installed",
                                hint="pip install 'lsquared[batch]'") from None

        try:
            self.client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise LsquaredError(f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                                hint="start it with 'dask scheduler' and workers with 'dask worker ADDRESS'") from None
        self.scheduler = scheduler
        self.retries = retries

    @property
    def dashboard_link(self) -> str | None:
        try:
            return self.client.dashboard_link
        except Exception:
            return None

    def describe(self) -> str:
        workers = self.client.scheduler_info().get("workers", {})
        return f"Dask scheduler {self.scheduler} ({len(workers)} worker{'s' if len(workers) != 1 else ''})"

    def run(self, tasks: list[Task]) -> Iterator[Result]:
        from distributed import as_completed

        futures = {self.client.submit(_run_on_dask_worker, task, key=task.key, pure=False,
                                      retries=self.retries): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield future.result()
            except Exception as exc:      # KilledWorker: it killed workers allowed-failures times
                yield Result(source=task.source, output=task.output, ok=False,
                             error=f"{task.source}: {WORKER_DIED} ({type(exc).__name__})")
            future.release()

    def close(self) -> None:
        self.client.close()
