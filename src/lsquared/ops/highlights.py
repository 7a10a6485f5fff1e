"""Highlights: what happens to photosites at or beyond clipping.

After white balance every channel's clipping level is at or above 1.0 (multipliers are scaled
so the smallest is 1).  ``clip`` cuts every channel at 1.0, so a blown area is neutral white
rather than magenta (dcraw's default, -H 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from ..frame import Frame
from ..registry import Registry


@dataclass(frozen=True, slots=True, kw_only=True)
class HighlightParams:
    mode: str = "clip"          # clip | reconstruct


@njit(parallel=True, cache=True)
def _clip_rows(data, limit, out):
    flat_in = data.reshape(data.shape[0], -1)
    flat_out = out.reshape(out.shape[0], -1)
    for y in prange(flat_in.shape[0]):
        for x in range(flat_in.shape[1]):
            v = flat_in[y, x]
            flat_out[y, x] = v if v < limit else limit
    return out


def highlights_clip(data: np.ndarray, limit: float = 1.0) -> np.ndarray:
    """Every value above ``limit`` set to ``limit`` (white-balanced data: 1.0 = first clip)."""
    data = np.ascontiguousarray(data, dtype=np.float32)
    return _clip_rows(data, np.float32(limit), np.empty_like(data))


HIGHLIGHT_METHODS: Registry = Registry("highlight mode")
HIGHLIGHT_METHODS.register("clip", lambda frame: highlights_clip(frame.data))


def highlights(frame: Frame, params: HighlightParams) -> Frame:
    method = HIGHLIGHT_METHODS[params.mode]
    return frame.replace(data=method(frame))
