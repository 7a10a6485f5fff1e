"""One task is one file: ``run_task(task) -> Result`` is the only thing a batch engine calls.

``run_task`` is pure in the sense that matters for a batch: its output depends only on the
task (the input's bytes and the resolved recipe), it writes nothing but the task's output
(atomically: a temporary file beside it, renamed when complete) and its recipe sidecar, and
running it twice gives the same bytes.  So an engine may run a task again after a worker died,
on any machine that sees the paths, and the result is the same.

It never raises for a bad file: the error is returned in the Result as one line, so one
corrupt file never stops a batch.
"""

from __future__ import annotations

import hashlib
import os
import time
import traceback
from dataclasses import dataclass, field

from ..errors import LsquaredError
from ..io.files import file_sha256
from ..pipeline.recipe import Recipe

THUMBNAIL_PX = 320          # long side of the report's thumbnails


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """Develop ``source`` with ``recipe`` (resolved: batch recipe, options and the file's own
    sidecar recipe merged) into ``output``.  Paths are absolute, so any worker can run it."""

    source: str
    output: str
    recipe: Recipe
    recipe_hash: str
    input_hash: str
    sidecar: bool = True             # write <output>.toml, the recipe that replays it
    thumbnail: int = THUMBNAIL_PX    # 0: no thumbnail in the result

    @property
    def key(self) -> str:
        """A stable name for the task (Dask's key): the output and what it is made from."""
        digest = hashlib.sha256(f"{self.output}\0{self.input_hash}\0{self.recipe_hash}".encode()).hexdigest()
        return f"lsquared-develop-{digest[:24]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    source: str
    output: str
    ok: bool
    error: str | None = None          # one line (ok False)
    detail: str | None = None         # traceback of an unexpected error (shown with --debug)
    output_hash: str | None = None    # sha256 of the written file
    width: int = 0
    height: int = 0
    seconds: float = 0.0              # wall time in the worker
    cpu_seconds: float = 0.0          # CPU time of the worker process during the task
    exif: dict = field(default_factory=dict)
    thumbnail: bytes | None = None    # a small JPEG for the report
    warnings: tuple[str, ...] = ()
    worker: str = ""

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


def exif_summary(exif) -> dict:
    """The EXIF fields a contact sheet shows."""
    keys = ("make", "model", "lens_model", "exposure_time", "f_number", "iso", "focal_length",
            "datetime_original")
    return {k: getattr(exif, k) for k in keys if getattr(exif, k, None) not in (None, "")}


def thumbnail_jpeg(pixels, size: int) -> bytes:
    """A JPEG at most ``size`` pixels on its long side (a strided pick, then Pillow's
    antialiased reduction: cheap next to the develop)."""
    import io

    import numpy as np
    from PIL import Image

    h, w = pixels.shape[:2]
    step = max(1, min(h, w) // (2 * size))
    small = np.ascontiguousarray(pixels[::step, ::step])
    if small.dtype != np.uint8:
        small = (small >> 8).astype(np.uint8)
    image = Image.fromarray(small)
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def run_task(task: Task) -> Result:
    """Develop one file; never raises for a bad input (the Result carries the error)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    worker = f"{os.uname().nodename}:{os.getpid()}"

    def failed(message: str, detail: str | None = None) -> Result:
        return Result(source=task.source, output=task.output, ok=False, error=message, detail=detail,
                      seconds=time.perf_counter() - start,
                      cpu_seconds=time.process_time() - cpu_start, worker=worker)

    try:
        from ..io.atomic import refuse_input_as_output
        from ..pipeline.run import develop, save

        refuse_input_as_output(task.output, [task.source])
        picture = develop(task.source, task.recipe)
        # the batch owns its outputs: a task run again (after a dead worker, or a changed
        # recipe) replaces what an earlier run published, atomically
        written = save(picture, task.output, overwrite=True, sidecar=task.sidecar)
        thumb = thumbnail_jpeg(picture, task.thumbnail) if task.thumbnail else None
        h, w = picture.shape[:2]
        return Result(source=task.source, output=str(written), ok=True, output_hash=file_sha256(written),
                      width=w, height=h, seconds=time.perf_counter() - start,
                      cpu_seconds=time.process_time() - cpu_start, exif=exif_summary(picture.exif),
                      thumbnail=thumb, warnings=tuple(picture.warnings), worker=worker)
    except LsquaredError as exc:
        line = exc.one_line()
        return failed(line if exc.path else f"{task.source}: {line}")
    except MemoryError:
        return failed(f"{task.source}: out of memory while developing it (use fewer --workers)")
    except Exception as exc:           # a bug: recorded, the batch goes on
        return failed(f"{task.source}: internal error ({type(exc).__name__}: {exc}); "
                      "please report it with the --debug output", traceback.format_exc())


def configure_worker(threads: int = 1, retain: bool = True) -> None:
    """Set up a worker process: its kernels on ``threads`` threads (numba's pool and
    lsquared's band pool, which follows numba's count) and the buffer pool (reused
    intermediates).  Idempotent and cheap, so an engine may call it before every task."""
    import numba

    from ..kernels.startup import start_numba_target

    start_numba_target()          # a worker is lsquared's own process: no BLAS probe (once)
    if numba.get_num_threads() != threads:
        numba.set_num_threads(threads)
    if retain:
        from ..pipeline.buffers import retain_buffers

        retain_buffers()


def run_task_single_threaded(task: Task) -> Result:
    """``run_task`` in a worker set up for one file per core (what the engines submit)."""
    configure_worker(threads=1)
    return run_task(task)


