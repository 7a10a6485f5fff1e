"""Colour accuracy: the ColorChecker of the demo scene, developed by ``lsquared.develop``.

    python bench/chart.py [--looks neutral,standard] [--lights D65,A]

The scene is the one ``lsquared demo`` develops (lsquared.synth: real reflectance spectra,
a real camera's measured sensitivities, its maker-style DNG profile, 1200x800, ISO 100, the
simulated noise), shot under each light with as-shot white balance, written as a DNG and
developed by ``lsquared.develop(path, look=...)`` itself, every other setting at its default.
Printed per look and light: the mean and largest CIEDE2000 of the 24 patches against the
chart's CIE colours (exposure set on "neutral 5"; under a light other than D65 against the
scene's colours carried to D65 by Bradford, ``evaluate_chart(adapted=True)``), and the
largest a*/b* error of the six neutrals.  ``neutral`` is the colorimetric look (the scene
as measured); every other look renders (contrast, saturation, hue shifts), so its distance
from the chart is a design, not an error.  No timings: load and commit are printed because
every bench prints them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from runinfo import footer, header


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--looks", default="neutral,standard")
    ap.add_argument("--lights", default="D65,A")
    args = ap.parse_args(argv)

    import lsquared
    from lsquared.synth.demo import make_demo_raw
    from lsquared.synth.truth import evaluate_chart

    print(header("bench/chart.py " + " ".join(sys.argv[1:] if argv is None else argv),
                 "none (colour accuracy through lsquared.develop)"))
    print("\n| look | light | mean CIEDE2000 | max CIEDE2000 | neutrals: max a*/b* error |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for light in args.lights.split(","):
            info = make_demo_raw(Path(tmp) / f"chart-{light}.dng", illuminant=light)
            for look in args.looks.split(","):
                score = evaluate_chart(lsquared.develop(info.path, look=look), info.patches,
                                       adapted=light.upper() != "D65")
                print(f"| {look} | {light} | {score.mean:.2f} | {score.max:.2f} | "
                      f"{np.abs(score.neutral_ab_error()).max():.2f} |", flush=True)
    print(footer())


if __name__ == "__main__":
    main()
