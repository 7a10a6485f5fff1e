"""lsquared batch end to end: real raw files, real worker processes, real SIGKILLs, a real Dask
scheduler and workers on loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lsquared.batch.manifest import MANIFEST_NAME

REAL_RAWS = ("canon-550d-magiclantern-2mp.dng", "kodak-dc50-0.4mp.kdc", "sony-a7r4-linear-lossy-6mp.dng")


def batch(*args, timeout=300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lsquared.cli.main", "batch", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, **kw)


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file the batch published (not its manifest), by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != MANIFEST_NAME}


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.endswith("-journal")]


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory) -> Path:
    from lsquared.synth.demo import make_demo_raw

    path = tmp_path_factory.mktemp("demo") / "demo.dng"
    make_demo_raw(path, size=(600, 400))
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, raw_dir, demo_raw) -> Path:
    """Real raws of three cameras, a synthetic DNG, a JPEG and a truncated raw."""
    import numpy as np
    from PIL import Image

    folder = tmp_path_factory.mktemp("mixed")
    for name in REAL_RAWS:
        shutil.copy(raw_dir / name, folder / name)
    shutil.copy(demo_raw, folder / "demo.dng")
    pixels = (np.random.default_rng(1).random((120, 160, 3)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(folder / "picture.jpg", quality=90)
    data = (raw_dir / REAL_RAWS[0]).read_bytes()
    (folder / "truncated.dng").write_bytes(data[: len(data) // 2])
    return folder


@pytest.fixture(scope="module")
def many(tmp_path_factory, raw_dir, demo_raw) -> Path:
    """Nine small files for the kill and cluster tests (copies under several names)."""
    folder = tmp_path_factory.mktemp("many")
    for i in range(8):
        shutil.copy(raw_dir / REAL_RAWS[0], folder / f"c{i}.dng")
    shutil.copy(demo_raw, folder / "demo.dng")
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory, many) -> Path:
    """An uninterrupted local run over ``many``."""
    out = tmp_path_factory.mktemp("reference")
    run = batch(many, "-o", out, "--workers", "2")
    assert run.returncode == 0, run.stderr
    return out


@pytest.mark.slow
def test_mixed_folder_rerun_new_look_and_sidecar(mixed, tmp_path):
    out = tmp_path / "out"
    first = batch(mixed, "-o", out, "--workers", "2", "--json", "--report", tmp_path / "report.html")
    assert first.returncode == 1                               # one bad file: non-zero
    summary = json.loads(first.stdout)
    assert summary["developed"] == 5 and summary["failed"] == 1
    assert summary["failures"][0]["source"].endswith("truncated.dng")
    assert "truncated" in summary["failures"][0]["error"]
    assert "truncated.dng" in first.stderr or "truncated.dng" in first.stdout
    made = outputs(out)
    expected = {"canon-550d-magiclantern-2mp.jpg", "kodak-dc50-0.4mp.jpg", "sony-a7r4-linear-lossy-6mp.jpg",
                "demo.jpg", "picture.jpg"}
    assert expected <= set(made) and not any(n.startswith("truncated") for n in made)
    for name in expected:
        assert made[name][:3] == b"\xff\xd8\xff" and made[name + ".toml"]
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/jpeg;base64,") == 5 and "truncated.dng" in report and "failed" in report

    # a re-run does nothing and changes nothing
    before = mtimes(out)
    again = batch(mixed, "-o", out, "--json")
    summary = json.loads(again.stdout)
    assert again.returncode == 1 and summary["developed"] == 0 and summary["skipped"] == 5
    assert summary["failed"] == 1                              # still reported, not retried
    assert outputs(out) == made
    assert {k: v for k, v in mtimes(out).items() if k != MANIFEST_NAME} == \
           {k: v for k, v in before.items() if k != MANIFEST_NAME}

    # a sidecar recipe beside one input re-renders that file only, with its settings
    (mixed / "demo.dng.toml").write_text("[exposure]\nev = 1.0\n")
    try:
        third = json.loads(batch(mixed, "-o", out, "--json").stdout)
    finally:
        (mixed / "demo.dng.toml").unlink()
    assert third["developed"] == 1 and third["outputs"][0]["source"].endswith("demo.dng")
    changed = outputs(out)
    assert changed["demo.jpg"] != made["demo.jpg"] and "ev = 1.0" in changed["demo.jpg.toml"].decode()
    assert all(changed[n] == made[n] for n in expected - {"demo.jpg"})

    # a new look re-renders everything
    fourth = json.loads(batch(mixed, "-o", out, "--json", "--look", "monochrome").stdout)
    assert fourth["developed"] == 5 and fourth["skipped"] == 0
    looked = outputs(out)
    assert all(looked[n] != made[n] for n in expected)
    assert 'name = "monochrome"' in looked["canon-550d-magiclantern-2mp.jpg.toml"].decode()
    assert leftovers(out) == []


def test_dry_run_and_name_template(mixed, tmp_path):
    out = tmp_path / "out"
    run = batch(mixed, "-o", out, "--dry-run", "--json", "--name", "{stem}_{look}.{ext}", "--look", "vivid")
    assert run.returncode == 0, run.stderr
    plan = {Path(p["source"]).name: p for p in json.loads(run.stdout)}
    assert plan["demo.dng"]["action"] == "develop" and plan["demo.dng"]["output"].endswith("demo_vivid.jpg")
    assert not out.exists()                                    # a dry run writes nothing
    bad = batch(mixed, "-o", out, "--name", "{stem}_{camera}.{ext}")
    assert bad.returncode == 1 and "unknown field '{camera}'" in bad.stderr and "Traceback" not in bad.stderr
    nested = tmp_path / "nested"
    (nested / "day2" / ".hidden").mkdir(parents=True)
    shutil.copy(mixed / "demo.dng", nested / "a.dng")
    shutil.copy(mixed / "demo.dng", nested / "day2" / "a.dng")
    shutil.copy(mixed / "demo.dng", nested / "day2" / ".hidden" / "b.dng")
    (nested / "notes.txt").write_text("not a picture")
    flat = json.loads(batch(nested, "-o", out, "--dry-run", "--json").stdout)
    deep = json.loads(batch(nested, "-o", out, "--dry-run", "--json", "--recursive").stdout)
    assert [Path(p["output"]).relative_to(out).as_posix() for p in flat] == ["a.jpg"]
    assert sorted(Path(p["output"]).relative_to(out).as_posix() for p in deep) == ["a.jpg", "day2/a.jpg"]
    (tmp_path / "empty").mkdir()
    empty = batch(tmp_path / "empty", "-o", out)
    assert empty.returncode == 1 and "no raw files or pictures found" in empty.stderr
    inside = batch(mixed, "-o", mixed)
    assert inside.returncode == 1 and "is the output folder or inside it" in inside.stderr
    assert not (mixed / MANIFEST_NAME).exists()
    assert not out.exists()                                    # nothing made for a failed start


def test_memory_bound_reduces_workers(mixed, tmp_path):
    out = tmp_path / "out"
    run = batch(mixed / "kodak-dc50-0.4mp.kdc", mixed / "canon-550d-magiclantern-2mp.dng", "-o", out,
                "--workers", "2", "--memory", "0.4", "--json")
    assert run.returncode == 0, run.stderr
    assert "memory: 2 workers x" in run.stderr and "using 1 worker" in run.stderr
    assert json.loads(run.stdout)["engine"] == "1 local worker"


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _done_count(out: Path) -> int:
    try:
        with sqlite3.connect(f"file:{out / MANIFEST_NAME}?mode=ro", uri=True, timeout=0.2) as db:
            return db.execute("SELECT count(*) FROM renders WHERE state='done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def _start_and_signal(many: Path, out: Path, sig: int, after: int) -> tuple[int, str]:
    """Start a batch in its own process group; once ``after`` files are done, send ``sig`` to
    the whole group (the main process and its workers, as a terminal's Ctrl-C or a kill -9 of
    the job)."""
    proc = subprocess.Popen([sys.executable, "-m", "lsquared.cli.main", "batch", str(many), "-o", str(out),
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _wait_for(lambda: _done_count(out) >= after or proc.poll() is not None, 120, f"{after} finished files")
        assert proc.poll() is None, "the batch finished before it could be stopped"
        os.killpg(proc.pid, sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    return proc.returncode, stderr


@pytest.mark.slow
def test_interrupt_then_sigkill_then_resume(many, reference, tmp_path):
    out = tmp_path / "out"
    code, stderr = _start_and_signal(many, out, signal.SIGINT, 2)        # Ctrl-C
    assert code == 130 and "interrupted" in stderr
    assert "Traceback" not in stderr
    assert leftovers(out) == []                                      # a clean stop removes its temporaries
    code, _ = _start_and_signal(many, out, signal.SIGKILL, _done_count(out) + 2)
    assert code == -signal.SIGKILL
    finished = _done_count(out)
    assert 4 <= finished < 9
    resumed = batch(many, "-o", out, "--json")
    summary = json.loads(resumed.stdout)
    assert resumed.returncode == 0, resumed.stderr
    assert summary["skipped"] >= finished and summary["developed"] == 9 - summary["skipped"]
    assert outputs(out) == outputs(reference)                 # byte for byte
    assert leftovers(out) == []


def _first_worker_pid(out: Path) -> int:
    with sqlite3.connect(f"file:{out / MANIFEST_NAME}?mode=ro", uri=True) as db:
        worker = db.execute("SELECT worker FROM renders WHERE state='done' ORDER BY finished LIMIT 1").fetchone()[0]
    return int(worker.rsplit(":", 1)[1])


def _family(pid: int) -> set[int]:
    import psutil

    try:
        proc = psutil.Process(pid)
        return {pid, *(c.pid for c in proc.children(recursive=True))}
    except psutil.NoSuchProcess:
        return {pid}


@pytest.mark.slow
def test_local_worker_killed_mid_run(many, reference, tmp_path):
    """One worker process of a local batch SIGKILLed while busy: its file goes to a fresh pool
    and every output is still produced, byte-identical."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "lsquared.cli.main", "batch", str(many), "-o", str(out),
                             "--workers", "2", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        _wait_for(lambda: _done_count(out) >= 1 or proc.poll() is not None, 120, "the first result")
        busy = _first_worker_pid(out)
        assert busy in _family(proc.pid)
        os.kill(busy, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        _stop(proc)
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["developed"] == 9 and summary["failed"] == 0
    assert outputs(out) == outputs(reference)
    assert leftovers(out) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("dask")
    return subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(10)


@pytest.mark.slow
def test_dask_cluster_equals_local_and_survives_a_dead_worker(many, reference, tmp_path):
    Client = pytest.importorskip("distributed", reason="Dask distributed not installed").Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")]
    try:
        for _ in range(2):
            procs.append(_dask("worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard", "--death-timeout", "60"))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        out = tmp_path / "out"
        run = subprocess.Popen([sys.executable, "-m", "lsquared.cli.main", "batch", str(many), "-o", str(out),
                                "--scheduler", address, "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            # once the cluster is under way, kill the worker that finished first (its nanny
            # too): it has taken its next file by then
            _wait_for(lambda: _done_count(out) >= 1 or run.poll() is not None, 120, "the first result")
            busy = _first_worker_pid(out)
            victim = next(p for p in procs[1:] if busy in _family(p.pid))
            _stop(victim)
            stdout, stderr = run.communicate(timeout=240)
        finally:
            _stop(run)
        assert run.returncode == 0, stderr
        summary = json.loads(stdout)
        assert summary["developed"] == 9 and summary["failed"] == 0
        assert "Dask scheduler" in summary["engine"]
        survivor = next(p for p in procs[1:] if p is not victim)
        after_kill = {int(o["worker"].rsplit(":", 1)[1]) for o in summary["outputs"]}
        assert busy in after_kill and after_kill - {busy} <= _family(survivor.pid)
        assert outputs(out) == outputs(reference)             # byte for byte with local mode
        assert leftovers(out) == []
    finally:
        for proc in reversed(procs):
            _stop(proc)
