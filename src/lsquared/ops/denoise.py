"""Denoise: raw-domain noise reduction that knows the sensor's noise.

Runs on the white-balanced mosaic after highlight reconstruction and before demosaic, where
noise is still independent from photosite to photosite and follows the sensor's
Poisson-Gaussian law var(x) = S x + O (x before white balance, 1 = white level):

- The noise model (S, O) comes from the file's DNG NoiseProfile when the decoder passes it on
  (``meta.extra["noise_profile"]``), else from the picture itself (estimators.noise).  The
  resolved pair is stored in the recipe, so a replay does not re-estimate.
- Each 2x2 cell (R, G1, G2, B) is rotated by an orthonormal transform into a luminance plane
  y = (R+G1+G2+B)/2, two colour differences u = (R-B)/√2, v = (G1+G2-R-B)/2, and the green
  difference d = (G1-G2)/√2 (green imbalance, and detail at the Nyquist frequency).
  Orthonormal: the noise of each plane is known exactly from the channels' noise.
- Each plane is decomposed into a Laplacian pyramid (Burt & Adelson 1983); a detail
  coefficient w is scaled by the locally adaptive Wiener gain s² / (s² + k² n²), with n² the
  noise variance of that level at that place (from the noise model at the local brightness)
  and s² = max(E[w²] - n², 0) over its 3x3 neighbours (Mihcak et al. 1999).  Edges and
  texture (E >> n²) pass; flat noise (E ≈ n²) goes.  The kernels (kernels/denoise_wavelet.py)
  fuse each level into two passes and never store the finest level's planes.
- k is the strength: ``luma`` for y and d (3 levels: luminance noise is fine-grained),
  ``chroma`` for u and v (5 levels: colour noise is blotchy, and the eye forgives colour
  smoothing).  0 leaves a plane untouched; 1 is the statistically balanced Wiener gain.

``auto`` sets the strengths from the noise at a mid-grey (an eighth of white, three stops
down): nothing below 2 % relative noise (base ISO on a modern sensor: the step then costs
nothing), full strength from 8 % (luma) / 6 % (chroma).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from ..errors import ParameterError
from ..frame import Encoding, Frame, cfa_channel_map
from .params import DenoiseParams  # the schema, numpy-free (ops/params.py)

MID_GREY = 0.125                         # where auto measures the noise: 3 stops below white
AUTO_LUMA = (0.02, 0.08)                 # relative noise at mid-grey: strength 0 -> 1 between these
AUTO_CHROMA = (0.02, 0.06)
_NUMBER = re.compile(r"^\s*\d+(?:\.\d*)?\s*$")


def parse_denoise(text: str) -> DenoiseParams:
    """``--denoise`` value: auto, off, or a strength (luma and chroma alike, 1 = nominal)."""
    t = text.strip().lower()
    if t in ("auto", "off"):
        return DenoiseParams(mode=t)
    if _NUMBER.match(t):
        s = float(t)
        return DenoiseParams(mode="manual", luma=s, chroma=s) if s > 0 else DenoiseParams(mode="off")
    raise ParameterError(f"unknown denoise setting '{text}'; use auto, off, or a strength such as 0.5 or 1.5")


def relative_noise(profile: tuple[float, float], level: float = MID_GREY) -> float:
    """Noise standard deviation over signal at ``level`` (a fraction of white)."""
    s, o = profile
    return float(np.sqrt(max(s * level + o, 0.0)) / level)


def _ramp(x: float, lo_hi: tuple[float, float]) -> float:
    lo, hi = lo_hi
    return float(min(max((x - lo) / (hi - lo), 0.0), 1.0))


def auto_strengths(profile: tuple[float, float]) -> tuple[float, float]:
    """(luma, chroma) strengths for a noise profile: 0 at base ISO, 1 when noise is obvious."""
    rel = relative_noise(profile)
    return round(_ramp(rel, AUTO_LUMA), 3), round(_ramp(rel, AUTO_CHROMA), 3)


def resolve_denoise(frame: Frame, params: DenoiseParams) -> DenoiseParams:
    """Fill the noise profile and the strengths (a no-op when resolved, or for mode off)."""
    if params.mode == "off":
        return params
    profile, source = params.profile, params.profile_source
    if profile is None:
        from_file = frame.meta.extra.get("noise_profile")
        if from_file is not None and len(from_file) >= 2 and float(from_file[0]) > 0:
            profile, source = (float(from_file[0]), float(from_file[1])), "file"
        else:
            from ..estimators.noise import estimate_noise_profile

            data = frame.data
            cfa = frame.meta.cfa if frame.meta.encoding is Encoding.CFA else None
            est = estimate_noise_profile(data, cfa, frame.meta.wb_multipliers or (1.0, 1.0, 1.0))
            profile = (est.scale, max(est.offset, 0.0)) if est is not None else (0.0, 0.0)
            source = "estimate" if est is not None else "none"
    luma, chroma = params.luma, params.chroma
    if params.mode == "auto" and (luma is None or chroma is None):
        auto_luma, auto_chroma = auto_strengths(profile)
        luma = auto_luma if luma is None else luma
        chroma = auto_chroma if chroma is None else chroma
    return dataclasses.replace(params, profile=(float(profile[0]), float(profile[1])), profile_source=source,
                               luma=float(luma or 0.0), chroma=float(chroma or 0.0))


# The cell transform: rows y, u, v, d over the channels (R, G1, G2, B); orthonormal.
_S = float(np.sqrt(0.5))
CELL = np.array([[0.5, 0.5, 0.5, 0.5], [_S, 0.0, 0.0, -_S], [-0.5, 0.5, 0.5, -0.5], [0.0, _S, -_S, 0.0]])
VARIANCE_OF = (4, 5, 4, 6)      # the kernel's variance quantity of each plane (y and v share one)


def cell_coefficients(pattern: str, slope, offset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the kernels need to read the planes and their noise variances from a mosaic's 2x2
    cells (e00, e01, e10, e11 in raster order) and to write them back, for the phase
    ``pattern`` and per-channel noise var_c = slope_c max(x_c, 0) + offset_c (R, G1, G2, B).
    coef (7, 4), const (7,): plane q = sum_k coef[q, k] e_k (q < 4); the variances of y and v
    (4), u (5), d (6) = const + sum_k coef[q, k] max(e_k, 0), since var(sum a_c x_c) =
    sum a_c² var_c for independent photosites.  inv (4, 4): e_k = sum_q inv[k, q] plane_q
    (the transpose: the transform is orthonormal)."""
    chmap = cfa_channel_map(pattern)
    cells = [(dy, dx) for dy in range(2) for dx in range(2)]
    greens = [k for k, c in enumerate(cells) if chmap[c] == 1]
    red = next(k for k, c in enumerate(cells) if chmap[c] == 0)
    blue = next(k for k, c in enumerate(cells) if chmap[c] == 2)
    channel_at = np.empty(4, np.int64)                 # (R, G1, G2, B) index at cell position k
    for c, k in enumerate([red, greens[0], greens[1], blue]):
        channel_at[k] = c
    slope, offset = np.asarray(slope, np.float64), np.asarray(offset, np.float64)
    coef = np.zeros((7, 4))
    const = np.zeros(7)
    coef[:4] = CELL[:, channel_at]
    for kind, q in ((4, 0), (5, 1), (6, 3)):
        weights = CELL[q] ** 2
        coef[kind] = (weights * slope)[channel_at]
        const[kind] = float(np.sum(weights * offset))
    return coef.astype(np.float32), const.astype(np.float32), CELL.T[channel_at].astype(np.float32)


