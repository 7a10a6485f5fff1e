"""Default brightness on every shared camera file: lsquared with default settings, before and
after the headroom compensation (estimators/brightness.py), against the camera's own embedded
preview and against rawpy (LibRaw's defaults with the camera's white balance, auto-brightness
on as dcraw does).  Mean of all 8-bit sRGB values of the whole picture (the figure issue 13
quotes: "mean 58/255 against rawpy's 89").  Not a timing: one run per file.

    python bench/brightness.py [FILES...]       (default: every file of ../shared/data/raw)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def mean8(a: np.ndarray) -> float:
    a = np.asarray(a)
    return float(a.astype(np.float64).mean() / (257.0 if a.dtype == np.uint16 else 1.0))


def rawpy_mean(path: Path) -> float | None:
    import rawpy

    try:
        with rawpy.imread(str(path)) as raw:
            return mean8(raw.postprocess(use_camera_wb=True))
    except Exception as exc:            # noqa: BLE001 - a file LibRaw cannot render: say so
        print(f"  rawpy: {path.name}: {exc}", file=sys.stderr)
        return None


def measure(path: Path) -> dict:
    import lsquared
    from lsquared.io.preview import camera_rendering
    from lsquared.pipeline.recipe import Recipe

    frame = lsquared.open_raw(path)
    now = lsquared.develop(frame)
    e = now.recipe.exposure
    # before: only the DNG's BaselineExposure as lsquared read it (0 where absent or unreadable)
    before_recipe = Recipe().replace(exposure=dataclasses.replace(Recipe().exposure,
                                                                  baseline_ev=frame.meta.baseline_exposure,
                                                                  baseline_source="file"))
    before = lsquared.develop(frame, before_recipe)
    rendering = camera_rendering(path)
    preview = rendering.preview
    return {
        "file": path.name, "size": f"{now.shape[1]}x{now.shape[0]}",
        "preview": (f"{mean8(preview):.0f} ({preview.shape[1]}x{preview.shape[0]})" if preview is not None
                    else "none"),
        "declared": "none" if rendering.baseline_exposure is None else f"{rendering.baseline_exposure:+.2f}",
        "rawpy": rawpy_mean(path), "before": mean8(before), "now": mean8(now),
        "ev": e.baseline_ev, "source": e.baseline_source,
    }


def main() -> None:
    from shared_data import raw_files

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args()
    files = args.files or raw_files()
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"# default brightness, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"commit {commit}, load {os.getloadavg()[0]:.1f}; in-process, mean of 8-bit sRGB values")
    print("| file | picture | embedded preview | BaselineExposure | rawpy | lsquared before | lsquared now "
          "| compensation (source) |")
    print("|---|---|---|---|---|---|---|---|")
    for path in files:
        if path.suffix.lower() not in (".dng", ".kdc", ".rw2", ".cr2", ".nef", ".arw", ".orf", ".raf", ".pef"):
            continue
        try:
            r = measure(path)
        except Exception as exc:       # noqa: BLE001 - e.g. the unsupported GoPro file
            print(f"| {path.name} | not developed: {exc} |||||||")
            continue
        rawpy = f"{r['rawpy']:.0f}" if r["rawpy"] is not None else "n/a"
        print(f"| {r['file']} | {r['size']} | {r['preview']} | {r['declared']} | {rawpy} | {r['before']:.0f} "
              f"| {r['now']:.0f} | {r['ev']:+.2f} EV ({r['source']}) |")


if __name__ == "__main__":
    main()
