"""Mutation check of the colour paths: break each colour-critical function on a copy of the
repository and see which tests fail.

    python tools/mutations.py [--only NAME,...] [--list] [--rev HEAD] [--workdir DIR]
                              [--tests PATH ...] [--markdown]

The copy is ``git archive REV`` (the committed tree, so uncommitted edits do not count) in a
scratch folder (``--workdir`` keeps it between runs, so numba's cache inside it
stays warm: only files that changed are rewritten).  Tests run in the copy with its ``src``
first on PYTHONPATH, the shared data where the main checkout finds it, no bytecode written.
First the tests run on the unbroken copy (they must pass); then, for each mutation, the file
is changed (every listed replacement must match exactly once, or the mutation is reported
as stale), the tests run, and the file is put back with its original time stamp.

A mutation is CAUGHT when at least one test fails (the table lists them), SURVIVED when all
pass: a colour path no test guards.  Exit status 1 if any survived or went stale.
Each mutation runs the tests of its area (``--tests`` to choose others); a mutation that
reaches numba-compiled code runs with an empty numba cache (so every kernel those tests use
compiles: minutes on 2 cores).  The whole list takes about 20-40 minutes on 2 idle cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The colour tests: unit tests against independent oracles (colour-science, published values,
# numpy references) and the synthetic camera developed end to end against its known scene.
COLOUR_TESTS = (
    "tests/color",
    "tests/ops/test_levels_wb_highlights.py",
    "tests/pipeline",
    "tests/kernels",
    "tests/looks/test_compile.py",
    "tests/video/test_video_kernel.py",
    "tests/video/test_video_colorimetry.py",
)


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    path: str                                   # relative to the repository root
    edits: tuple[tuple[str, str], ...]          # (exact text, replacement), each once
    what: str                                   # what the break means
    tests: tuple[str, ...] = COLOUR_TESTS       # the tests that may catch it
    # True when the change reaches numba-compiled code (a kernel, or a constant a kernel
    # reads as a global, which numba freezes at compile time): numba's cache checks only the
    # time stamp of the function's own file, so a kernel inlining a mutated function from
    # another file would stay cached unbroken.  Such mutants run with an empty cache.
    numba: bool = False


# Tests by area, the likeliest catchers first
PIPELINE = ("tests/pipeline",)       # the synthetic camera developed end to end (and the Sony DNG)
DNG = PIPELINE + ("tests/ops/test_levels_wb_highlights.py", "tests/color")
SPACES = ("tests/color",) + PIPELINE + ("tests/looks/test_compile.py", "tests/video/test_video_colorimetry.py")
TRANSFER = ("tests/color", "tests/kernels", "tests/looks/test_compile.py", "tests/video/test_video_colorimetry.py")
LUT = ("tests/kernels", "tests/video/test_video_kernel.py")
WB = ("tests/ops/test_levels_wb_highlights.py",) + PIPELINE
EXPOSURE = PIPELINE
VIDEO = ("tests/video/test_video_kernel.py", "tests/video/test_video_colorimetry.py")


M = Mutation
MUTATIONS = (
    # --- the DNG colour model (color/dng_model.py) -------------------------------------
    M("forward-matrix-without-neutral", "src/lsquared/color/dng_model.py",
      (("d = np.diag(1.0 / reference_neutral)", "d = np.eye(3)"),),
      "ForwardMatrix path without the reference neutral (issue 17)", DNG),
    M("forward-matrix-ignores-ab-cc", "src/lsquared/color/dng_model.py",
      (("reference_neutral = inv_abcc @ neutral", "reference_neutral = neutral"),),
      "ForwardMatrix path: neutral not mapped through inv(AnalogBalance * CameraCalibration)", DNG),
    M("color-matrix-weight-swapped", "src/lsquared/color/dng_model.py",
      (("return (1.0 / kelvin - 1.0 / k2) / (1.0 / k1 - 1.0 / k2)",
        "return (1.0 / kelvin - 1.0 / k1) / (1.0 / k2 - 1.0 / k1)"),),
      "ColorMatrix1/2 interpolation weight swapped (issue 17)", DNG),
    M("color-matrix-interpolated-in-kelvin", "src/lsquared/color/dng_model.py",
      (("return (1.0 / kelvin - 1.0 / k2) / (1.0 / k1 - 1.0 / k2)", "return (kelvin - k2) / (k1 - k2)"),),
      "ColorMatrix interpolated linearly in T instead of 1/T", DNG),
    M("camera-matrix-transposed-not-inverted", "src/lsquared/color/dng_model.py",
      (("camera_to_xyz = np.linalg.inv(m.ab_cc @ m.color_matrix)",
        "camera_to_xyz = (m.ab_cc @ m.color_matrix).T"),),
      "CameraToXYZ as the transpose of XYZToCamera instead of its inverse", DNG),
    M("no-adaptation-to-d50", "src/lsquared/color/dng_model.py",
      (('return adaptation_matrix(white_xy, D50_XY, "bradford") @ camera_to_xyz', "return camera_to_xyz"),),
      "ColorMatrix path without the chromatic adaptation from the scene white to D50", DNG),
    M("white-not-normalized", "src/lsquared/color/dng_model.py",
      (("return m / (m[1] @ np.ones(3))", "return m"),),
      "white-balanced camera -> XYZ(D50) not scaled to white Y = 1", DNG),
    # --- chromatic adaptation and colour spaces ----------------------------------------
    M("bradford-entry-sign", "src/lsquared/color/adaptation.py",
      (("[[0.8951, 0.2664, -0.1614]", "[[0.8951, 0.2664, 0.1614]"),),
      "one sign of the Bradford matrix", SPACES),
    M("adaptation-inverted", "src/lsquared/color/adaptation.py",
      (("np.diag(lms_d / lms_s)", "np.diag(lms_s / lms_d)"),),
      "von Kries gains the wrong way round (adapts dst -> src)", SPACES),
    M("d50-is-d65", "src/lsquared/color/spaces.py",
      (("D50_XY = (0.3457, 0.3585)", "D50_XY = (0.3127, 0.3290)"),),
      "the D50 connection white taken as D65", SPACES),
    M("rec709-red-primary", "src/lsquared/color/spaces.py",
      (("_REC709 = ((0.640, 0.330)", "_REC709 = ((0.640, 0.340)"),),
      "sRGB/Rec.709 red primary y off by 0.01", SPACES),
    # --- transfer functions --------------------------------------------------------------
    M("vlog-cut", "src/lsquared/color/transfer.py",
      (("VLOG_CUT1 = 0.01\n", "VLOG_CUT1 = 0.011\n"),),
      "V-Log: the linear toe's end moved (0.01 -> 0.011)", TRANSFER, numba=True),
    M("vlog-offset", "src/lsquared/color/transfer.py",
      (("VLOG_D = 0.598206", "VLOG_D = 0.5982"),),
      "V-Log: the offset d rounded (6e-6)", TRANSFER, numba=True),
    M("vlog-decode-toe", "src/lsquared/color/transfer.py",
      (("(y - 0.125) / 5.6", "(y - 0.125) / 5.5"),),
      "V-Log decode: slope of the toe", TRANSFER),
    M("tail-vlog-toe", "src/lsquared/kernels/tail.py",
      (("toe = np.float32(5.6) * value + np.float32(0.125)", "toe = np.float32(5.6) * value + np.float32(0.126)"),),
      "the fused tail's own V-Log: toe offset", TRANSFER, numba=True),
    M("srgb-encode-gamma", "src/lsquared/color/transfer.py",
      (("np.maximum(x, 0.0031308) ** (1 / 2.4)", "np.maximum(x, 0.0031308) ** (1 / 2.2)"),),
      "sRGB encode: exponent 1/2.2 instead of 1/2.4", TRANSFER),
    M("srgb-decode-gamma", "src/lsquared/color/transfer.py",
      (("((np.maximum(y, 0.04045) + 0.055) / 1.055) ** 2.4", "((np.maximum(y, 0.04045) + 0.055) / 1.055) ** 2.2"),),
      "sRGB decode: exponent 2.2 instead of 2.4", TRANSFER),
    M("rec709-encode-exponent", "src/lsquared/color/transfer.py",
      (("BT_ALPHA * np.maximum(x, BT_BETA) ** 0.45", "BT_ALPHA * np.maximum(x, BT_BETA) ** 0.5"),),
      "Rec.709 OETF: exponent 0.5 instead of 0.45", TRANSFER),
    # --- 3D LUT interpolation ------------------------------------------------------------
    M("tetrahedral-weights-swapped", "src/lsquared/kernels/lut3d.py",
      (("return np.float32(1.0) - fmax, fmax - fmid, fmid - fmin, fmin",
        "return np.float32(1.0) - fmax, fmid - fmin, fmax - fmid, fmin"),),
      "tetrahedral interpolation: the two middle corners' weights swapped", LUT, numba=True),
    M("tetrahedral-wrong-last-axis", "src/lsquared/kernels/lut3d.py",
      (("nb = a_rb & a_gb", "nb = a_rb | a_gb"),),
      "tetrahedral interpolation: wrong tetrahedron chosen for some orderings", LUT, numba=True),
    # --- white balance and exposure ------------------------------------------------------
    M("wb-multipliers-not-inverted", "src/lsquared/ops/white_balance.py",
      (("m = 1.0 / np.asarray(neutral, dtype=np.float64)", "m = np.asarray(neutral, dtype=np.float64)"),),
      "white balance multiplies by the neutral instead of dividing", WB),
    M("wb-ignores-cfa-phase", "src/lsquared/ops/white_balance.py",
      (("gains = mult[cfa_channel_map(cfa).reshape(-1)]", 'gains = mult[cfa_channel_map("RGGB").reshape(-1)]'),),
      "white balance gains laid out as RGGB whatever the CFA", WB),
    M("baseline-exposure-ignored", "src/lsquared/ops/exposure.py",
      (("stops = params.ev + (baseline if params.baseline else 0.0)", "stops = params.ev"),),
      "DNG BaselineExposure (the default brightness) ignored (issue 17)", EXPOSURE),
    M("baseline-exposure-tag-ignored", "src/lsquared/estimators/brightness.py",
      (("    if declared is not None:\n        return float(declared), \"file\"",
        "    if False:\n        return float(declared), \"file\""),),
      "the file's BaselineExposure tag not used where no preview is embedded", EXPOSURE),
    M("exposure-sign", "src/lsquared/ops/exposure.py",
      (("return float(2.0 ** stops)", "return float(2.0 ** -stops)"),),
      "exposure compensation applied with the wrong sign", EXPOSURE),
    # --- video ---------------------------------------------------------------------------
    M("video-chroma-clamp-removed", "src/lsquared/kernels/video_ycbcr.py",
      (("c_out[cj, ci] = np.int32(min(max(v, zero), top) + rnd)", "c_out[cj, ci] = np.int32(v + rnd)"),
       ("c_out[cj, ci] = np.int32(min(max(filtered[step * ci], zero), top) + rnd)",
        "c_out[cj, ci] = np.int32(filtered[step * ci] + rnd)")),
      "video kernel: chroma codes not clamped to the code range (issue 17)", VIDEO, numba=True),
    M("video-bt709-as-bt601", "src/lsquared/video/colorimetry.py",
      (('"bt709": (0.2126, 0.0722),', '"bt709": (0.299, 0.114),'),),
      "video: BT.709 Y'CbCr decoded with BT.601's luma coefficients", VIDEO),
    M("video-narrow-range-span", "src/lsquared/video/colorimetry.py",
      (("return 16.0 * scale, 219.0 * scale, 128.0 * scale, 224.0 * scale",
        "return 16.0 * scale, 219.0 * scale, 128.0 * scale, 219.0 * scale"),),
      "video: narrow-range chroma span 219 instead of 224", VIDEO),
)


def _shared_dir() -> str:
    return os.environ.get("LSQUARED_SHARED", str(REPO.parent / "shared"))


def prepare_copy(rev: str, workdir: Path) -> str:
    """``git archive rev`` into workdir; files whose bytes did not change keep their time
    stamps (numba's cache keys on them).  Where a file is the same as in this checkout, it
    takes this checkout's time stamp and numba's cache files for it are copied along (the
    shared cache is only read), so the unbroken copy does not compile every kernel again.
    Returns the commit."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], check=True,
                            capture_output=True, text=True).stdout.strip()
    data = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev], check=True,
                          capture_output=True).stdout
    workdir.mkdir(parents=True, exist_ok=True)
    wanted = set()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            wanted.add(member.name)
            target = workdir / member.name
            content = tar.extractfile(member).read()
            if not (target.exists() and target.read_bytes() == content):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            mine = REPO / member.name
            if member.name.endswith(".py") and mine.is_file() and mine.read_bytes() == content:
                st = mine.stat()
                os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
                cache = mine.parent / "__pycache__"
                for f in cache.glob(f"{mine.stem}.*.nb[ic]") if cache.is_dir() else ():
                    dst = target.parent / "__pycache__" / f.name
                    if not dst.exists() or dst.stat().st_mtime_ns < f.stat().st_mtime_ns:
                        dst.parent.mkdir(exist_ok=True)
                        shutil.copy2(f, dst)
    for path in workdir.rglob("*"):            # files of an older revision, not caches
        rel = path.relative_to(workdir).as_posix()
        if path.is_file() and rel not in wanted and "__pycache__" not in rel and ".pytest" not in rel:
            path.unlink()
    return commit


