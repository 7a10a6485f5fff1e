"""Benchmark: demosaic quality on Kodak-24, McMaster (dev half) and CBSD68, and speed on a 24 MP mosaic.

    python bench/demosaic_quality.py [--sets kodak,mcmaster,cbsd68] [--step 1] [--runs 5] [--write-docs]

Quality, as the literature measures it: each 8-bit image, as floats in [0, 1], is
re-mosaicked in the RGGB phase and demosaicked by every method; the output is clipped to
[0, 1] and rounded to 8 bits (as a saved result is scored), and CPSNR =
10 log10(255^2 / MSE over R, G and B, in 8-bit units), per image and the mean, with a
10-pixel border excluded.  Three sets side by side (../shared/data; each folder's MANIFEST.md
says what it is): Kodak-24 (strongly correlated colour, favours colour-difference methods),
the McMaster/IMAX dev half (9 of 18: saturated colour, sharp colour edges, favours residual
interpolation) and CBSD68 (68 natural photographs).  ``--step N`` scores every N-th image of
each set (a quick look while iterating; the docs table uses all).

Speed: megapixels per second on a 6048 x 4032 mosaic (Kodak images tiled), median of
``--runs`` after a warm-up (which also compiles), methods interleaved round by round so that
a busy machine disturbs them alike (in-process: the demosaic call only); also MP per
CPU-second over all threads, which a shared machine disturbs less (a parallel kernel on n
idle cores reaches up to n times it), and the ratio to Malvar measured in the same run.

``--write-docs`` replaces the demosaic section of docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from lsquared.synth.kodak import load_kodak, mosaic_rggb, tiled

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data"
DOCS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- demosaic:begin -->", "<!-- demosaic:end -->"

# name -> (folder under ../shared/data, file pattern, column title)
SETS = {
    "kodak": ("kodak", "kodim*.png", "Kodak-24"),
    "mcmaster": ("mcmaster-dev", "mcm*.png", "McMaster dev"),
    "cbsd68": ("cbsd68", "*.png", "CBSD68"),
}
# Published mean CPSNR (dB) of the same methods, where a source gives one ("-": none known to
# us).  Kodak figures as before (the methods' papers, docs/demosaic.md); ARI: Monno et al.,
# Sensors 17(12) 2787, 2017, on Kodak and on all 18 McMaster images (not only the dev half),
# as cited in issue 15 (the paper's table was not re-read here).  None of these papers
# reports CBSD68.
PUBLISHED = {
    "bilinear": {"kodak": "29.9"},
    "malvar": {"kodak": "35.1"},
    "menon2007": {"kodak": "39.1"},
    "gbtf": {"kodak": "40.6 (paper)"},
    "ari": {"kodak": "39.9", "mcmaster": "37.4 (all 18)"},
}
PUBLISHED_OTHERS = [("MSG (Pekkucuksen & Altunbasak 2013)", {"kodak": "41.0 (paper)"}),
                    ("neural networks (2016-2020)", {"kodak": "42-43"})]


def load_set(name: str, step: int = 1) -> list[tuple[str, np.ndarray]]:
    from PIL import Image

    folder, pattern, _ = SETS[name]
    if name == "kodak":
        images = load_kodak(SHARED / folder)[::step]
    else:
        images = [(f.stem, np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) / np.float32(255.0))
                  for f in sorted((SHARED / folder).glob(pattern))[::step]]
    if not images:
        sys.exit(f"{SHARED / folder}: no {pattern} found (set LSQUARED_SHARED to the folder holding data/)")
    return images


def cpsnr_8bit(reference: np.ndarray, result: np.ndarray, border: int = 10) -> float:
    """CPSNR (dB) of the result saved as 8 bits (clipped to [0, 1], rounded) against the
    8-bit reference, ``border`` pixels excluded at each edge."""
    if border:
        reference = reference[border:-border, border:-border]
        result = result[border:-border, border:-border]
    err = np.round(reference.astype(np.float64) * 255.0) - np.round(np.clip(result, 0.0, 1.0) * 255.0)
    return float(10.0 * np.log10(255.0 ** 2 / np.mean(err * err)))


def quality(methods: list[str], images) -> dict[str, dict[str, float]]:
    from lsquared.ops.demosaic import demosaic_array

    scores: dict[str, dict[str, float]] = {m: {} for m in methods}
    for name, rgb in images:
        cfa = mosaic_rggb(rgb)
        for m in methods:
            scores[m][name] = cpsnr_8bit(rgb, demosaic_array(cfa, "RGGB", m))
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


def tables(methods, sets, scores, speeds, megapixels, command, threads, load, step) -> str:
    out = [f"```\n{command}\n```", ""]
    counts = ", ".join(f"{SETS[k][2]} {len(next(iter(scores[k].values())))} images" for k in sets)
    out.append("Mean CPSNR (dB; RGGB, output clipped and rounded to 8 bits, 10-pixel border excluded; "
               f"{counts}{'' if step == 1 else f', every {step}th image'}) with published figures beside "
               f"ours, and speed on a 6048 x 4032 mosaic, in-process ({threads} numba threads; machine "
               f"load average {load:.1f} when measured):")
    out.append("")
    out.append("| method | " + " | ".join(f"{SETS[k][2]} | published" for k in sets)
               + " | MP/s | MP/CPU-s | time vs Malvar |")
    out.append("|---|" + "---:|---:|" * len(sets) + "---:|---:|---:|")
    base = speeds["malvar"][0] if "malvar" in speeds else None
    for m in methods:
        cells = []
        for k in sets:
            cells += [f"{statistics.mean(scores[k][m].values()):.2f}", PUBLISHED.get(m, {}).get(k, "-")]
        if m in speeds:
            wall, cpu = speeds[m]
            cells += [f"{megapixels / wall:.1f}", f"{megapixels / cpu:.1f}", f"{wall / base:.1f}x" if base else "-"]
        else:
            cells += ["-", "-", "-"]
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    for label, values in PUBLISHED_OTHERS:
        out.append(f"| {label} | " + " | ".join(f" | {values.get(k, '')}" for k in sets) + " | | | |")
    out.append("")
    # the benchmark's own two threads make a load of about 2: busy means more than that
    if load > (os.cpu_count() or 2) + 0.5:
        out.append(f"Measured while the machine was shared and busy (load average {load:.1f} on "
                   f"{os.cpu_count()} cores): wall-clock MP/s is well below a quiet machine's. MP/CPU-s "
                   "is disturbed less; a kernel that keeps n idle cores busy reaches up to n times it.")
        out.append("")
    for k in sets:
        if k == "cbsd68":
            continue            # 68 rows: the mean above is the figure
        out.append(f"Per image, {SETS[k][2]} (CPSNR in dB):")
        out.append("")
        out.append("| image | " + " | ".join(methods) + " |")
        out.append("|---|" + "---:|" * len(methods))
        for n in next(iter(scores[k].values())):
            out.append(f"| {n} | " + " | ".join(f"{scores[k][m][n]:.2f}" for m in methods) + " |")
        out.append("")
    return "\n".join(out).rstrip()


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
    ap.add_argument("--sets", default=",".join(SETS), help="comma-separated, of: " + ", ".join(SETS))
    ap.add_argument("--step", type=int, default=1, help="score every N-th image of each set")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per method (median); 0: no speed")
    ap.add_argument("--methods", default="", help="comma-separated names (default: all)")
    ap.add_argument("--speed-methods", default="", help="comma-separated names timed on 24 MP (default: all "
                    "of --methods); the others show '-' in the speed columns")
    ap.add_argument("--save-scores", type=Path, help="write the quality scores to this JSON file")
    ap.add_argument("--load-scores", type=Path, action="append", default=[],
                    help="take the scores of the methods in this JSON file (from --save-scores of an "
                         "earlier run of the same sets) instead of scoring them again")
    ap.add_argument("--write-docs", action="store_true", help="write the table into docs/benchmarks.md")
    args = ap.parse_args()

    import numba

    from lsquared.ops.demosaic import DEMOSAIC_METHODS

    methods = [m.strip() for m in args.methods.split(",") if m.strip()] or DEMOSAIC_METHODS.names()
    sets = [k.strip() for k in args.sets.split(",") if k.strip()]
    if any(k not in SETS for k in sets):
        sys.exit(f"--sets: choose from {', '.join(SETS)}")
    load = os.getloadavg()[0]
    loaded: dict[str, dict[str, dict[str, float]]] = {k: {} for k in sets}
    for f in args.load_scores:
        for k, by_method in json.loads(f.read_text()).items():
            if k in loaded:
                loaded[k].update(by_method)
    scores = {}
    for k in sets:
        todo = [m for m in methods if m not in loaded[k]]
        scores[k] = {**loaded[k], **(quality(todo, load_set(k, max(args.step, 1))) if todo else {})}
        scores[k] = {m: scores[k][m] for m in methods}
    if args.save_scores:
        args.save_scores.write_text(json.dumps(scores, indent=1))
    speeds: dict[str, tuple[float, float]] = {}
    megapixels = 0.0
    if args.runs > 0:
        cfa = mosaic_rggb(tiled(load_set("kodak"), 4032, 6048))
        megapixels = cfa.size / 1e6
        timed = [m.strip() for m in args.speed_methods.split(",") if m.strip()] or methods
        speeds = speed([m for m in methods if m in timed], cfa, args.runs)
    load = max(load, os.getloadavg()[0])
    command = "python bench/demosaic_quality.py " + " ".join(sys.argv[1:])
    text = tables(methods, sets, scores, speeds, megapixels, command.strip(), numba.get_num_threads(), load,
                  max(args.step, 1))
    print(text)
    if args.write_docs:
        write_docs("## Demosaic: quality on three sets and 24 MP speed (`bench/demosaic_quality.py`)\n\n" + text)


if __name__ == "__main__":
    main()
