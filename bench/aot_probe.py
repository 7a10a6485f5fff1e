"""Does compiling a kernel ahead of time pay?  numba's AOT compiler against its cached JIT.

    python bench/aot_probe.py [--runs 5] [--size 6000x4000]

Issue 14 asks that a fresh develop cost at most 0.3 s over a warm one, and, if numba's own
start-up is the floor, that the hot kernels be compiled ahead of time and shown to pay.  This
script compiles one hot kernel, the develop's fused colour + look tail
(``kernels/tail.render_rgb``: matrix, V-Log, tetrahedral 3D LUT, quantize), with
``numba.pycc`` into a temporary extension module (for this CPU: ``target_cpu = "host"``),
then times fresh processes, alternating, medians of --runs after one warm-up round:

  aot       import numpy, import the compiled module, call it twice
  jit x1    import numpy and numba, start numba's target as the CLI does
            (kernels/startup.py), load the kernel from numba's cache, call it twice;
            NUMBA_NUM_THREADS=1
  jit x2    the same with 2 threads

on the same (H, W, 3) float32 image and 33-point look table.  Printed per case: numpy's
import, the kernel's import and start-up, the first call (the cache load for the JIT, and the
first touch of the output), the second call, and the whole process.  Whole-process and
in-process phases of one process each; the load average is printed.

What pycc compiles: the Python function under the decorator, with pycc's own flags (it has no
``parallel``, ``fastmath`` or ``error_model`` option, ``numba/pycc/compiler.py``), so the
kernel's loops lose what let LLVM vectorize them and its ``prange`` runs serially.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runinfo import footer, header       # bench scripts run as ``python bench/NAME.py``

BUILD = """
import sys
from numba.pycc import CC
from lsquared.kernels import tail
cc = CC("aot_tail")
cc.output_dir = sys.argv[1]
cc.target_cpu = "host"
cc.export("render_rgb", "uint8[:,:,::1](float32[:,:,::1], float32[:,::1], float32[:,::1], int64, "
          "uint8[:,:,::1], float64)")(tail.render_rgb.py_func)
cc.compile()
"""

CHILD = """
import sys, time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
if sys.argv[1] == "aot":
    sys.path.insert(0, sys.argv[2])
    from aot_tail import render_rgb
else:
    import numba
    from lsquared.kernels.startup import start_numba_target
    start_numba_target()
    from lsquared.kernels.tail import render_rgb
t2 = time.perf_counter()
h, w = int(sys.argv[3]), int(sys.argv[4])
rgb = np.empty((h, w, 3), np.float32)
rgb[...] = np.linspace(0.001, 0.9, w, dtype=np.float32)[None, :, None]
rgb[:, :, 1] *= np.linspace(0.2, 1.0, h, dtype=np.float32)[:, None]
n = 33
g = np.linspace(0.0, 1.0, n)
table = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1) ** 1.1
flat = np.zeros((n ** 3, 4), np.float32)
flat[:, :3] = table.reshape(-1, 3) * 255.0 + 0.5
matrix = np.array([[1.2, -0.1, -0.1], [-0.05, 1.1, -0.05], [0.0, -0.2, 1.2]], np.float32)
out = np.empty((h, w, 3), np.uint8)
t3 = time.perf_counter()
render_rgb(rgb, matrix, flat, n, out, 255.0)
t4 = time.perf_counter()
render_rgb(rgb, matrix, flat, n, out, 255.0)
t5 = time.perf_counter()
import hashlib
print(t1 - t0, t2 - t1, t4 - t3, t5 - t4, hashlib.sha256(out).hexdigest()[:12])
"""

CASES = {"aot": ("aot", "1"), "jit x1": ("jit", "1"), "jit x2": ("jit", "2")}


def run_case(name: str, module_dir: str, h: int, w: int) -> tuple[list[float], str]:
    mode, threads = CASES[name]
    env = dict(os.environ, NUMBA_NUM_THREADS=threads)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, module_dir, str(h), str(w)],
                          capture_output=True, text=True, env=env, check=True)
    whole = time.perf_counter() - start
    *phases, digest = proc.stdout.split()
    return [float(p) for p in phases] + [whole], digest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="6000x4000", help="image width x height")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    print(header("bench/aot_probe.py", "whole-process (each case a fresh process) with its in-process phases"))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", BUILD, tmp], check=True, capture_output=True, text=True)
        print(f"# numba.pycc compiled kernels/tail.render_rgb in {time.perf_counter() - start:.1f} s "
              f"({sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6:.1f} MB)")
        times: dict[str, list[list[float]]] = {name: [] for name in CASES}
        digests: dict[str, set[str]] = {name: set() for name in CASES}
        for round_ in range(args.runs + 1):          # round 0: the warm-up
            for name in CASES:
                phases, digest = run_case(name, tmp, h, w)
                digests[name].add(digest)
                if round_:
                    times[name].append(phases)
    mp = w * h / 1e6
    print(f"\n{w} x {h} ({mp:.1f} MP) float32 RGB -> 8-bit through a 33-point LUT; medians of {args.runs}, "
          "cases alternating\n")
    print("| case | import numpy, s | kernel import + start-up, s | first call, s | second call, s "
          "| MP/s (second) | whole process, s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rows in times.items():
        med = [statistics.median(col) for col in zip(*rows)]
        print(f"| {name} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.3f} | {med[3]:.3f} | {mp / med[3]:.0f} | {med[4]:.3f} |")
    same = len(set().union(*digests.values())) == 1
    print(f"\noutputs of the three cases identical: {'yes' if same else 'NO: ' + str(digests)}")
    print(footer())


if __name__ == "__main__":
    main()