def run_tests(copy: Path, tests, timeout: float, numba_cache: str | None = None) -> tuple[bool, list[str], str, float]:
    """(all passed, failing test ids, the output's tail, seconds) of pytest in ``copy``;
    ``numba_cache``: a folder for numba's cache instead of the copy's own."""
    env = dict(os.environ, PYTHONPATH=str(copy / "src"), PYTHONDONTWRITEBYTECODE="1",
               LSQUARED_SHARED=_shared_dir())
    env.pop("CI", None)
    env.pop("NUMBA_CACHE_DIR", None)
    if numba_cache:
        env["NUMBA_CACHE_DIR"] = numba_cache
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "-rfE", "--tb=no", *tests]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, ["(timed out)"], "", time.perf_counter() - t0
    out = r.stdout + r.stderr
    failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.MULTILINE)))
    return r.returncode == 0, failed, out[-3000:], time.perf_counter() - t0


def apply(copy: Path, m: Mutation) -> tuple[Path, bytes, os.stat_result] | str:
    """Write the mutant; returns (path, original bytes, original stat) or why it is stale."""
    path = copy / m.path
    if not path.exists():
        return f"{m.path} does not exist"
    original = path.read_bytes()
    text = original.decode()
    for old, new in m.edits:
        n = text.count(old)
        if n != 1:
            return f"{old!r} found {n} times in {m.path}"
        text = text.replace(old, new)
    st = path.stat()
    path.write_text(text)
    later = max(time.time(), st.st_mtime + 10)          # a time stamp no cache can mistake
    os.utime(path, (later, later))
    return path, original, st


