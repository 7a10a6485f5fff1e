"""Shared fixtures: paths to the shared data set (skip cleanly when it is absent)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from shared_data import KODAK_DIR, RAW_DIR

warnings.filterwarnings("ignore", message='.*"Matplotlib" related API features are not available.*')


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
