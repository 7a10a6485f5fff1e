"""Run a set of fuzz cases and print what happened (used by the tests and ``python -m tests.fuzz``)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .cases import GENERATORS, Bases
from .harness import Case, Outcome, Worker, run_case, tally


def run_cases(cases, root: Path, worker: Worker | None = None, log=None) -> list[Outcome]:
    own = worker is None
    worker = worker or Worker()
    outcomes = []
    try:
        for case in cases:
            outcome = run_case(case, root, worker)
            outcomes.append(outcome)
            if log is not None and not outcome.passed:
                log(f"FAIL {outcome.verdict}: {case.name}: {outcome.detail}")
    finally:
        if own:
            worker.close()
    return outcomes


def seeded_cases(bases: Bases, counts: dict[str, int], first_seed: int = 0) -> list[Case]:
    return [GENERATORS[kind](bases, first_seed + i) for kind, n in counts.items() for i in range(n)]


def report(outcomes: list[Outcome]) -> str:
    counts = tally(outcomes)
    lines = [f"{'runs':<16}{counts['runs']:>6}", f"{'clean errors':<16}{counts['clean errors']:>6}",
             f"{'accepted':<16}{counts['accepted']:>6}"]
    lines += [f"{k:<16}{v:>6}" for k, v in counts.items() if k not in ("runs", "clean errors", "accepted")]
    slowest = max(outcomes, key=lambda o: o.seconds, default=None)
    if slowest is not None:
        lines.append(f"slowest case {slowest.seconds:.1f} s: {slowest.case}")
    return "\n".join(lines)


def run_for(minutes: float, seed: int, log=print) -> list[Outcome]:
    """Fuzz for ``minutes``, seeds from ``seed`` upwards, all generators in turn."""
    deadline = time.monotonic() + minutes * 60
    with tempfile.TemporaryDirectory(prefix="lsquared-fuzz-") as tmp:
        root = Path(tmp)
        bases = Bases(root / "bases")
        worker = Worker()
        outcomes: list[Outcome] = []
        try:
            n = seed
            while time.monotonic() < deadline:
                for kind in GENERATORS:
                    outcomes += run_cases([GENERATORS[kind](bases, n)], root, worker, log)
                n += 1
        finally:
            worker.close()
    return outcomes
