"""Decode benchmark: lsquared.open_raw (file -> float32 Frame) against LibRaw in the same run.

    python bench/decode.py [--runs 7] [FILE ...]

Default files: the two synthetic full-resolution DNGs of ../shared/data/raw (24 MP Bayer and
60 MP monochrome, both lossless-JPEG tiles).  For each file it prints the median wall time of

  lsquared   open_raw(path): tiles decoded in parallel, cropped, converted to float32
  LibRaw     rawpy.imread(path) + raw_image_visible (uint16, no conversion)

alternating the two so that both see the same machine load, their ratio, the CPU time of each
(all threads; it depends much less on other jobs than wall time does: on an idle machine the
wall time of the parallel decode approaches CPU / cores, LibRaw's its CPU time), and the peak
memory of one decode of each, measured in a fresh process (peak RSS minus the RSS after imports).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from runinfo import footer, header as run_header

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw"
DEFAULT_FILES = [SHARED / "synthetic-fullframe-24mp.dng", SHARED / "synthetic-monochrome-60mp.dng"]

_PEAK_CHILD = r"""
import sys, numpy, rawpy
from lsquared.io.raw import open_raw
def rss(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) / 1024.0
which, path = sys.argv[1], sys.argv[2]
if which == 'ours':
    open_raw(path)                       # load the compiled kernels before measuring
base = rss('VmRSS:')
if which == 'ours':
    frame = open_raw(path)
else:
    raw = rawpy.imread(path); image = raw.raw_image_visible.copy()
print(rss('VmHWM:') - base, rss('VmHWM:'))
"""


def _peak_mb(which: str, path: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", _PEAK_CHILD, which, str(path)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def _time_ours(path: Path) -> tuple[float, float]:
    from lsquared.io.raw import open_raw

    t, c = time.perf_counter(), time.process_time()
    open_raw(path)
    return time.perf_counter() - t, time.process_time() - c


def _time_libraw(path: Path) -> tuple[float, float]:
    import rawpy

    t, c = time.perf_counter(), time.process_time()
    with rawpy.imread(str(path)) as raw:
        raw.raw_image_visible.copy()
    return time.perf_counter() - t, time.process_time() - c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import numba

    from lsquared.io.raw import open_raw

    print(run_header("bench/decode.py " + " ".join(sys.argv[1:]),
                     "in-process (open_raw and rawpy.imread in this process, alternating run by run; peak memory: "
                     "a fresh process each)"))
    print(f"numba threads {numba.get_num_threads()}, median of {args.runs} runs\n")
    header = (f"{'file':32} {'MP':>5} {'lsquared s':>10} {'LibRaw s':>9} {'ratio':>6} {'CPU s ours':>10} "
              f"{'LibRaw':>7} {'peak MB ours':>12} {'LibRaw':>7}")
    print(header)
    print("-" * len(header))
    for path in args.files:
        if not path.exists():
            print(f"{path.name:34} missing (set LSQUARED_SHARED)")
            continue
        frame = open_raw(path)                     # warm-up: compiled kernels, file cache
        megapixels = frame.data.shape[0] * frame.data.shape[1] / 1e6
        decoder = frame.meta.extra.get("decoder", "")
        del frame
        _time_libraw(path)
        ours, libraw = [], []
        for _ in range(args.runs):
            ours.append(_time_ours(path))
            libraw.append(_time_libraw(path))
        mo, ml = (statistics.median(w for w, _ in runs) for runs in (ours, libraw))
        co, cl = (statistics.median(c for _, c in runs) for runs in (ours, libraw))
        peak_ours, _ = _peak_mb("ours", path)
        peak_libraw, _ = _peak_mb("libraw", path)
        print(f"{path.name:32} {megapixels:5.1f} {mo:10.3f} {ml:9.3f} {ml / mo:5.1f}x {co:10.3f} {cl:7.3f} "
              f"{peak_ours:12.0f} {peak_libraw:7.0f}")
        print(f"{'':32} decoder: {decoder}; fastest run: lsquared {min(w for w, _ in ours):.3f} s, "
              f"LibRaw {min(w for w, _ in libraw):.3f} s; load average {os.getloadavg()[0]:.1f}")
    print(footer())


if __name__ == "__main__":
    main()
