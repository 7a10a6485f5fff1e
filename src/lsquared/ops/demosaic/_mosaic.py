"""Checks, phase bookkeeping and threads shared by every demosaic method (no pixel math)."""

from __future__ import annotations

import numba
import numpy as np

from ...errors import InputError, ParameterError
from ...frame import CFA_PATTERNS
from ...kernels.demosaic_common import TILE_H, TILE_W
from ...kernels.threads import map_tasks

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


def run_kernel(tiles_kernel, mosaic: np.ndarray, pattern: str) -> np.ndarray:
    """Check the mosaic, allocate the (H, W, 3) float32 result with numpy (huge pages for the
    first touch), and run ``tiles_kernel`` over all tiles on ``numba.get_num_threads()``
    threads (NUMBA_NUM_THREADS sets it), each task a span of whole rows of tiles: two spans
    per thread, which balances a busy machine, and spans rather than single rows because a
    kernel that streams down the rows of its range (kernels/demosaic_auto.py) computes and
    discards a halo of rows at each end of it."""
    a, ry, rx = check_mosaic(mosaic, pattern)
    out = np.empty((a.shape[0], a.shape[1], 3), dtype=np.float32)
    nty = -(-a.shape[0] // TILE_H)
    ntx = -(-a.shape[1] // TILE_W)
    threads = min(numba.get_num_threads(), nty)
    if threads <= 1:
        tiles_kernel(a, ry, rx, out, 0, nty * ntx)
        return out
    per = -(-nty // (2 * threads))
    map_tasks(lambda row: tiles_kernel(a, ry, rx, out, row * ntx, min(row + per, nty) * ntx),
              range(0, nty, per))
    return out