def restore(path: Path, original: bytes, st: os.stat_result) -> None:
    path.write_bytes(original)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated mutation names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--rev", default="HEAD", help="the revision to copy (default HEAD)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep the copy here between runs (default: a temporary folder, removed)")
    ap.add_argument("--tests", nargs="+", default=None,
                    help="tests to run for every mutation (default: each mutation's own list)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per test run")
    ap.add_argument("--markdown", action="store_true", help="print the result as a Markdown table")
    args = ap.parse_args(argv)

    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only.split(",")]
    if args.list:
        for m in chosen:
            print(f"{m.name:40s} {m.path:42s} {m.what}")
        return 0
    if args.only and len(chosen) != len(args.only.split(",")):
        known = {m.name for m in MUTATIONS}
        sys.exit(f"unknown mutation(s): {', '.join(n for n in args.only.split(',') if n not in known)}")

    scratch = None
    if args.workdir is None:
        scratch = tempfile.mkdtemp(prefix="lsquared-mutants-")
        workdir = Path(scratch)
    else:
        workdir = args.workdir.resolve()
    try:
        commit = prepare_copy(args.rev, workdir)
        load = os.getloadavg()[0]
        baseline = args.tests or sorted({t for m in chosen for t in m.tests})
        print(f"mutation check of {args.rev} ({commit}) in {workdir}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
              f"load average {load:.1f}", flush=True)
        ok, failed, tail, secs = run_tests(workdir, baseline, args.timeout)
        if not ok:
            print(f"the unbroken copy fails ({secs:.0f} s): {', '.join(failed) or 'see below'}\n{tail}")
            return 2
        print(f"unbroken copy: all tests pass ({secs:.0f} s)", flush=True)
        rows = []
        for m in chosen:
            applied = apply(workdir, m)
            if isinstance(applied, str):
                rows.append((m, "STALE", [applied], 0.0))
                print(f"{m.name}: STALE ({applied})", flush=True)
                continue
            fresh = tempfile.mkdtemp(prefix="numba-") if m.numba else None
            try:
                ok, failed, tail, secs = run_tests(workdir, args.tests or m.tests, args.timeout, fresh)
            finally:
                restore(*applied)
                if fresh:
                    shutil.rmtree(fresh, ignore_errors=True)
            status = "SURVIVED" if ok else "CAUGHT"
            if not ok and not failed:
                failed = ["(pytest failed without a test id; see its output)"]
                print(tail)
            rows.append((m, status, failed, secs))
            print(f"{m.name}: {status} ({secs:.0f} s) {', '.join(failed)}", flush=True)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    print()
    if args.markdown:
        print("| mutation | file | what it breaks | result | failing tests |")
        print("|---|---|---|---|---|")
        for m, status, failed, _ in rows:
            shown = ", ".join(f"`{f}`" for f in failed[:4]) + (f" and {len(failed) - 4} more" if len(failed) > 4 else "")
            print(f"| {m.name} | `{m.path.removeprefix('src/lsquared/')}` | {m.what} | {status} | {shown} |")
    else:
        for m, status, failed, _ in rows:
            print(f"{m.name:40s} {status:9s} {len(failed):3d} failing: {', '.join(failed[:3])}"
                  + (" ..." if len(failed) > 3 else ""))
    bad = [m.name for m, status, _, _ in rows if status != "CAUGHT"]
    print(f"\n{len(rows) - len(bad)} of {len(rows)} mutations caught" + (f"; not caught: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
