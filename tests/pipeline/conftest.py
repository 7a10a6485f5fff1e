"""Synthetic scenes shot by the simulated camera, written once per session."""

from __future__ import annotations

import pytest

from lsquared.synth.demo import make_demo_raw


@pytest.fixture(scope="session")
def demo_d65(tmp_path_factory):
    return make_demo_raw(tmp_path_factory.mktemp("d65") / "chart-d65.dng", illuminant="D65")


@pytest.fixture(scope="session")
def demo_tungsten(tmp_path_factory):
    return make_demo_raw(tmp_path_factory.mktemp("a") / "chart-a.dng", illuminant="A")
