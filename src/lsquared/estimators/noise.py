"""Sensor noise from the picture itself: the Poisson-Gaussian model var(x) = S * x + O.

x is a photosite's value normalized as after ``levels`` (0 = black, 1 = white level, before
white balance), the same convention as the DNG NoiseProfile tag (DNG 1.6, tag 51041): S is
the shot-noise slope (1 / electrons at white), O the signal-independent part (read noise and
quantization).  The denoiser needs both; a file's NoiseProfile, when the decoder passes it on
(``FrameMeta.extra["noise_profile"]``), is used instead and this estimate cross-checks it.

Method, after Foi, Trimeche, Katkovnik & Egiazarian, "Practical Poissonian-Gaussian noise
modeling and fitting for single-image raw-data", IEEE TIP 17(10), 2008 (local estimates of
mean and variance on smooth parts, then a fit of the variance-vs-mean line), with simpler
pieces:

1. Each CFA colour plane (half resolution, white balance undone) is filtered with Immerkær's
   mask [1 -2 1] (x) [1 -2 1] ("Fast noise variance estimation", CVIU 64(2), 1996): it removes
   anything linear along rows or columns, and for white noise of variance s^2 its output has
   variance 36 s^2.
2. The residual is summarized over 8x8 blocks: block mean of the plane, block mean of the
   squared residual / 36.  Blocks with texture or edges have a larger residual.
3. Blocks are binned by mean; in each bin a low quantile (the 20th percentile) of the block
   variances, divided by that quantile's value for pure Gaussian noise (measured once on
   simulated noise, so the correction is exact for the block size used), is the noise variance
   at that level: flat blocks dominate the low end, textured ones the high end.
4. var = S x + O is fitted to the bins by weighted least squares (weights: block count over
   the squared variance, the precision of a variance estimate), S >= 0.

Large pictures are subsampled (every n-th block row and column) to a fixed budget of blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numba import njit

from ..frame import cfa_channel_map
from ..kernels.threads import map_tasks

BLOCK = 8
QUANTILE = 0.2
MAX_BLOCKS = 30_000         # per plane; larger pictures are subsampled (8x8 blocks: ~2 MP read per plane)
MIN_BLOCKS_PER_BIN = 24
BINS = 24
TOP = 0.9                   # blocks whose mean is above this fraction of white are near clipping


@dataclass(frozen=True, slots=True)
class NoiseEstimate:
    """var(x) = scale * x + offset, x normalized to the white level (before white balance)."""

    scale: float
    offset: float
    levels: np.ndarray          # bin means used in the fit
    variances: np.ndarray       # robust noise variance measured in each bin
    counts: np.ndarray          # blocks per bin

    def variance(self, x) -> np.ndarray:
        return self.scale * np.asarray(x, dtype=np.float64) + self.offset

    @property
    def profile(self) -> tuple[float, float]:
        """(S, O) as DNG NoiseProfile writes them."""
        return (self.scale, self.offset)


@njit(nogil=True, cache=True)
def _block_stats(plane, block, step):
    """Per sampled block (every ``step``-th block row and column): mean of the plane and mean
    of the squared Immerkær residual / 36.  ``plane`` may be a strided view of the mosaic.
    The mask is separable, [1 -2 1] along rows then along columns, so each sampled block row
    is done with whole-row loops (float64: the residuals of smooth areas are small
    differences of large values)."""
    h, w = plane.shape
    nby = (h - 2) // block
    nbx = (w - 2) // block
    sy = (nby + step - 1) // step
    sx = (nbx + step - 1) // step
    means = np.empty(sy * sx, np.float64)
    vars_ = np.empty(sy * sx, np.float64)
    rows = np.empty((block + 2, w), np.float64)      # the block row and one row each side
    hx = np.zeros((block + 2, w), np.float64)        # their [1 -2 1] along x
    sums = np.empty(w, np.float64)                   # per column: sum of values, of residual²
    sq = np.empty(w, np.float64)
    n = block * block
    for a in range(sy):
        top = a * step * block                       # rows top .. top + block + 1
        for t in range(block + 2):
            src = plane[top + t]
            row = rows[t]
            for x in range(w):
                row[x] = src[x]
            left, centre, right = row[:w - 2], row[1:w - 1], row[2:]
            out = hx[t, 1:w - 1]
            for x in range(w - 2):
                out[x] = left[x] - 2.0 * centre[x] + right[x]
        sums[:] = 0.0
        sq[:] = 0.0
        for t in range(1, block + 1):
            up, mid, down, row = hx[t - 1], hx[t], hx[t + 1], rows[t]
            for x in range(w):
                r = up[x] - 2.0 * mid[x] + down[x]
                sq[x] += r * r
                sums[x] += row[x]
        for b in range(sx):
            x0 = 1 + b * step * block
            means[a * sx + b] = np.sum(sums[x0:x0 + block]) / n
            vars_[a * sx + b] = np.sum(sq[x0:x0 + block]) / (36.0 * n)
    return means, vars_


@cache
def quantile_bias(block: int = BLOCK, quantile: float = QUANTILE) -> float:
    """The ``quantile`` of the block variance of unit white Gaussian noise (a fixed-seed
    simulation of ~16000 blocks: its own sampling error is about 0.5 %)."""
    rng = np.random.default_rng(20080901)
    noise = rng.standard_normal((128 * block + 2, 128 * block + 2))
    _, v = _block_stats(noise, block, 1)
    return float(np.quantile(v, quantile))


def _planes(cfa: np.ndarray, pattern: str | None, multipliers) -> list[tuple[np.ndarray, float]]:
    """Views of the colour planes (no copies: a 24 MP mosaic is read only where sampled), each
    with the white-balance multiplier to undo."""
    if cfa.ndim == 3:
        return [(cfa[..., k], float(multipliers[k])) for k in range(cfa.shape[2])]
    if pattern is None:
        return [(cfa, float(multipliers[1]))]
    chmap = cfa_channel_map(pattern)
    return [(cfa[dy::2, dx::2], float(multipliers[chmap[dy, dx]])) for dy in range(2) for dx in range(2)]


def _fit_line(x: np.ndarray, v: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Weighted least squares of v = S x + O, weights n / v_model^2, re-weighted thrice; S >= 0."""
    model = np.maximum(v, 1e-12)
    s, o = 0.0, float(np.median(v))
    for _ in range(4):
        wt = n / np.maximum(model, 1e-12) ** 2
        a = np.stack([x, np.ones_like(x)], axis=1) * np.sqrt(wt)[:, None]
        s, o = np.linalg.lstsq(a, v * np.sqrt(wt), rcond=None)[0]
        if s < 0:
            s, o = 0.0, float(np.sum(wt * v) / np.sum(wt))
        model = np.maximum(s * x + o, 1e-12)
    return float(s), float(o)


