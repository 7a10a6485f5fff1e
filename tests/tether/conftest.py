"""Fixtures of the tether tests: small synthetic DNGs; the share tests' real server process
helpers (tests/share/share_fixtures.py) are imported from there, not copied."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "share"))


@pytest.fixture(scope="session")
def demo_raw_bytes(tmp_path_factory) -> bytes:
    from lsquared.synth.demo import make_demo_raw

    path = tmp_path_factory.mktemp("one") / "one.dng"
    make_demo_raw(path, size=(240, 160), seed=7)
    return path.read_bytes()
