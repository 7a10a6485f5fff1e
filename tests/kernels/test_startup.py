"""kernels/startup.py: numba's CPU target started without its BLAS probe, and what that relies on.

The probe is held off only because no kernel uses a BLAS; the source check below fails the
day one does (then the probe must stay, or that kernel needs scipy's BLAS at compile time).
The process checks run in fresh interpreters: what a process imports is the point."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import lsquared

KERNELS = Path(lsquared.__file__).parent / "kernels"


def _blas_uses(path: Path) -> list[str]:
    """``a @ b``, ``np.dot``/``vdot``/``matmul``/``inner``/``outer`` and ``np.linalg`` in the code
    (docstrings and comments aside): what numba lowers through a BLAS."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            found.append(f"{path.name}:{node.lineno}: @")
        elif isinstance(node, ast.Attribute) and node.attr in ("dot", "vdot", "matmul", "inner", "outer", "linalg"):
            found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    return found


def test_the_kernels_use_no_blas():
    files = sorted(KERNELS.glob("*.py"))
    assert len(files) > 10
    uses = [u for f in files for u in _blas_uses(f)]
    assert uses == [], uses


def test_the_source_check_sees_a_blas_use(tmp_path):
    bad = tmp_path / "k.py"
    bad.write_text("import numpy as np\ndef f(a, b):\n    '''a @ b in a docstring'''\n    return np.dot(a, b) + a @ b\n")
    assert sorted(u.split(": ")[1] for u in _blas_uses(bad)) == [".dot", "@"]


CHILD = r"""
import json, sys, time
import numpy as np
from lsquared.kernels.startup import start_numba_target
start_numba_target()
after_start = sorted(m for m in ("scipy.linalg", "numpy.f2py") if m in sys.modules)
from lsquared.kernels.scale import scale_planes
a = np.ones((4, 4, 3), np.float32)
out = np.empty_like(a)
scale_planes(a, np.array([1.0, 2.0, 3.0], np.float32), out)
after_kernel = sorted(m for m in ("scipy.linalg", "numpy.f2py") if m in sys.modules)
try:
    import scipy.linalg.cython_blas       # afterwards scipy imports normally
    scipy_ok = True
except ImportError:
    scipy_ok = None                        # scipy not installed
print(json.dumps({"after_start": after_start, "after_kernel": after_kernel, "scipy_ok": scipy_ok,
                  "out": out[0, 0].tolist()}))
"""


def test_a_started_process_runs_kernels_without_importing_scipy_linalg():
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["after_start"] == [] and report["after_kernel"] == [], report
    assert report["out"] == [1.0, 2.0, 3.0]
    if importlib.util.find_spec("scipy") is not None:
        assert report["scipy_ok"] is True


def test_without_the_hold_numba_would_import_scipy_linalg():
    """The cost the hold removes is real here (with scipy installed): a plain first kernel call
    imports scipy.linalg through numba's probe."""
    if importlib.util.find_spec("scipy") is None:
        pytest.skip("scipy is not installed: numba's probe finds nothing to import")
    code = ("import sys, numpy as np\nfrom lsquared.kernels.scale import scale_planes\n"
            "a = np.ones((2, 2, 3), np.float32)\nscale_planes(a, np.ones(3, np.float32), np.empty_like(a))\n"
            "print('scipy.linalg' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "True"
