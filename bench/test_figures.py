"""The figures that only a test can measure, printed as a benchmark prints its tables.

    python bench/test_figures.py            # every test below, one after another
    python bench/test_figures.py --list

Some figures the docs quote come from inside a test because the test is the only place that
has the thing measured: the look lab's latency is taken by a real headless chromium in the
page (``performance.now()`` from the slider's input event to the painted frame), the live
album's event-to-page times likewise, and the 8-bit DNG levels table needs the project's DNG
test writer.  Each test prints its figures (``-s``); this script runs each one alone in a
fresh pytest process (no xdist, so nothing else runs beside it), keeps the lines the test
printed, and says whether the test passed: a figure from a failed test is not a figure.
``bench/run_all.py`` runs it in the same go as the other bench scripts, so these figures
carry the same date, commit and load as the rest.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from runinfo import footer, header       # bench scripts run as ``python bench/NAME.py``

REPO = Path(__file__).resolve().parents[1]

# (test, what it prints, where the docs quote it)
TESTS: list[tuple[str, str, str]] = [
    ("tests/io/test_levels_8bit.py", "CIEDE2000 of each 8-bit / lossy DNG case against its 16-bit twin",
     "docs/formats.md (8-bit and lossy DNGs), README"),
    ("tests/share/test_lab_browser.py", "the lab's change-to-picture latency in chromium; canvas vs develop PSNR",
     "docs/looks.md (the look lab), README"),
    ("tests/share/test_lab_apply.py", "an album photo in a lab look vs the same develop", "docs/looks.md"),
    ("tests/share/test_browser.py", "live album: event -> page in chromium, per kind", "docs/share.md"),
]

def run_test(path: str) -> tuple[int, float, list[str]]:
    """(pytest's exit status, seconds, the lines the test printed) of one test file, alone."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    # -s: the test's prints reach stdout; no terminal plugin: none of pytest's own lines
    # (progress, summary) among them; the exit status still says pass or fail
    proc = subprocess.run([sys.executable, "-m", "pytest", path, "-s", "-o", "addopts=", "-p", "no:terminal",
                           "-p", "no:xdist", "-p", "no:cacheprovider", "-W", "ignore"],
                          cwd=REPO, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    lines = [line.rstrip() for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0:
        lines += [f"# {line}" for line in proc.stderr.strip().splitlines()[-5:]]
    return proc.returncode, seconds, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true")
    ap.add_argument("tests", nargs="*", help="only these test files (default: all above)")
    args = ap.parse_args()
    if args.list:
        for path, what, where in TESTS:
            print(f"{path}: {what} -> {where}")
        return 0
    chosen = [t for t in TESTS if not args.tests or t[0] in args.tests]
    print(header("bench/test_figures.py", "as each test measures them (see each test's docstring); "
                 "each test file alone in its own pytest process"), flush=True)
    failed = 0
    for path, what, where in chosen:
        rc, seconds, lines = run_test(path)
        failed += rc != 0
        print(f"\n## {path} ({what}; -> {where})")
        print(f"# {'passed' if rc == 0 else f'FAILED (exit {rc})'} in {seconds:.1f} s, "
              f"load average {os.getloadavg()[0]:.2f}")
        for line in lines:
            print(line)
        sys.stdout.flush()
    print(footer())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
