"""The order tasks are handed to the workers: largest input first (runner.largest_first)."""

from __future__ import annotations

from types import SimpleNamespace

from lsquared.batch.runner import largest_first


def test_largest_first_is_by_size_and_stable(tmp_path):
    sizes = {"a.dng": 10, "b.dng": 300, "c.dng": 10, "d.dng": 50, "e.dng": 300}
    tasks = []
    for name, size in sizes.items():
        path = tmp_path / name
        path.write_bytes(b"x" * size)
        tasks.append(SimpleNamespace(source=str(path)))
    tasks.append(SimpleNamespace(source=str(tmp_path / "gone.dng")))       # vanished: last, not an error
    order = [t.source.rsplit("/", 1)[1] for t in largest_first(tasks)]
    assert order == ["b.dng", "e.dng", "d.dng", "a.dng", "c.dng", "gone.dng"]
