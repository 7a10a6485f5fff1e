"""``python -m tests.fuzz --minutes N [--seed S] [--regressions]``: fuzz longer than CI does and
print the counts (runs, clean errors, accepted, and every kind of failure).  Exit status 1 if
any case failed; each failure is printed with its seed, which reproduces it."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .cases import Bases
from .regressions import regression_cases
from .runner import report, run_cases, run_for


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    ap.add_argument("--minutes", type=float, default=5.0, help="how long to fuzz (default 5)")
    ap.add_argument("--seed", type=int, default=1000, help="first seed (default 1000; CI uses 0..)")
    ap.add_argument("--regressions", action="store_true", help="run the regression cases first")
    args = ap.parse_args()
    outcomes = []
    if args.regressions:
        with tempfile.TemporaryDirectory(prefix="lsquared-fuzz-") as tmp:
            outcomes += run_cases(regression_cases(Bases(Path(tmp) / "bases")), Path(tmp), log=print)
    outcomes += run_for(args.minutes, args.seed)
    print(report(outcomes))
    sys.exit(0 if all(o.passed for o in outcomes) else 1)


if __name__ == "__main__":
    main()
