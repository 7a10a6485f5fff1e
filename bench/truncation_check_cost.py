"""Cost of the truncation check (io.raw_checks.tiff_data_extent: the header's strips and tiles
against the file size), in-process, beside the DNG tag reader every DNG open already pays
(io.dngtags.read_dng_tags), the two alternating in the same loop, median of ``--runs`` per file.

    python bench/truncation_check_cost.py [--runs 7] [FILES...]   (default: every file of ../shared/data/raw)

The figure docs/formats.md quotes ("Truncated raws"): the range over the files of the check's
median, beside the range of the tag reader's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import runinfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def main() -> int:
    from shared_data import raw_files

    from lsquared.errors import LsquaredError
    from lsquared.io import dngtags
    from lsquared.io.raw_checks import tiff_data_extent

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    files = args.files or raw_files()
    if not files:
        print("truncation_check_cost: no raw files (the shared data set lives in ../shared/data/raw)",
              file=sys.stderr)
        return 2

    def read_tags(path: Path) -> None:
        try:
            dngtags.read_dng_tags(path)
        except LsquaredError:  # a damaged or unsupported file still costs its read
            pass

    print(runinfo.header("bench/truncation_check_cost.py", f"in-process, warm, median of {args.runs} per file, "
                         "the check and the tag reader alternating"))
    print("| file | tiff_data_extent, ms | read_dng_tags (peer), ms |")
    print("|---|---:|---:|")
    checks, tags = [], []
    for path in files:
        tiff_data_extent(path), read_tags(path)  # warm-up: the file's header pages cached
        a, b = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            tiff_data_extent(path)
            a.append(time.perf_counter() - t)
            t = time.perf_counter()
            read_tags(path)
            b.append(time.perf_counter() - t)
        checks.append(1e3 * statistics.median(a))
        tags.append(1e3 * statistics.median(b))
        print(f"| {path.name} | {checks[-1]:.3f} | {tags[-1]:.3f} |")
    print(f"\nrange over {len(files)} files: the check {min(checks):.2f}-{max(checks):.2f} ms, "
          f"the DNG tag reader {min(tags):.2f}-{max(tags):.2f} ms")
    print(runinfo.footer())
    return 0


if __name__ == "__main__":
    sys.exit(main())
