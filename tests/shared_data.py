"""Where the shared data set lives (../shared/data or $LSQUARED_SHARED/data), for fixtures and
for parametrizing tests over its files.  A plain module with a unique name: test files import
it as ``from shared_data import raw_files`` (a ``from conftest import`` would find whichever
conftest.py pytest loaded first, e.g. tests/pipeline's, when a subset of folders is run)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared"))
RAW_DIR = SHARED / "data" / "raw"
KODAK_DIR = SHARED / "data" / "kodak"


def raw_files() -> list[Path]:
    """Every supported raw file of the shared set (for parametrized tests)."""
    if not RAW_DIR.exists():
        return []
    return sorted(p for p in RAW_DIR.iterdir() if p.is_file() and p.suffix.lower() != ".md")
