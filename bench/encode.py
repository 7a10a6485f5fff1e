"""Output-stage benchmark: what writing (and reading back) a 24 MP picture costs, per format.

    python bench/encode.py [--runs 3] [--formats jpeg,tiff,png,heif,avif] [--size 6048x4032]
    python bench/encode.py --default-qualities --formats jpeg,heif,avif   # PSNR and size, no timing

The picture: the 24 Kodak images of ../shared/data/kodak tiled (every other round mirrored)
into 6048x4032, natural content at native resolution as in a developed photograph.  Its
16-bit version adds +-64 codes (a quarter of an 8-bit step) of noise, as a developed 16-bit
picture has real low-order bits; a pure x*257 picture would compress unrealistically well.

For each encoder it prints the median wall time of

  lsquared   write_image(...): metadata, ICC, EXIF, temporary file, os.replace
  Pillow     Image.save(...) with the same encoder settings, no metadata (the peer)

(alternating the two, so both see the same machine load), their ratio, and the file size.
Pillow cannot hold 16-bit RGB, so 16-bit rows have no peer.  "py share" is how fast a
pure-Python thread counts while write_image runs in another thread, relative to beside a
sleeping thread, and "gap" the longest it was stopped: a GIL holder gives a share near 0
(the calibration line, sum(range(...)), shows it) and a gap as long as the write; encoders
that release the GIL leave the share limited only by free cores.  Then read_image on the
8-bit JPEG and the 16-bit TIFF and PNG.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from runinfo import footer, header

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KODAK = Path(os.environ.get("LSQUARED_SHARED", REPO.parent / "shared")) / "data" / "kodak"


def picture(height: int, width: int) -> np.ndarray:
    from lsquared.synth.kodak import load_kodak, tiled

    images = load_kodak(KODAK, np.uint8)
    if not images:
        sys.exit(f"no Kodak images in {KODAK} (set LSQUARED_SHARED)")
    return tiled(images, height, width)


def deepen(px8: np.ndarray) -> np.ndarray:
    noise = np.random.default_rng(0).integers(-64, 65, px8.shape, dtype=np.int32)
    return np.clip(px8.astype(np.int32) * 257 + noise, 0, 65535).astype(np.uint16)


def pillow_peer(fmt: str, quality: int | None):
    """Pillow's Image.save with the encoder settings write_image uses, minus the metadata."""
    from PIL import Image
    from lsquared.io import image as io_image

    def save(px, path):
        im = Image.fromarray(px)
        if fmt == "jpeg":
            im.save(path, "JPEG", quality=quality, subsampling=0 if quality >= 90 else 2, optimize=False)     # as write_image: standard tables
        elif fmt == "tiff":
            im.save(path, "TIFF", compression="tiff_adobe_deflate")
        elif fmt == "png":
            im.save(path, "PNG", compress_level=io_image.PNG_DEFLATE_LEVEL)
        elif fmt == "avif":
            im.save(path, "AVIF", quality=quality, speed=io_image.AVIF_SPEED,
                    subsampling="4:4:4" if quality >= 90 else "4:2:0")
        elif fmt == "heif":
            import pillow_heif
            pillow_heif.from_pillow(im).save(path, quality=quality, chroma=420,
                                             enc_params={"preset": io_image.HEIF_X265_PRESET})
    return save


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def python_thread_share(fn) -> tuple[float, float]:
    """How much a pure-Python thread gets done while ``fn`` runs in another thread:
    (its counting rate relative to its rate beside a thread that only sleeps for as long,
    the longest gap between its iterations).  An encoder that holds the GIL for its whole
    run gives a share near 0 and a gap as long as the run; one that releases it lets the
    Python thread run as fast as free cores allow."""
    def count_beside(work) -> tuple[float, float]:
        stop = threading.Event()
        result = {}

        def count():
            n, gap, last = 0, 0.0, time.perf_counter()
            t0 = last
            while not stop.is_set():
                for _ in range(1000):
                    n += 1
                now = time.perf_counter()
                gap, last = max(gap, now - last), now
            result["rate"], result["gap"] = n / (time.perf_counter() - t0), gap

        counter = threading.Thread(target=count)
        counter.start()
        time.sleep(0.02)
        took = timed(work)
        stop.set()
        counter.join()
        return result["rate"], result["gap"], took

    rate, gap, took = count_beside(fn)
    idle_rate, _, _ = count_beside(lambda: time.sleep(took))
    return rate / idle_rate, gap


