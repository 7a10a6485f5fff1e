"""Shared fixtures: paths to the shared data set (skip cleanly when it is absent, fail in CI)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from shared_data import IN_CI, KODAK_DIR, RAW_DIR, missing_message

warnings.filterwarnings("ignore", message='.*"Matplotlib" related API features are not available.*')


def _need(path: Path) -> Path:
    if not path.exists():
        if IN_CI:
            pytest.fail(missing_message(path) + "; CI=true: the shared data must be present", pytrace=False)
        pytest.skip(missing_message(path))
    return path


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return _need(RAW_DIR)


@pytest.fixture(scope="session")
def kodak_dir() -> Path:
    return _need(KODAK_DIR)
