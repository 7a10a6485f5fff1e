"""Bad input never crashes, never destroys, never passes silently (issue 13).

Every regression case of the issue is a test of its own; then a fixed set of seeded mutations
of raw files, LUT files, recipes and command lines.  Each case must end in a clean error (exit
1 or 2, one ``lsquared: error:`` line, no traceback) or a sane result (a picture that is not
all one value), leave no file behind, leave its inputs unchanged and stay within the time and
memory bounds of the worker (harness.py).  ``python -m tests.fuzz --minutes N`` runs longer.
"""

from __future__ import annotations

import pytest

from .cases import GENERATORS, Bases
from .harness import Worker, run_case
from .regressions import regression_cases
from .runner import report, run_cases, seeded_cases

# seeded cases per generator in CI (about 100 cases; the raw ones run in the worker subprocess)
CI_COUNTS = {"raw": 36, "lut": 24, "recipe": 24, "cli": 24}

BASES = Bases()
REGRESSIONS = regression_cases(BASES)


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


@pytest.mark.slow
@pytest.mark.parametrize("case", REGRESSIONS, ids=[c.name for c in REGRESSIONS])
def test_regression(case, worker, tmp_path):
    if case.needs is not None and case.needs not in BASES.shared_paths:
        pytest.skip(f"shared data file {case.needs} not found (set LSQUARED_SHARED)")
    outcome = run_case(case, tmp_path, worker)
    assert outcome.passed, f"{outcome.verdict}: {outcome.detail}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(GENERATORS))
def test_seeded_mutations(kind, worker, tmp_path, capsys):
    outcomes = run_cases(seeded_cases(BASES, {kind: CI_COUNTS[kind]}), tmp_path, worker)
    with capsys.disabled():
        print(f"\nfuzz {kind}:\n{report(outcomes)}")
    failed = [f"{o.verdict}: {o.case}: {o.detail}" for o in outcomes if not o.passed]
    assert not failed, "\n".join(failed)
    # the suite must exercise both sides: clean refusals and accepted pictures
    verdicts = {o.verdict for o in outcomes}
    assert "error" in verdicts, "no case was refused: the mutations are not reaching the checks"