def default_qualities(formats: list[str]) -> None:
    """docs/formats.md's "Default qualities" table: each of the 24 Kodak images (768x512) written
    by write_image at its format's default quality (EXIF and ICC included, as a user gets it),
    read back by read_image; PSNR over R, G and B against the 8-bit original, and the file size,
    means over the set.  Not a timing.  JPEG 92 is the reference the other defaults aim at."""
    from PIL import Image
    from lsquared.io.image import FORMATS, read_image, write_image

    paths = sorted(KODAK.glob("kodim*.png"))
    if not paths:
        sys.exit(f"no Kodak images in {KODAK} (set LSQUARED_SHARED)")
    print(header("bench/encode.py " + " ".join(sys.argv[1:]), "none (quality and size, not a timing)"))
    print(f"default qualities on the {len(paths)} Kodak images: mean PSNR over RGB of the file read back, "
          "mean file size")
    print("| format | quality | PSNR (dB) | mean size (kB) |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            spec = FORMATS[fmt]
            scores, sizes = [], []
            for path in paths:
                px = np.asarray(Image.open(path).convert("RGB"))
                out = write_image(Path(tmp) / f"{path.stem}{spec.suffix}", px, overwrite=True)
                back = np.asarray(read_image(out)[0], dtype=np.float64)
                scores.append(10 * np.log10(1.0 / np.mean((back - px / 255.0) ** 2)))
                sizes.append(out.stat().st_size)
            print(f"| {fmt.upper()} | {spec.default_quality} | "
                  f"{np.mean(scores):.2f} | {np.mean(sizes) / 1e3:.0f} |", flush=True)
    print(footer())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="jpeg,tiff,png,heif,avif")
    parser.add_argument("--size", default="6048x4032", help="WIDTHxHEIGHT")
    parser.add_argument("--default-qualities", action="store_true",
                        help="instead of timings: PSNR and size of each format's default quality on the Kodak set")
    args = parser.parse_args()
    if args.default_qualities:
        return default_qualities([f.strip() for f in args.formats.split(",") if f.strip()])

    from PIL import Image
    from lsquared.io.image import FORMATS, read_image, write_image

    width, height = (int(v) for v in args.size.lower().split("x"))
    px8 = picture(height, width)
    px16 = deepen(px8)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    print(header("bench/encode.py " + " ".join(sys.argv[1:]),
                 "in-process (write_image and the Pillow peer in this process, alternating)"))
    print(f"picture {width}x{height} ({width * height / 1e6:.1f} MP), {args.runs} runs, "
          f"{os.cpu_count()} CPUs, Pillow {Image.__version__}")
    share, gap = python_thread_share(lambda: sum(range(30_000_000)))
    print(f"calibration: a GIL holder leaves a Python thread a share of {share:.2f}, gap {gap:.2f} s")
    print(f"{'format':14s} {'lsquared s':>10s} {'Pillow s':>9s} {'ratio':>6s} {'size MB':>8s} "
          f"{'py share':>8s} {'gap s':>6s}")
    with tempfile.TemporaryDirectory() as tmp:
        written = {}
        for fmt in formats:
            spec = FORMATS[fmt]
            for bits in (8, 16) if 16 in spec.bits or 10 in spec.bits else (8,):
                px = px8 if bits == 8 else px16
                label = f"{fmt} {bits if fmt != 'heif' or bits == 8 else 10}-bit"
                path = Path(tmp) / f"x{bits}{spec.suffix}"
                peer = pillow_peer(fmt, spec.default_quality) if bits == 8 else None
                ours, theirs = [], []
                for _ in range(args.runs):
                    ours.append(timed(lambda: write_image(path, px, overwrite=True)))
                    if peer is not None:
                        theirs.append(timed(peer, px, Path(tmp) / f"peer{spec.suffix}"))
                ratio = statistics.median(ours) / statistics.median(theirs) if theirs else float("nan")
                share, gap = python_thread_share(lambda: write_image(path, px, overwrite=True))
                peer_s = f"{statistics.median(theirs):9.2f}" if theirs else f"{'-':>9s}"
                print(f"{label:14s} {statistics.median(ours):10.2f} {peer_s} {ratio:6.2f} "
                      f"{path.stat().st_size / 1e6:8.1f} {share:8.2f} {gap:6.3f}", flush=True)
                written[(fmt, bits)] = path
        print(f"\n{'read_image':14s} {'seconds':>10s}")
        for key in (("jpeg", 8), ("tiff", 16), ("png", 16)):
            if key in written:
                times = [timed(read_image, written[key]) for _ in range(args.runs)]
                print(f"{key[0] + ' ' + str(key[1]) + '-bit':14s} {statistics.median(times):10.2f}", flush=True)
    print(footer())


if __name__ == "__main__":
    main()
