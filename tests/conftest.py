"""Shared fixtures: paths to the shared data set (skip cleanly when it is absent)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message='.*"Matplotlib" related API features are not available.*')

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared"))
RAW_DIR = SHARED / "data" / "raw"
KODAK_DIR = SHARED / "data" / "kodak"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set LSQUARED_SHARED or place ../shared beside the repo)")
    return path


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return _need(RAW_DIR)


@pytest.fixture(scope="session")
def kodak_dir() -> Path:
    return _need(KODAK_DIR)


def raw_files() -> list[Path]:
    """Every supported raw file of the shared set (for parametrized tests)."""
    if not RAW_DIR.exists():
        return []
    return sorted(p for p in RAW_DIR.iterdir() if p.is_file() and p.suffix.lower() != ".md")
