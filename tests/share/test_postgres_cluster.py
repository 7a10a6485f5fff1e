"""Two ``lsquared serve`` processes on one PostgreSQL database and one data folder work as one
service: a live event raised in one reaches a viewer connected to the other (LISTEN/NOTIFY),
and jobs are shared between their workers, each developed exactly once (SKIP LOCKED)."""

from __future__ import annotations

import httpx
import pytest
from share_fixtures import EventStream, ServerProcess, add_user, wait_for

pytestmark = pytest.mark.slow


def test_two_servers_one_database(tmp_path, postgres_database, demo_raws):
    import psycopg

    data = tmp_path / "data"
    data.mkdir()
    slow_ok = {"LSQUARED_LEASE_SECONDS": "20"}      # a loaded CI machine must not lose leases
    a = ServerProcess(data, database=postgres_database, workers=1, extra_env=slow_ok)
    b = ServerProcess(data, database=postgres_database, workers=1, extra_env=slow_ok)
    try:
        a.start()
        b.start()
        token = add_user(data, "studio", database=postgres_database)
        h = {"Authorization": f"Bearer {token}"}
        album = httpx.post(a.url + "/api/albums", json={"title": "two servers"}, headers=h).json()["id"]
        link = httpx.post(f"{a.url}/api/albums/{album}/shares", json={}, headers=h).json()["token"]
        viewer = EventStream(f"{b.url}/s/{link}/events")           # the viewer is on B
        try:
            wait_for(lambda: viewer.headers)
            r = httpx.post(f"{a.url}/api/albums/{album}/photos", params={"name": "a.dng"},
                           content=demo_raws[0].read_bytes(), headers=h)          # the upload goes to A
            assert r.status_code == 201
            pid = r.json()["id"]
            viewer.wait(lambda d: d["type"] == "photo-added" and d["photo_id"] == pid, 30)
            viewer.wait(lambda d: d["type"] == "developed" and d["photo_id"] == pid, 120)
        finally:
            viewer.close()

        # 50 uploads (distinct bytes: the same DNG with i trailing bytes) through both servers
        base = demo_raws[1].read_bytes()
        for i in range(50):
            server = (a, b)[i % 2]
            r = httpx.post(f"{server.url}/api/albums/{album}/photos", params={"name": f"{i}.dng"},
                           content=base + b"\0" * i, headers=h, timeout=60)
            assert r.status_code == 201, r.text
        conninfo = postgres_database.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            def count(sql):
                return conn.execute(sql).fetchone()[0]

            try:
                wait_for(lambda: count("select count(*) from photos where state = 'developed'") == 51, 180, 0.5)
            except AssertionError:
                raise AssertionError("jobs (kind, state, count, attempts, error): " + str(conn.execute(
                    "select kind, state, count(*), max(attempts), max(error) from jobs group by kind, state"
                ).fetchall())) from None
            per_photo = conn.execute("select photo_id, count(*) from jobs where kind = 'develop' "
                                     "and state = 'done' group by photo_id").fetchall()
            assert len(per_photo) == 51 and {n for _, n in per_photo} == {1}
            events = conn.execute("select photo_id, count(*) from events where kind = 'developed' "
                                  "group by photo_id").fetchall()
            assert len(events) == 51 and {n for _, n in events} == {1}
            workers = {w for (w,) in conn.execute("select distinct worker from jobs where kind = 'develop'")}
            assert len(workers) == 2                        # both servers' workers took jobs
    finally:
        a.stop()
        b.stop()
