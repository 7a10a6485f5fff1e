"""Running a planned batch on an engine: claim, dispatch, record, summarize.

Before any task is handed out the manifest marks its output ``pending`` and removes temporary
files an earlier, killed run left beside the outputs; each Result is recorded as it arrives
(one transaction), so a run stopped at any point resumes with what is missing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .manifest import Manifest
from .plan import Item, is_retryable, stale_temporaries
from .task import Result


@dataclass
class Summary:
    planned: int = 0
    developed: int = 0
    skipped: int = 0
    failures: list[Result] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    megapixels: float = 0.0
    cpu_seconds: float = 0.0
    engine: str = ""
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted

    def as_dict(self) -> dict:
        n = self.developed
        return {
            "ok": self.ok, "engine": self.engine, "inputs": self.planned, "developed": n,
            "skipped": self.skipped, "failed": len(self.failures), "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
            "files_per_s": round(n / self.seconds, 3) if self.seconds and n else 0.0,
            "megapixels_per_s": round(self.megapixels / self.seconds, 2) if self.seconds and n else 0.0,
            "cpu_seconds_per_file": round(self.cpu_seconds / n, 3) if n else 0.0,
            "failures": [{"source": r.source, "error": r.error} for r in self.failures],
            "outputs": [{"source": r.source, "output": r.output, "sha256": r.output_hash,
                         "seconds": round(r.seconds, 3), "worker": r.worker} for r in self.results if r.ok],
        }


def largest_first(tasks: list) -> list:
    """The tasks in order of decreasing input size (stable: equal sizes keep the plan's order).

    Longest-processing-time first (Graham, "Bounds on multiprocessing timing anomalies", 1969):
    the workers take the next task as they finish one, so a big file handed out last keeps one
    worker busy while the others have nothing left; started first, it overlaps with the small
    ones.  A file's size stands in for its work (megapixels are not known before decoding)."""
    def size(task) -> int:
        try:
            return os.stat(task.source).st_size
        except OSError:
            return 0
    return sorted(tasks, key=size, reverse=True)


def run_batch(items: list[Item], engine, manifest: Manifest,
              on_result: Callable[[Result, Summary], None] | None = None) -> Summary:
    summary = Summary(planned=len(items), engine=engine.describe())
    by_source: dict[str, Item] = {}
    todo = []
    for item in items:
        if item.action == "skip":
            summary.skipped += 1
        elif item.action in ("error", "failed-before"):
            summary.failures.append(item.error)
        else:
            todo.append(item)
            by_source[str(item.source)] = item
    for tmp in stale_temporaries(items):
        tmp.unlink(missing_ok=True)
    manifest.claim([(i.output_rel, str(i.source), i.task.input_hash, i.task.recipe_hash) for i in todo])
    start = time.perf_counter()
    try:
        for result in engine.run(largest_first([i.task for i in todo])):
            item = by_source[result.source]
            manifest.record(item.output_rel, result.source, item.task.input_hash, item.task.recipe_hash,
                            result, retry=is_retryable(result))
            if result.ok:
                summary.developed += 1
                summary.megapixels += result.megapixels
                summary.cpu_seconds += result.cpu_seconds
                summary.results.append(result)
            else:
                summary.failures.append(result)
            summary.seconds = time.perf_counter() - start
            if on_result is not None:
                on_result(result, summary)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        summary.seconds = time.perf_counter() - start
        for tmp in stale_temporaries(todo):     # a worker killed mid-write
            tmp.unlink(missing_ok=True)
    return summary
