"""Benchmark: demosaic quality on Kodak-24 and speed on a 24-megapixel mosaic.

    python bench/demosaic_quality.py [--kodak ../shared/data/kodak] [--runs 5] [--write-docs]

Quality, as the literature measures it: each 8-bit Kodak image, as floats in [0, 1], is
re-mosaicked in the RGGB phase and demosaicked by every method; CPSNR =
10 log10(255^2 / MSE over R, G and B, in 8-bit units), per image and the mean, with a
10-pixel border excluded and with none.  The output is scored as it comes (float, neither
clipped nor rounded).

Speed: megapixels per second on a 6048 x 4032 mosaic (Kodak images tiled), median of
``--runs`` after a warm-up (which also compiles), methods interleaved round by round so that
a busy machine disturbs them alike; also MP per CPU-second over all threads, which a shared
machine disturbs less (a parallel kernel on n idle cores reaches up to n times it), and the
ratio to Malvar measured in the same run.

``--write-docs`` replaces the demosaic section of docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from lsquared.synth.kodak import cpsnr, load_kodak, mosaic_rggb, tiled

REPO = Path(__file__).resolve().parents[1]
KODAK = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "kodak"
DOCS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- demosaic:begin -->", "<!-- demosaic:end -->"

# Published mean Kodak-24 CPSNR (dB) of the same methods, where a source gives one.
PUBLISHED = {
    "bilinear": "29.9",
    "malvar": "35.1",
    "menon2007": "39.1",
    "gbtf": "40.6 (paper)",
}
PUBLISHED_OTHERS = [("ARI (Monno et al. 2017)", "39.9"), ("MSG (Pekkucuksen & Altunbasak 2013)", "41.0 (paper)"),
                    ("neural networks (2016-2020)", "42-43")]


def quality(methods: list[str], images) -> dict[str, dict[str, tuple[float, float]]]:
    from lsquared.ops.demosaic import demosaic_array

    scores: dict[str, dict[str, tuple[float, float]]] = {m: {} for m in methods}
    for name, rgb in images:
        cfa = mosaic_rggb(rgb)
        for m in methods:
            out = demosaic_array(cfa, "RGGB", m)
            scores[m][name] = (cpsnr(rgb, out, 10), cpsnr(rgb, out, 0))
    return scores


def speed(methods: list[str], cfa: np.ndarray, runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per method, interleaved round by round."""
    from lsquared.ops.demosaic import demosaic_array

    for m in methods:
        demosaic_array(cfa, "RGGB", m)           # warm-up and compile
    wall: dict[str, list[float]] = {m: [] for m in methods}
    cpu: dict[str, list[float]] = {m: [] for m in methods}
    for _ in range(runs):
        for m in methods:
            c0, t0 = time.process_time(), time.perf_counter()
            demosaic_array(cfa, "RGGB", m)
            wall[m].append(time.perf_counter() - t0)
            cpu[m].append(time.process_time() - c0)
    return {m: (statistics.median(wall[m]), statistics.median(cpu[m])) for m in methods}


def tables(methods, scores, speeds, megapixels, command, threads, load) -> str:
    names = list(next(iter(scores.values())))
    out = [f"```\n{command}\n```", ""]
    out.append("Mean Kodak-24 CPSNR (dB; RGGB, 8-bit values as floats; border = pixels excluded at "
               "each edge), and speed on a 6048 x 4032 mosaic "
               f"({threads} numba threads; machine load average {load:.1f} when measured):")
    out.append("")
    out.append("| method | CPSNR, border 10 | CPSNR, border 0 | published | MP/s | MP/CPU-s | time vs Malvar |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    base = speeds["malvar"][0] if "malvar" in speeds else None
    for m in methods:
        s10 = statistics.mean(v[0] for v in scores[m].values())
        s0 = statistics.mean(v[1] for v in scores[m].values())
        wall, cpu = speeds[m]
        ratio = f"{wall / base:.1f}x" if base else "-"
        out.append(f"| {m} | {s10:.2f} | {s0:.2f} | {PUBLISHED.get(m, '-')} | {megapixels / wall:.1f} | "
                   f"{megapixels / cpu:.1f} | {ratio} |")
    for label, value in PUBLISHED_OTHERS:
        out.append(f"| {label} | | | {value} | | | |")
    out.append("")
    if load > 1.5:
        out.append(f"Measured while the machine was shared and busy (load average {load:.1f} on "
                   f"{os.cpu_count()} cores): wall-clock MP/s is well below a quiet machine's. MP/CPU-s "
                   "is disturbed less; a kernel that keeps n idle cores busy reaches up to n times it. "
                   "To be re-measured on a quiet machine.")
        out.append("")
    out.append("Per image (CPSNR in dB, border 10):")
    out.append("")
    out.append("| image | " + " | ".join(methods) + " |")
    out.append("|---|" + "---:|" * len(methods))
    for n in names:
        out.append(f"| {n} | " + " | ".join(f"{scores[m][n][0]:.2f}" for m in methods) + " |")
    return "\n".join(out)


def write_docs(section: str) -> None:
    """Replace our section of docs/benchmarks.md (atomically; other sections untouched)."""
    text = DOCS.read_text() if DOCS.exists() else ""
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
    tmp = DOCS.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, DOCS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kodak", type=Path, default=KODAK, help="folder of kodim01..24.png")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per method (median)")
    ap.add_argument("--methods", default="", help="comma-separated names (default: all)")
    ap.add_argument("--write-docs", action="store_true", help="write the table into docs/benchmarks.md")
    args = ap.parse_args()

    import numba

    from lsquared.ops.demosaic import DEMOSAIC_METHODS

    methods = [m.strip() for m in args.methods.split(",") if m.strip()] or DEMOSAIC_METHODS.names()
    images = load_kodak(args.kodak)
    if not images:
        sys.exit(f"{args.kodak}: no kodim*.png found (give --kodak PATH)")
    scores = quality(methods, images)
    cfa = mosaic_rggb(tiled(images, 4032, 6048))
    load = os.getloadavg()[0]
    speeds = speed(methods, cfa, args.runs)
    load = max(load, os.getloadavg()[0])
    command = "python bench/demosaic_quality.py " + " ".join(sys.argv[1:])
    text = tables(methods, scores, speeds, cfa.size / 1e6, command.strip(), numba.get_num_threads(), load)
    print(text)
    if args.write_docs:
        write_docs("## Demosaic: Kodak-24 quality and 24 MP speed (`bench/demosaic_quality.py`)\n\n" + text)


if __name__ == "__main__":
    main()
