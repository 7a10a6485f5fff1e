"""Checks and phase bookkeeping shared by every demosaic method (no pixel math here)."""

from __future__ import annotations

import numpy as np

from ...errors import InputError, ParameterError
from ...frame import CFA_PATTERNS

# Where the red site of each 2x2 phase sits: the kernels are written for RGGB and cut their
# tiles shifted by this much (kernels/demosaic_common.py).
RED_SITE = {"RGGB": (0, 0), "GRBG": (0, 1), "GBRG": (1, 0), "BGGR": (1, 1)}


def check_mosaic(mosaic: np.ndarray, pattern: str) -> tuple[np.ndarray, int, int]:
    """Validate a Bayer mosaic; return it as C-contiguous float32 plus the red site (ry, rx).

    The input is never modified (a converted copy is made only when needed).
    """
    key = str(pattern).strip().upper()
    if key not in RED_SITE:
        raise ParameterError(f"unknown Bayer pattern {pattern!r}; choose one of: {', '.join(CFA_PATTERNS)}")
    a = np.asarray(mosaic)
    if a.ndim != 2:
        raise InputError(f"a Bayer mosaic is one plane (H, W); got an array of shape {a.shape}",
                         hint="pass the raw CFA data before any demosaic")
    if a.shape[0] < 2 or a.shape[1] < 2:
        raise InputError(f"a Bayer mosaic needs at least 2x2 samples; got {a.shape[0]}x{a.shape[1]}")
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise InputError(f"a Bayer mosaic holds numbers; got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        raise InputError(f"the mosaic holds {bad} NaN or infinite samples",
                         hint="repair or clip them before demosaicing")
    ry, rx = RED_SITE[key]
    return a, ry, rx


def run_kernel(kernel, mosaic: np.ndarray, pattern: str) -> np.ndarray:
    """Check the mosaic, allocate the (H, W, 3) float32 result with numpy, run the kernel."""
    a, ry, rx = check_mosaic(mosaic, pattern)
    out = np.empty((a.shape[0], a.shape[1], 3), dtype=np.float32)
    kernel(a, ry, rx, out)
    return out
