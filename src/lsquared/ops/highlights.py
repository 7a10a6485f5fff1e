"""Highlights: what happens to photosites at or beyond clipping.

Runs on the white-balanced mosaic (or white-balanced camera RGB for sensors that are not
Bayer), before denoise and demosaic.  After white balance channel k clips at its multiplier
m_k (multipliers are scaled so the smallest is 1): a blown area has its green at 1.0 but red
and blue going on to m_r, m_b, which is where the magenta of naive raw converters comes from.

- ``clip``: every channel cut at 1.0, so a blown area is neutral white rather than magenta
  (dcraw's default, -H 0).  Loses the colour and brightness of everything near clipping.
- ``reconstruct`` (default): clipped photosites are rebuilt from the channels that did not
  clip, with the colour of the unclipped surroundings.  Method (ours; the idea of filling the
  clipped channels from the unclipped ones through local colour ratios is common to the
  literature on highlight recovery, e.g. Masood, Zhu & Tappen, "Automatic correction of
  saturated regions in photographs using cross-channel correlation", CGF 2009):

  1. On a half-resolution grid of 2x2 Bayer cells ("quads"), mark per channel where any
     photosite reached its clipping level.
  2. The colour of a blown area is taken from its bright, unclipped surroundings: the
     log-chroma c_k = log v_k - mean_j log v_j of unclipped quads brighter than a quarter of
     clipping is propagated into the clipped area by push-pull interpolation (Gortler et al.
     1996); quads where every channel clipped are anchors at chroma 0, so colour fades
     smoothly to neutral white inside a fully blown area, never to magenta.
  3. Where some channels survive, the brightness follows them: L = mean over the unclipped
     channels of (log v_j - c_j), and the clipped ones become exp(L + c_k), never below their
     clipping level (the sensor said "at least this").
  4. Where all channels clipped nothing is known: brightness is propagated (push-pull again)
     from the rebuilt and bright unclipped surroundings, raised if needed so every channel is
     at least at its clipping level, with the neutral chroma of step 2.
  5. Clipped photosites take their channel's estimate, interpolated bilinearly between quad
     centres, and keep what they recorded if that is higher.

  Only a window around the clipped quads is processed, and nothing at all when no photosite
  clips (one read of the mosaic).  Values above 1 then flow through demosaic into the
  scene-referred V-Log stage, which holds them.
"""

from __future__ import annotations


import numpy as np

from ..frame import Encoding, Frame, cfa_channel_map
from .params import HIGHLIGHT_METHODS, HighlightParams  # the schema, numpy-free (ops/params.py)

SOURCE_FLOOR = 0.5      # unclipped surroundings darker than this fraction of clipping carry no colour
SOURCE_RADIUS = 8       # ... and farther than this many quads (16 pixels) from clipping neither
NEUTRAL_ANCHOR = 0.05   # weight of "neutral" in a fully blown cell: colour fades over ~8 cells
MARGIN_QUADS = SOURCE_RADIUS + 1   # the window processed around the clipped quads


def highlights_clip(data: np.ndarray, limit: float = 1.0) -> np.ndarray:
    """Every value above ``limit`` set to ``limit`` (white-balanced data: 1.0 = first clip)."""
    from ..kernels.highlights_reconstruct import clip_rows

    data = np.ascontiguousarray(data, dtype=np.float32)
    return clip_rows(data, np.float32(limit), np.empty_like(data))


