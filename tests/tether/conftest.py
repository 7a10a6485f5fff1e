"""Fixtures of the tether tests: small synthetic DNGs, and the share tests' real server
process helpers (tests/share/conftest.py, loaded under its own name, not copied)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("share_fixtures", Path(__file__).parents[1] / "share" / "conftest.py")
share_fixtures = importlib.util.module_from_spec(_spec)
sys.modules["share_fixtures"] = share_fixtures
_spec.loader.exec_module(share_fixtures)


@pytest.fixture(scope="session")
def demo_raw_bytes(tmp_path_factory) -> bytes:
    from lsquared.synth.demo import make_demo_raw

    path = tmp_path_factory.mktemp("one") / "one.dng"
    make_demo_raw(path, size=(240, 160), seed=7)
    return path.read_bytes()