def estimate_noise_profile(cfa: np.ndarray, pattern: str | None = "RGGB", multipliers=(1.0, 1.0, 1.0),
                           *, max_blocks: int = MAX_BLOCKS) -> NoiseEstimate | None:
    """Estimate (S, O) from a mosaic in phase ``pattern`` (None: one monochrome plane) or an
    (H, W, 3) image, normalized as after ``levels``, with ``multipliers`` the white balance
    already applied to it (undone here).  None when the picture has too few smooth areas."""
    planes = [(p, k) for p, k in _planes(np.asarray(cfa, dtype=np.float32), pattern, multipliers)
              if min(p.shape) >= 4 * BLOCK]
    if not planes:
        return None

    def stats(plane_multiplier):                 # one task per plane, on the kernels' threads
        plane, multiplier = plane_multiplier
        nblocks = ((plane.shape[0] - 2) // BLOCK) * ((plane.shape[1] - 2) // BLOCK)
        step = max(1, int(np.ceil(np.sqrt(nblocks / max_blocks))))
        m, v = _block_stats(plane, BLOCK, step)
        return m / multiplier, v / multiplier**2

    results = map_tasks(stats, planes)
    m = np.concatenate([r[0] for r in results])
    v = np.concatenate([r[1] for r in results])
    keep = (m < TOP) & np.isfinite(v)
    m, v = m[keep], v[keep]
    if m.size < MIN_BLOCKS_PER_BIN * 2:
        return None
    # bins equally spaced in sqrt(x): shot noise makes the variance change fastest near black
    lo = max(float(np.quantile(m, 0.001)), -0.01)
    edges = np.linspace(np.sqrt(max(lo, 0.0)), np.sqrt(TOP), BINS + 1) ** 2
    edges[0] = min(lo, 0.0) - 1e-6
    which = np.digitize(m, edges) - 1
    order = np.argsort(which, kind="stable")              # blocks grouped by bin
    which, m, v = which[order], m[order], v[order]
    starts = np.searchsorted(which, np.arange(BINS + 1))
    bias = quantile_bias()
    xs, vs, ns = [], [], []
    for b in range(BINS):
        a, e = starts[b], starts[b + 1]
        if e - a < MIN_BLOCKS_PER_BIN:
            continue
        xs.append(float(np.mean(m[a:e])))
        vs.append(float(np.quantile(v[a:e], QUANTILE)) / bias)
        ns.append(e - a)
    if len(xs) < 2:
        return None
    x, vv, n = np.array(xs), np.array(vs), np.array(ns, dtype=np.float64)
    s, o = _fit_line(x, vv, n)
    return NoiseEstimate(scale=s, offset=o, levels=x, variances=vv, counts=n)