def _window(mask: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (max(int(rows[0]) - margin, 0), min(int(rows[-1]) + margin + 1, mask.shape[0]),
            max(int(cols[0]) - margin, 0), min(int(cols[-1]) + margin + 1, mask.shape[1]))


def _reconstruct_quads(q: np.ndarray, mask: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Steps 2-4 on a cell image: the estimate image (unclipped channels unchanged)."""
    from ..kernels import highlights_reconstruct as hk

    lo = np.float32(SOURCE_FLOOR)
    near = hk.near_clipped(mask, SOURCE_RADIUS)
    colour, weight = hk.colour_sources(q, mask, near, clip, lo)
    colour = hk.push_pull(colour, weight, mask) if weight.any() else np.ones_like(q)  # neutral if nothing
    estimate = hk.estimate_partial(q, mask, colour, clip)
    if np.any(mask == 7):
        c, cw, lv, lw = hk.full_sources(estimate, mask, near, clip, lo, np.float32(NEUTRAL_ANCHOR))
        chroma = hk.push_pull(c, cw, mask)
        lfill = hk.push_pull(lv, lw, mask)  # zero where nothing is known: clip levels decide
        hk.estimate_full(estimate, mask, chroma, lfill, clip)
    return estimate


def highlights_reconstruct(data: np.ndarray, clip_levels, cfa: str | None = "RGGB") -> np.ndarray:
    """Rebuild clipped values from the unclipped channels (method in the module docstring).

    data: float32 (H, W) Bayer mosaic in phase ``cfa`` or (H, W, 3) camera RGB, white-balanced.
    clip_levels: per channel (R, G, B), the value at which that channel clipped in ``data``
    (the white-balance multiplier times the white level's fraction counted as clipped).
    Returns a float32 array of the same shape (the input itself when nothing clipped: it is
    never written to); rebuilt values may exceed the clipping levels.
    A single-channel (monochrome) frame with ``cfa=None`` has nothing to rebuild from: it is
    returned clipped at 1.0, its white level."""
    from ..kernels import highlights_reconstruct as hk      # numba: imported when the step runs

    data = np.ascontiguousarray(data, dtype=np.float32)
    clip = np.asarray(clip_levels, dtype=np.float32).reshape(3)
    if data.ndim == 2 and cfa is None:
        return data if float(data.max()) <= 1.0 else highlights_clip(data, 1.0)
    if data.ndim == 2:
        chmap = cfa_channel_map(cfa)
        if hk.count_clipped_mosaic(data, chmap, clip) == 0:
            return data                     # nothing clipped: no copy (frames are never written in place)
        q, mask = hk.pack_quads(data, chmap, clip)
        if not mask.any():                  # only the odd last row/column clipped
            return data
        y0, y1, x0, x1 = _window(mask, MARGIN_QUADS)
        estimate = _reconstruct_quads(np.ascontiguousarray(q[y0:y1, x0:x1]),
                                      np.ascontiguousarray(mask[y0:y1, x0:x1]), clip)
        return hk.write_back_mosaic(data, chmap, clip, estimate, np.float32(y0), np.float32(x0))
    mask = hk.rgb_mask(data, clip)
    if not mask.any():
        return data
    y0, y1, x0, x1 = _window(mask, 2 * MARGIN_QUADS)
    out = data.copy()
    window = np.ascontiguousarray(data[y0:y1, x0:x1])
    out[y0:y1, x0:x1] = np.maximum(window, _reconstruct_quads(window, np.ascontiguousarray(mask[y0:y1, x0:x1]), clip))
    return out


def clip_levels(frame: Frame, threshold: float) -> np.ndarray:
    """Per channel, where the white-balanced data clipped: multiplier x threshold (white = 1)."""
    mult = frame.meta.wb_multipliers or (1.0, 1.0, 1.0)
    return np.asarray(mult, dtype=np.float32) * np.float32(threshold)


def clip_step(frame: Frame, params: HighlightParams) -> np.ndarray:
    """The ``clip`` mode of HIGHLIGHT_METHODS (ops/params.py)."""
    return highlights_clip(frame.data)


def reconstruct_step(frame: Frame, params: HighlightParams) -> np.ndarray:
    """The ``reconstruct`` mode of HIGHLIGHT_METHODS (ops/params.py)."""
    return highlights_reconstruct(frame.data, clip_levels(frame, params.threshold),
                                  frame.meta.cfa if frame.meta.encoding is Encoding.CFA else None)


def highlights(frame: Frame, params: HighlightParams) -> Frame:
    """The highlight step of a develop: white-balanced CFA / camera RGB / mono -> same encoding."""
    method = HIGHLIGHT_METHODS[params.mode]
    return frame.replace(data=method(frame, params))
