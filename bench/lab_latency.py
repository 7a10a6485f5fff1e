"""Look lab: what one slider move costs on the server (the page's side is measured by the
browser test, tests/share/test_lab_browser.py, which prints the change-to-picture latency).

In-process (warm, this process): a slider sequence of N distinct saturation amounts on the
``standard`` look, each step timed apart:
  parse    the definition (the page's JSON) to a Look (looks.model.look_from_definition)
  compile  its 33-point LUT (share.lab.compile_table: looks.compile, memory cache bypassed by
           the distinct digests, no disk cache)
  encode   the table as the uint16 codes the page takes (share.lab.lut_codes); peer in the same
           loop: float32 bytes (what was sent before)
Whole-process: a real ``lsquared serve`` on loopback, ``POST /api/lab/lut`` of the same kind
of sequence over HTTP (httpx, keep-alive); peer alternating with it: ``GET /api/lab/schema``
(same authentication, no work: the request's own cost).

    python bench/lab_latency.py [--moves 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runinfo import footer, header  # noqa: E402
from share_latency import pct, serve, stop  # noqa: E402


def row(name: str, ms: list[float]) -> str:
    return f"{name:<44} {statistics.median(ms):8.1f} {pct(ms, 0.95):8.1f} {len(ms):6d}"


def in_process(moves: int) -> list[str]:
    from lsquared.looks.library import resolve_look
    from lsquared.looks.model import look_from_definition
    from lsquared.share.lab import compile_table, lut_codes

    base = resolve_look("standard").definition()
    times: dict[str, list[float]] = {k: [] for k in ("parse", "compile", "encode u16", "encode f32")}
    compile_table(look_from_definition("lab", "", {**base, "saturation": {"amount": 0.5}}, where="lab"))  # warm
    for i in range(moves):
        d = {**base, "saturation": {"amount": 1.0 + 0.013 * i, "vibrance": 0.0}}
        t0 = time.perf_counter()
        look = look_from_definition("lab", "", d, where="lab")
        t1 = time.perf_counter()
        table = compile_table(look)
        t2 = time.perf_counter()
        lut_codes(table)
        t3 = time.perf_counter()
        np.ascontiguousarray(table, dtype="<f4").tobytes()
        t4 = time.perf_counter()
        for k, a, b in (("parse", t0, t1), ("compile", t1, t2), ("encode u16", t2, t3), ("encode f32", t3, t4)):
            times[k].append((b - a) * 1e3)
    return [row(f"in-process {k}", v) for k, v in times.items()]


def whole_process(moves: int) -> list[str]:
    from lsquared.looks.library import resolve_look

    base = resolve_look("standard").definition()
    with tempfile.TemporaryDirectory(prefix="lsq-lab-bench-") as tmp:
        server, url, h = serve(Path(tmp), 0)
        try:
            lut, schema = [], []
            with httpx.Client(base_url=url, headers=h, timeout=60) as c:
                c.post("/api/lab/lut", json={"definition": base}).raise_for_status()      # warm
                for i in range(moves):
                    d = {**base, "saturation": {"amount": 1.0 + 0.017 * i, "vibrance": 0.0}}
                    t0 = time.perf_counter()
                    r = c.post("/api/lab/lut", json={"definition": d})
                    r.raise_for_status()
                    t1 = time.perf_counter()
                    c.get("/api/lab/schema").raise_for_status()
                    t2 = time.perf_counter()
                    lut.append((t1 - t0) * 1e3)
                    schema.append((t2 - t1) * 1e3)
            size = len(r.content)
        finally:
            stop(server)
    return [row(f"HTTP POST /api/lab/lut ({size // 1024} KB)", lut),
            row("HTTP GET /api/lab/schema (peer)", schema)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=30)
    args = ap.parse_args()
    print(header("bench/lab_latency.py", "in-process (warm) and whole-process (lsquared serve, HTTP on loopback)"))
    print(f"{'what (33-point LUT, one slider move)':<44} {'median':>8} {'p95':>8} {'n':>6}   (ms)")
    for line in in_process(args.moves) + whole_process(args.moves):
        print(line)
    print(footer())


if __name__ == "__main__":
    main()
