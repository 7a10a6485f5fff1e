"""Where the shared data set lives (../shared/data or $LSQUARED_SHARED/data), for fixtures and
for parametrizing tests over its files.  Outside CI a test that needs it skips when it is
absent; in CI (``CI=true``, as CI services and .ci/run set it) the data is always there, so
its absence fails the run instead of quietly skipping the tests that need it.

A plain module with a unique name: test files import it as ``from shared_data import
raw_files`` (a ``from conftest import`` would find whichever conftest.py pytest loaded first,
e.g. tests/pipeline's, when a subset of folders is run)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared"))
RAW_DIR = SHARED / "data" / "raw"
KODAK_DIR = SHARED / "data" / "kodak"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing_message(path: Path) -> str:
    return f"shared data not found at {path} (set LSQUARED_SHARED or place ../shared beside the repo)"


def raw_files() -> list[Path]:
    """Every supported raw file of the shared set (for parametrized tests); none outside CI
    when the set is absent (the parametrized tests then skip), an error in CI."""
    if not RAW_DIR.exists():
        if IN_CI:
            raise FileNotFoundError(missing_message(RAW_DIR) + "; CI=true: the shared data must be present")
        return []
    return sorted(p for p in RAW_DIR.iterdir() if p.is_file() and p.suffix.lower() != ".md")
