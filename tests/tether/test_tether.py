"""The tether's rules without faults: which files are taken and when, exactly once across
restarts, renames and copies, existing files first and oldest first, --new-only, the
originals untouched, the backoff's bounds."""

from __future__ import annotations

import os
import random
import time

import pytest
from share_fixtures import wait_for
from tether_helpers import Album, TetherProcess, make_shot, sha256, start_server

from lsquared.tether import files
from lsquared.tether.engine import backoff_delay


def test_names_that_are_never_sent(tmp_path):
    taken = ["IMG_0001.CR3", "a.dng", "DSC_1.NEF", "x.jpg", "clip.MOV", "p.HEIC", "DCIM/100CANON/IMG_1.CR2"]
    ignored = [".IMG_0001.CR3", "~a.dng", "a.dng~", "a.dng.tmp", "a.tmp", "x.jpg.part", "notes.txt", "a.xmp",
               ".lsquared-tether.sqlite", "DCIM/.thumbs/IMG_1.CR2", "#a.dng#", "a.crdownload"]
    for name in taken:
        assert files.kind_by_name(tmp_path / name) is not None, name
    for name in ignored:
        assert files.kind_by_name(tmp_path / name) is None, name


def test_a_file_must_open_as_its_name_says(tmp_path, raw_dir):
    from PIL import Image

    dng = make_shot(tmp_path / "a.dng", seed=1)
    assert files.opens_as_named(dng) is None
    for keep in (dng.stat().st_size // 2, dng.stat().st_size * 4 // 5):    # copies cut short (in the IFDs, in the tiles)
        half = tmp_path / f"half{keep}.dng"
        half.write_bytes(dng.read_bytes()[:keep])
        assert files.opens_as_named(half) is not None
    jpg = tmp_path / "b.jpg"
    Image.effect_noise((256, 192), 60).convert("RGB").save(jpg, quality=90)
    assert files.opens_as_named(jpg) is None
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(jpg.read_bytes()[: jpg.stat().st_size * 2 // 3])
    assert files.opens_as_named(cut) is not None
    gpr = raw_dir / "unsupported" / "gopro-hero6-12mp.gpr"           # a DNG that LibRaw cannot decode
    assert "cannot be decoded" in files.opens_as_named(gpr)
    named_wrong = tmp_path / "text.dng"
    named_wrong.write_text("not a raw at all")
    assert files.opens_as_named(named_wrong) is not None


def test_backoff_grows_to_its_cap_with_jitter():
    rng = random.Random(1)
    for attempt in range(12):
        bound = min(30.0, 0.5 * 2 ** attempt)
        delays = [backoff_delay(attempt, 0.5, 30.0, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > 0.8 * bound and min(delays) < 0.2 * bound       # spread over the whole range


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("tether-rules"))
    yield server
    server.stop()


@pytest.mark.slow
def test_once_oldest_first_exactly_once_across_restarts_renames_copies(server, tmp_path):
    folder = tmp_path / "card"
    (folder / "DCIM" / "100TEST").mkdir(parents=True)
    album = Album(server, "rules")
    sub = folder / "DCIM" / "100TEST"
    now = time.time()
    shots = [make_shot(sub / name, seed=600 + i) for i, name in enumerate(["C.dng", "A.dng", "B.dng"])]
    for age, shot in zip((300, 200, 100), shots):             # shot in the order C, A, B
        os.utime(shot, (now - age, now - age))
    (sub / "copy-of-A.dng").write_bytes(shots[1].read_bytes())
    (sub / ".hidden.dng").write_bytes(shots[2].read_bytes()[:1000])
    (sub / "A.dng.tmp").write_bytes(b"half a file")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sub.iterdir()}

    first = TetherProcess(folder, album, "--once")
    assert first.wait(120) == 0, first.output()
    first.stop()
    photos = sorted(album.photos(), key=lambda p: p["id"])
    assert [p["name"] for p in photos] == ["C.dng", "A.dng", "B.dng"]
    assert [p["sha256"] for p in photos] == [sha256(s) for s in shots]
    assert "already known (renamed or copied): copy-of-A.dng" in first.output()

    # restarted, with a shot renamed and another copied: nothing is sent again
    os.rename(shots[0], sub / "C-renamed.dng")
    (folder / "again.dng").write_bytes(shots[2].read_bytes())
    second = TetherProcess(folder, album, "--once")
    assert second.wait(120) == 0, second.output()
    second.stop()
    assert "tether: 0 sent, 0 failed, 0 still queued" in second.output()
    assert len(album.photos()) == 3
    # the originals were only read
    for path, (data, mtime) in before.items():
        if path.exists():
            assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_new_only_skips_what_was_there(server, tmp_path):
    folder = tmp_path / "tethered"
    folder.mkdir()
    album = Album(server, "new-only")
    make_shot(folder / "OLD.dng", seed=700)
    tether = TetherProcess(folder, album, "--new-only")
    try:
        wait_for(lambda: "ready, watching" in tether.output(), 60)
        assert "1 files already there skipped" in tether.output()
        new = make_shot(folder / "NEW.dng", seed=701)
        wait_for(lambda: album.photos(), 60)
        time.sleep(1.5)
        photos = album.photos()
        assert [p["sha256"] for p in photos] == [sha256(new)]
    finally:
        tether.stop()