def denoise_mosaic(cfa: np.ndarray, pattern: str, profile: tuple[float, float], multipliers=(1.0, 1.0, 1.0),
                   *, luma: float = 1.0, chroma: float = 1.0, luma_levels: int = 3,
                   chroma_levels: int = 5) -> np.ndarray:
    """Denoise a white-balanced Bayer mosaic (float32 (H, W), phase ``pattern``) whose noise
    before white balance was var = S x + O (``profile`` = (S, O)) and which was then scaled by
    ``multipliers`` (R, G, B).  Returns a new float32 mosaic (method in the module docstring)."""
    from ..kernels import denoise_wavelet as dk       # numba: imported when the step runs
    from ..kernels.threads import map_tasks, run_bands

    cfa = np.ascontiguousarray(cfa, dtype=np.float32)
    h2, w2 = cfa.shape[0] // 2, cfa.shape[1] // 2
    levels = (luma_levels, chroma_levels, chroma_levels, luma_levels)           # y, u, v, d
    strengths = np.array([k if n > 0 else 0.0 for k, n in zip((luma, chroma, chroma, luma), levels)], np.float32)
    if not strengths.any() or min(h2, w2) < 8:
        return cfa.copy()
    m = np.asarray(multipliers, dtype=np.float64)[[0, 1, 1, 2]]
    s, o = profile
    # white-balanced channel c = m_c * x: var = m_c² (S x + O) = m_c S (m_c x) + m_c² O
    coef, const, inv = cell_coefficients(pattern, m * s, m * m * max(o, 0.0))
    planes1 = np.empty((4, (h2 + 1) // 2, (w2 + 1) // 2), np.float32)
    var1 = np.empty((3, *planes1.shape[1:]), np.float32)
    run_bands(dk.reduce_cfa, dk.bands(planes1.shape[1], dk.HALF_BAND), cfa, coef, const, planes1, var1)
    denoised1 = np.empty_like(planes1)
    fractions = [dk.level_noise_fractions(n) for n in levels]

    def coarser_levels(q: int) -> None:             # one task per plane, its levels in sequence
        dk.denoise_levels(planes1[q], var1[VARIANCE_OF[q] - 4], fractions[q], float(strengths[q]),
                          levels[q], 1, denoised1[q], parallel=False)

    map_tasks(coarser_levels, [q for q in range(4) if strengths[q] > 0])
    finest = np.array([f[0] if f else 0.0 for f in fractions], np.float32)
    out = np.empty_like(cfa)
    out[2 * h2:] = cfa[2 * h2:]                            # an odd last row or column is kept
    out[:, 2 * w2:] = cfa[:, 2 * w2:]
    run_bands(dk.reconstruct_cfa, dk.bands(h2), cfa, coef, const, inv, np.array(VARIANCE_OF, np.int64),
                 planes1, denoised1, finest, strengths, out)
    return out


def denoise_mono(data: np.ndarray, profile: tuple[float, float], *, luma: float = 1.0, levels: int = 3) -> np.ndarray:
    """Denoise one linear plane (a monochrome sensor): the luminance branch only."""
    from ..kernels import denoise_wavelet as dk
    from ..kernels.threads import run_bands

    data = np.ascontiguousarray(data, dtype=np.float32)
    if luma <= 0 or levels <= 0 or min(data.shape) < 8:
        return data.copy()
    s, o = profile
    var = np.empty_like(data)
    run_bands(dk.plane_variance, dk.bands(data.shape[0]), data, np.float32(s), np.float32(max(o, 0.0)), var)
    return dk.denoise_levels(data, var, dk.level_noise_fractions(levels), luma, levels)


def denoise(frame: Frame, params: DenoiseParams) -> tuple[Frame, DenoiseParams]:
    """The denoise step of a develop: returns the new frame and the resolved params.  Frames
    that are neither a Bayer mosaic nor monochrome pass unchanged (with a note when asked to
    denoise explicitly)."""
    params = resolve_denoise(frame, params)
    if params.mode == "off" or (not params.luma and not params.chroma) or params.profile is None \
            or params.profile[0] <= 0 and params.profile[1] <= 0:
        return frame, params
    meta = frame.meta
    if meta.encoding is Encoding.CFA:
        data = denoise_mosaic(frame.data, meta.cfa, params.profile, meta.wb_multipliers or (1.0, 1.0, 1.0),
                              luma=params.luma, chroma=params.chroma, luma_levels=params.luma_levels,
                              chroma_levels=params.chroma_levels)
    elif meta.encoding is Encoding.MONO:
        data = denoise_mono(frame.data, params.profile, luma=params.luma, levels=params.luma_levels)
    else:
        if params.mode == "manual":
            meta = meta.warn("denoise works on Bayer and monochrome sensor data; this file's data "
                             "were already demosaiced, so it was not denoised")
        return frame.replace(meta=meta), params
    return frame.replace(data=data), params
