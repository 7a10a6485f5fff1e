"""Image-quality figures of the detail and fidelity stages: noise, highlights, sharpening, and
what each costs on a 24-megapixel frame.

    python bench/quality.py [--runs 5] [--skip-timing] [--skip-quality]

Quality (synthetic camera, 1200x800, ground truth from lsquared.synth; see docs/quality.md):
- noise estimate: (S, O) of var = S x + O from the picture vs the simulated sensor's truth;
- denoise auto at ISO 800/3200/6400: PSNR (peak = white level) of linear camera RGB after
  demosaic against the noise-free twin of the same scene, on the 36 flat chart and wedge
  patches and on the fine detail (Siemens star and bar groups of 2.5-8 px periods), without
  and with denoising;
- highlights clip vs reconstruct on the blown sky and the 2000 K lamp: mean hue error (degrees,
  opponent plane of white-balanced camera RGB) against the unclipped truth where some channels
  clipped, saturation where all clipped, share of magenta pixels, and the largest rise and
  fall of log-luminance per pixel across the sky (the truth rises by a constant ln 64 / width);
- sharpening on the chart through a soft lens (PSF sigma 1.2 px): MTF50 and overshoot of the
  patch edges at amounts 0, 0.5 (the standard look's), 1.

Timing (../shared/data/raw/synthetic-fullframe-24mp.dng): median wall and CPU time (all
threads) of each step at its develop default, with the demosaic ("auto") measured in the same
run as the peer, since the shared machine's load moves every absolute figure.  Steps run in
turn within each round, so a burst of load hits all of them alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from runinfo import footer, header

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "raw"
FILE_24MP = SHARED / "synthetic-fullframe-24mp.dng"


def _balanced(path):
    from lsquared.io.raw import open_raw
    from lsquared.ops.levels import levels
    from lsquared.ops.white_balance import WhiteBalanceParams, white_balance

    frame, _ = white_balance(levels(open_raw(path)), WhiteBalanceParams())
    return frame


def _linear(frame, highlight_mode="reconstruct", denoise_params=None):
    from lsquared.ops.demosaic import DemosaicParams, demosaic
    from lsquared.ops.denoise import DenoiseParams, denoise
    from lsquared.ops.highlights import HighlightParams, highlights

    frame = highlights(frame, HighlightParams(mode=highlight_mode))
    frame, resolved = denoise(frame, denoise_params or DenoiseParams(mode="off"))
    return demosaic(frame, DemosaicParams()).data, resolved


def _psnr(a, b, mask):
    return 10.0 * np.log10(1.0 / np.mean((a[mask] - b[mask]) ** 2))


def hue(rgb):
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.degrees(np.arctan2(np.sqrt(3.0) * (g - b), 2.0 * r - g - b)) % 360.0


def hue_error(a, b):
    d = np.abs(hue(a) - hue(b)) % 360.0
    return np.minimum(d, 360.0 - d)


def saturation(rgb):
    return (rgb.max(-1) - rgb.min(-1)) / np.maximum(rgb.max(-1), 1e-6)


def noise_figures(folder: Path) -> None:
    from lsquared.estimators.noise import estimate_noise_profile
    from lsquared.ops.denoise import DenoiseParams, denoise
    from lsquared.synth import make_demo_raw

    print("\n## Noise (synthetic camera, 1200x800, auto strength)\n")
    print("| ISO | S true | S est | O true | O est | luma, chroma | flat: none -> denoised (gain) "
          "| detail: none -> denoised (change) | denoise ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for iso in (800, 3200, 6400):
        info = make_demo_raw(folder / f"iso{iso}.dng", iso=iso)
        make_demo_raw(folder / f"clean{iso}.dng", iso=iso, noise=False)
        clean, _ = _linear(_balanced(folder / f"clean{iso}.dng"))
        frame = _balanced(info.path)
        est = estimate_noise_profile(frame.data, frame.meta.cfa, frame.meta.wb_multipliers)
        noisy, _ = _linear(frame)
        out, resolved = _linear(frame, denoise_params=DenoiseParams())
        ms = _time(lambda f=frame: denoise(f, DenoiseParams()), 5)[0] * 1000      # estimate + filter
        flat = np.zeros(clean.shape[:2], bool)
        for p in info.patches:
            x0, y0, x1, y1 = p.box
            flat[y0:y1, x0:x1] = True
        detail = np.zeros_like(flat)
        for name, (x0, y0, x1, y1) in info.boxes.items():
            if name == "siemens star" or (name.startswith("bars") and not name.startswith("bars 2px")):
                detail[y0:y1, x0:x1] = True
        fn, fd = _psnr(noisy, clean, flat), _psnr(out, clean, flat)
        dn, dd = _psnr(noisy, clean, detail), _psnr(out, clean, detail)
        s, o = info.noise_profile
        print(f"| {iso} | {s:.3g} | {est.scale:.3g} ({est.scale / s - 1:+.1%}) | {o:.3g} | {est.offset:.3g} "
              f"({est.offset / o - 1:+.0%}) | {resolved.luma:.2f}, {resolved.chroma:.2f} | {fn:.1f} -> {fd:.1f} "
              f"dB (+{fd - fn:.1f}) | {dn:.1f} -> {dd:.1f} dB ({dd - dn:+.1f}) | {ms:.0f} |")


def highlight_figures(folder: Path) -> None:
    from lsquared.ops.highlights import clip_levels
    from lsquared.synth import make_demo_raw

    info = make_demo_raw(folder / "highlights.dng", highlights=True)
    frame = _balanced(info.path)
    truth = info.reference_camera_rgb() * np.asarray(frame.meta.wb_multipliers, np.float32)
    limits = clip_levels(frame, 0.995)
    print("\n## Highlights (synthetic blown sky and 2000 K lamp, 1200x800, ISO 100)\n")
    print("| mode | sky hue error, partly clipped | lamp hue error, partly clipped | sky saturation, "
          "fully clipped | magenta pixels | sky d(log Y)/dx max / min (truth +{:.4f}) |".format(
              np.log(64.0) / (info.boxes["sky"][2] - info.boxes["sky"][0])))
    print("|---|---|---|---|---|---|")
    for mode in ("clip", "reconstruct"):
        rgb, _ = _linear(frame, mode)
        row = [mode]
        magenta = []
        for name in ("sky", "lamp"):
            x0, y0, x1, y1 = info.boxes[name]
            box = (slice(y0 + 6, y1 - 6), slice(x0 + 6, x1 - 6))
            n = (truth[box] >= limits).sum(-1)
            partial, full = (n > 0) & (n < 3), n == 3
            row.append(f"{hue_error(rgb[box], truth[box])[partial].mean():.1f}°")
            if name == "sky":
                sky_sat = saturation(rgb[box])[full].mean()
            pink = (hue_error(rgb[box], np.array([1.0, 0.0, 1.0])) < 30) & (saturation(rgb[box]) > 0.05)
            magenta.append(pink[partial | full].mean())
        x0, y0, x1, y1 = info.boxes["sky"]
        y = 0.25 * rgb[..., 0] + 0.5 * rgb[..., 1] + 0.25 * rgb[..., 2]
        grad = np.diff(np.log(np.maximum(y[y0 + 20:y1 - 20, x0 + 6:x1 - 6], 1e-4)).mean(axis=0))
        row += [f"{sky_sat:.3f}", f"{max(magenta):.2%}", f"{grad.max():+.4f} / {grad.min():+.4f}"]
        print("| " + " | ".join(row) + " |")


def sharpen_figures(folder: Path) -> None:
    from lsquared.ops.sharpen import sharpen_usm
    from lsquared.synth import make_demo_raw

    info = make_demo_raw(folder / "soft.dng", noise=False, psf_sigma=1.2)
    rgb, _ = _linear(_balanced(info.path))
    print("\n## Capture sharpening (chart edges through a soft lens, PSF sigma 1.2 px)\n")
    print("| amount | MTF50 (cycles/px) | 10-90 % rise (px) | max overshoot (of the step) |")
    print("|---|---|---|---|")
    for amount in (0.0, 0.5, 1.0):
        img = sharpen_usm(rgb, amount) if amount else rgb
        y = 0.25 * img[..., 0] + 0.5 * img[..., 1] + 0.25 * img[..., 2]
        mtf50, rise, over = [], [], []
        for p in info.patches[:24]:
            x0, y0, _, y1 = p.box
            row = y[y0:y1, x0 - 40:x0 + 10].mean(axis=0)
            k = int(np.argmax(np.abs(np.diff(row))))
            if not 9 <= k <= row.size - 10 or np.ptp(row[k - 8:k + 10]) < 0.05:
                continue
            prof = row[k - 8:k + 10]
            e = (prof - prof[:3].mean()) / (prof[-3:].mean() - prof[:3].mean())
            mtf = np.abs(np.fft.rfft(np.diff(e) * np.hanning(e.size - 1), 512))
            mtf50.append(np.fft.rfftfreq(512)[np.argmax(mtf / mtf[0] < 0.5)])
            mono = np.maximum.accumulate(e)
            x = np.arange(e.size)
            rise.append(np.interp(0.9, mono, x) - np.interp(0.1, mono, x))
            over.append(max(e.max() - 1.0, -e.min()))
        print(f"| {amount:g} | {np.mean(mtf50):.3f} | {np.mean(rise):.2f} | {max(over):.2%} |")


def _time(fn, runs):
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def timing_figures(runs: int) -> None:
    import dataclasses

    from lsquared.ops.demosaic import DemosaicParams, demosaic
    from lsquared.ops.denoise import DenoiseParams, denoise, resolve_denoise
    from lsquared.ops.highlights import HighlightParams, highlights
    from lsquared.ops.lens import correct_lens, find_lens, lens_label, prepare_lens
    from lsquared.ops.sharpen import sharpen_usm

    if not FILE_24MP.exists():
        print(f"\n(timing skipped: {FILE_24MP} not found)")
        return
    frame = _balanced(FILE_24MP)
    over = frame.replace(data=frame.data * np.float32(3.0))          # 1.6 EV over: bright areas clip
    resolved = resolve_denoise(frame, DenoiseParams())
    rgb = demosaic(frame, DemosaicParams()).data
    scratch = rgb.copy()                                               # sharpened in place, over and over
    lf = find_lens("Lumix S 50/F1.8")
    h, w = rgb.shape[:2]
    steps = [
        ("demosaic auto (the peer)", lambda: demosaic(frame, DemosaicParams())),
        ("highlights reconstruct, nothing clips", lambda: highlights(frame, HighlightParams())),
        (f"highlights reconstruct, 1.6 EV over ({float(np.mean(over.data >= 0.995)):.1%} clipped)", lambda: highlights(over, HighlightParams())),
        ("noise estimate", lambda: resolve_denoise(frame, DenoiseParams())),
        (f"denoise filter, auto (luma {resolved.luma:.2f}, chroma {resolved.chroma:.2f})",
         lambda: denoise(frame, resolved)),
        ("denoise step: estimate + filter (what develop runs)", lambda: denoise(frame, DenoiseParams())),
        ("denoise filter, strength 1", lambda: denoise(frame, dataclasses.replace(resolved, luma=1.0, chroma=1.0))),
        ("lens: distortion + TCA + vignetting", lambda: correct_lens(rgb, prepare_lens(
            lens_label(lf), 1.0, w, h, 50.0, 2.8, 1000.0, True, True, True, 0.0))),
        ("sharpen 0.5 (standard look), into a new array", lambda: sharpen_usm(rgb, 0.5)),
        ("sharpen 0.5, in place (out=image)", lambda: sharpen_usm(scratch, 0.5, out=scratch)),
    ]
    for _, fn in steps:                                                # compile and warm up
        fn()
    print(f"\n## Cost on 24 MP ({FILE_24MP.name}, medians of {runs}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)\n")
    print("| step | wall s | CPU s (all threads) | wall vs demosaic |")
    print("|---|---|---|---|")
    times = {name: ([], []) for name, _ in steps}
    for _ in range(runs):                                              # round-robin
        for name, fn in steps:
            wall, cpu = _time(fn, 1)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    peer = statistics.median(times[steps[0][0]][0])
    for name, _ in steps:
        wall, cpu = statistics.median(times[name][0]), statistics.median(times[name][1])
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {wall / peer:.2f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    print(header("bench/quality.py " + " ".join(sys.argv[1:] if argv is None else argv),
                 "in-process (each step timed in this process, the steps in turn within each round)"))
    if not args.skip_quality:
        with tempfile.TemporaryDirectory() as tmp:
            noise_figures(Path(tmp))
            highlight_figures(Path(tmp))
            sharpen_figures(Path(tmp))
    if not args.skip_timing:
        timing_figures(args.runs)
    print(footer())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
