"""The default demosaic kernel: GBTF's green, then red and blue as the mean of two estimates.

1. Green: GBTF (demosaic_gbtf.py), with the direction weights 1 / (gradient sum)^3 instead of
   the paper's square: a sharper choice between the four directions where one is clearly
   smoother, the same average where none is.
2. Red and blue, two ways from that green:
   - GBTF's colour differences (P_rb across the diagonal, then 4-neighbour means);
   - MLRI's residual interpolation with the green as guide, the gain limited to [0, 1]
     (demosaic_mlri.py).
   and their mean.  The two carry the green's remaining errors differently: a colour
   difference copies them into red and blue one for one, the residual model scales them by
   the local gain a <= 1.  Their mean is a better estimate than either (docs/demosaic.md
   has the numbers); these are fixed design choices, nothing is fitted per image.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .demosaic_common import load_tile, store_planes, tile_count
from .demosaic_gbtf import gbtf_green, hamilton_adams_differences, rb_from_colour_differences
from .demosaic_mlri import mlri_channel_into

# Hamilton-Adams differences are valid from 2, GBTF's green 7 further in (from 9), MLRI's red
# and blue 7 more (GBTF's red and blue need only 4): no pixel more is computed than is used.
HALO = 16
GREEN_MARGIN = HALO - 7


@njit(cache=True, error_model="numpy")
def auto_tile(t, halo):
    dh, dv = hamilton_adams_differences(t)
    g, cd = gbtf_green(t, dh, dv, GREEN_MARGIN, 3)
    r, b = rb_from_colour_differences(t, g, cd, GREEN_MARGIN)
    # MLRI's red and blue averaged into GBTF's as they are made (no plane of their own)
    mlri_channel_into(t, g, 0, halo, r, True)
    mlri_channel_into(t, g, 1, halo, b, True)
    return r, g, b


@njit(nogil=True, cache=True, error_model="numpy")
def demosaic_auto_tiles(mosaic, ry, rx, out, first, last):
    """Tiles first..last-1 (row-major) of an (H, W) float32 mosaic whose red site is at
    (ry, rx) -> their pixels of ``out`` (H, W, 3) float32.  Releases the GIL: the caller
    runs disjoint tile ranges on several threads (ops/demosaic/_mosaic.py)."""
    ntx = tile_count(mosaic.shape[0], mosaic.shape[1])[1]
    for k in range(first, last):
        ty, tx = k // ntx, k % ntx
        r, g, b = auto_tile(load_tile(mosaic, ty, tx, HALO, ry, rx), HALO)
        store_planes(out, r, g, b, HALO, ty, tx, ry, rx)
