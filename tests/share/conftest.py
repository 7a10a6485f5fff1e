"""Fixtures of the share service tests: a real app on a real database (a SQLite file, and the
same tests on PostgreSQL when LSQUARED_TEST_POSTGRES_URL names a server), real server
processes on loopback, small synthetic DNGs."""

from __future__ import annotations

from pathlib import Path

import pytest

from share_fixtures import fresh_postgres_database, postgres_url_or_skip


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database(request, tmp_path_factory):
    """(kind, URL or None): a fresh database per test module and backend."""
    if request.param == "sqlite":
        yield "sqlite", None
        return
    url, drop = fresh_postgres_database(postgres_url_or_skip())
    yield "postgres", url
    drop()


@pytest.fixture(scope="module")
def postgres_database():
    url, drop = fresh_postgres_database(postgres_url_or_skip())
    yield url
    drop()


@pytest.fixture(scope="session")
def demo_raws(tmp_path_factory) -> list[Path]:
    """Small synthetic DNGs with distinct content (cheap to develop)."""
    from lsquared.synth.demo import make_demo_raw

    folder = tmp_path_factory.mktemp("raws")
    paths = []
    for i, illuminant in enumerate(("D65", "A", 5000, "D50")):
        path = folder / f"demo{i}.dng"
        make_demo_raw(path, size=(240, 160), seed=i, illuminant=illuminant)
        paths.append(path)
    return paths
