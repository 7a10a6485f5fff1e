"""Hot loops of highlight reconstruction (ops/highlights.py has the method and its reasons).

Everything here works on a half-resolution image of "cells": one RGB value per 2x2 Bayer
cell (or per pixel for data that is already RGB), plus a bit mask of the channels that
clipped there (bit k set: channel k reached its clipping level).

Push-pull scattered-data interpolation follows Gortler, Grzeszczuk, Szeliski & Cohen,
"The Lumigraph", SIGGRAPH 1996, section 3.2 (pull: weighted averages down a pyramid with
weights clamped to 1; push: holes filled from the coarser level), with a 4-tap tent filter
going down (a 2x2 box for the first, costliest level) and bilinear interpolation coming up so
the fill is smooth; the finest level is filled only where it is read (the clipped cells).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

TINY = 1e-6
# A blown area is as bright as the power mean (p = 4) of its surroundings: nearer their
# brightest part than their average, so no dip past the rim (x^4 and its root are spelled
# out in the kernels as squares and square roots).


@njit(parallel=True, cache=True)
def count_clipped_mosaic(cfa, chmap, clip):
    """How many photosites reach their channel's clipping level (the fast test for 'nothing to do')."""
    h, w = cfa.shape
    counts = np.zeros(h, np.int64)
    for y in prange(h):
        n = 0
        for x in range(w):
            if cfa[y, x] >= clip[chmap[y & 1, x & 1]]:
                n += 1
        counts[y] = n
    return counts.sum()


@njit(cache=True)
def _same_colour(i, n):
    """Index i brought into [0, n) by steps of 2, so its CFA colour is kept."""
    while i < 0:
        i += 2
    while i >= n:
        i -= 2
    return i


@njit(parallel=True, cache=True)
def pack_quads(cfa, chmap, clip):
    """(H, W) mosaic -> (H//2, W//2, 3) RGB at each 2x2 cell's centre, and the clipped mask.

    Each channel is interpolated to the cell centre (bilinear over the four nearest photosites
    of that colour, weights 9/16, 3/16, 3/16, 1/16 for R and B; the cell's two greens
    averaged), so the three values describe the same point: raw per-cell samples would see
    different mixtures of the two sides of an edge and invent colour there.  A channel counts
    as clipped in a cell when any photosite it was interpolated from reached clip[k]."""
    h, w = cfa.shape
    h2 = h // 2
    w2 = w // 2
    q = np.zeros((h2, w2, 3), np.float32)
    mask = np.zeros((h2, w2), np.uint8)
    for i in prange(h2):
        for j in range(w2):
            m = 0
            g = 0.0
            for dy in range(2):
                for dx in range(2):
                    y = 2 * i + dy
                    x = 2 * j + dx
                    k = chmap[dy, dx]
                    a = cfa[y, x]
                    if k == 1:
                        g += 0.5 * a
                        if a >= clip[1]:
                            m |= 2
                        continue
                    # the same colour's neighbours on the far side of the cell centre
                    y2 = _same_colour(y + 2 - 4 * dy, h)
                    x2 = _same_colour(x + 2 - 4 * dx, w)
                    b = cfa[y, x2]
                    c = cfa[y2, x]
                    d = cfa[y2, x2]
                    if a >= clip[k] or b >= clip[k] or c >= clip[k] or d >= clip[k]:
                        m |= 1 << k
                    q[i, j, k] = (9.0 * a + 3.0 * b + 3.0 * c + d) * (1.0 / 16.0)
            q[i, j, 1] = g
            mask[i, j] = m
    return q, mask


@njit(parallel=True, cache=True)
def rgb_mask(rgb, clip):
    """Clipped-channel mask of an (H, W, 3) image."""
    h, w = rgb.shape[0], rgb.shape[1]
    mask = np.zeros((h, w), np.uint8)
    for i in prange(h):
        for j in range(w):
            m = 0
            for k in range(3):
                if rgb[i, j, k] >= clip[k]:
                    m |= 1 << k
            mask[i, j] = m
    return mask


@njit(parallel=True, cache=True)
def near_clipped(mask, radius):
    """Cells within ``radius`` (Chebyshev distance) of a cell with a clipped channel: a box
    dilation, rows then columns, each by a running count."""
    h, w = mask.shape
    rows = np.zeros((h, w), np.uint8)
    for i in prange(h):
        count = 0
        for j in range(min(radius, w)):
            count += mask[i, j] != 0
        for j in range(w):
            if j + radius < w:
                count += mask[i, j + radius] != 0
            if j - radius - 1 >= 0:
                count -= mask[i, j - radius - 1] != 0
            rows[i, j] = count > 0
    out = np.zeros((h, w), np.bool_)
    for j in prange(w):
        count = 0
        for i in range(min(radius, h)):
            count += rows[i, j]
        for i in range(h):
            if i + radius < h:
                count += rows[i + radius, j]
            if i - radius - 1 >= 0:
                count -= rows[i - radius - 1, j]
            out[i, j] = count > 0
    return out


@njit(cache=True)
def _brightness_weight(q, i, j, clip, lo):
    """Confidence of an unclipped value as a colour source, rising as a square from 0 at
    ``lo`` of clipping to 1 at clipping: what is nearly blown itself best predicts the colour
    of what blew (moderately bright neighbours of another colour count little, dark ones not)."""
    b = 0.0
    for k in range(3):
        if q[i, j, k] <= TINY:
            return 0.0
        b = max(b, q[i, j, k] / clip[k])
    a = min(max((b - lo) / (1.0 - lo), 0.0), 1.0)
    return a * a


@njit(parallel=True, cache=True)
def colour_sources(q, mask, near, clip, lo):
    """The colour of a partly blown area comes from the bright unclipped cells near it: their
    linear RGB with a confidence weight.  Averaging linear values (not per-cell ratios) keeps
    the ratio of the bright side where an edge mixes two sides: Σ v_k / Σ v_j = L_k / L_j when
    the other side is dark."""
    h, w = mask.shape
    c = np.zeros((h, w, 3), np.float32)
    wt = np.zeros((h, w), np.float32)
    for i in prange(h):
        for j in range(w):
            if mask[i, j] == 0 and near[i, j]:
                a = _brightness_weight(q, i, j, clip, lo)
                if a > 0.0:
                    for k in range(3):
                        c[i, j, k] = q[i, j, k]
                    wt[i, j] = a
    return c, wt


@njit(cache=True, inline="always")
def _log_chroma_at(rgb, i, j, out):
    l0 = math.log(max(rgb[i, j, 0], TINY))
    l1 = math.log(max(rgb[i, j, 1], TINY))
    l2 = math.log(max(rgb[i, j, 2], TINY))
    mean = (l0 + l1 + l2) / 3.0
    out[i, j, 0] = l0 - mean
    out[i, j, 1] = l1 - mean
    out[i, j, 2] = l2 - mean


@njit(parallel=True, cache=True)
def _pull(v, w):
    """One level down: tent filter (1 3 3 1)/4 per axis on weight-clamped values."""
    h, wd, nc = v.shape
    h2 = (h + 1) // 2
    w2 = (wd + 1) // 2
    taps = np.array([0.25, 0.75, 0.75, 0.25])
    v2 = np.zeros((h2, w2, nc), np.float32)
    ww = np.zeros((h2, w2), np.float32)
    for i in prange(h2):
        acc = np.zeros(nc)
        for j in range(w2):
            acc[:] = 0.0
            sw = 0.0
            for a in range(4):
                y = 2 * i - 1 + a
                if y < 0 or y >= h:
                    continue
                for b in range(4):
                    x = 2 * j - 1 + b
                    if x < 0 or x >= wd:
                        continue
                    wk = taps[a] * taps[b] * min(w[y, x], 1.0)
                    if wk > 0.0:
                        sw += wk
                        for k in range(nc):
                            acc[k] += wk * v[y, x, k]
            ww[i, j] = sw
            if sw > 0.0:
                for k in range(nc):
                    v2[i, j, k] = acc[k] / sw
    return v2, ww


@njit(parallel=True, cache=True)
def _pull_box(v, w):
    """The first level down, 2x2 box: the finest level is the costly one, and where samples
    are dense the tent's extra smoothness buys nothing."""
    h, wd, nc = v.shape
    h2 = (h + 1) // 2
    w2 = (wd + 1) // 2
    v2 = np.zeros((h2, w2, nc), np.float32)
    ww = np.zeros((h2, w2), np.float32)
    for i in prange(h2):
        for j in range(w2):
            sw = 0.0
            for y in range(2 * i, min(2 * i + 2, h)):
                for x in range(2 * j, min(2 * j + 2, wd)):
                    wk = min(w[y, x], 1.0)
                    if wk > 0.0:
                        sw += wk
                        for k in range(nc):
                            v2[i, j, k] += wk * v[y, x, k]
            ww[i, j] = sw
            if sw > 0.0:
                for k in range(nc):
                    v2[i, j, k] /= sw
    return v2, ww


@njit(parallel=True, cache=True)
def _push_into(v, w, coarse, mask):
    """Push, in place: v = w v + (1 - w) * bilinear(coarse), w clamped to [0, 1], only where
    ``mask`` is set (at the finest level, the clipped cells: the only ones read)."""
    h, wd, nc = v.shape
    hc, wc = coarse.shape[0], coarse.shape[1]
    for y in prange(h):
        cy = min(max((y - 0.5) * 0.5, 0.0), hc - 1.0)
        y0 = min(int(cy), hc - 1)
        y1 = min(y0 + 1, hc - 1)
        fy = cy - y0
        for x in range(wd):
            if mask[y, x] == 0:
                continue
            cx = min(max((x - 0.5) * 0.5, 0.0), wc - 1.0)
            x0 = min(int(cx), wc - 1)
            x1 = min(x0 + 1, wc - 1)
            fx = cx - x0
            a = min(max(w[y, x], 0.0), 1.0)
            for k in range(nc):
                up = ((1.0 - fy) * ((1.0 - fx) * coarse[y0, x0, k] + fx * coarse[y0, x1, k])
                      + fy * ((1.0 - fx) * coarse[y1, x0, k] + fx * coarse[y1, x1, k]))
                v[y, x, k] = a * v[y, x, k] + (1.0 - a) * up


def push_pull(values: np.ndarray, weights: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Fill the zero-weight holes of ``values`` (H, W, C) smoothly from the weighted samples.
    Only cells where ``where`` is non-zero are filled at full resolution, in place: ``values``
    is the caller's scratch array, and is returned."""
    levels = [(values, weights)]
    if min(values.shape[:2]) > 1 and float(weights.min()) < 1.0:
        levels.append(_pull_box(values, weights))
        while min(levels[-1][0].shape[:2]) > 1 and float(levels[-1][1].min()) < 1.0:
            levels.append(_pull(*levels[-1]))
    if len(levels) == 1:
        return values
    filled = levels[-1][0]
    for v, w in reversed(levels[1:-1]):          # coarse levels: every cell is read by the next
        _push_into(v, w, filled, np.ones(v.shape[:2], np.uint8))
        filled = v
    _push_into(values, weights, filled, where)
    return values


@njit(parallel=True, cache=True)
def estimate_partial(q, mask, colour, clip):
    """Cells with some channels clipped: brightness from the unclipped channels through the
    local chroma c (log-chroma of the propagated ``colour``, taken only here: logs are dear),
    L = mean_j (log v_j - c_j); clipped channels become exp(L + c_k), never below their
    clipping level.  Returns the estimate image (unclipped channels kept)."""
    h, w = mask.shape
    e = q.copy()
    for i in prange(h):
        c = np.empty(3)
        for j in range(w):
            m = mask[i, j]
            if m == 0 or m == 7:
                continue
            mean = 0.0
            for k in range(3):
                c[k] = math.log(max(colour[i, j, k], TINY))
                mean += c[k] / 3.0
            s = 0.0
            n = 0
            for k in range(3):
                c[k] -= mean
                if not (m >> k) & 1:
                    s += math.log(max(q[i, j, k], TINY)) - c[k]
                    n += 1
            big_l = s / n
            for k in range(3):
                if (m >> k) & 1:
                    e[i, j, k] = max(math.exp(big_l + c[k]), clip[k])
    return e


@njit(cache=True)
def _luminance(e, i, j):
    """A luminance of white-balanced camera RGB, (R + 2G + B) / 4: what 'as bright as the
    surroundings' is measured in (a geometric mean would darken as colour fades to white)."""
    return 0.25 * e[i, j, 0] + 0.5 * e[i, j, 1] + 0.25 * e[i, j, 2]


@njit(cache=True)
def _rebuilt_weight(e, i, j, m, clip):
    """Trust in a partly clipped cell's rebuilt colour: none below 3/4 of clipping for its
    brightest surviving channel, full at clipping.  At the rim of a blown area, cells straddling a darker neighbour have
    dim surviving channels that belong to the other side, and a made-up colour."""
    b = 0.0
    for k in range(3):
        if not (m >> k) & 1:
            b = max(b, e[i, j, k] / clip[k])
    a = min(max((b - 0.75) * 4.0, 0.0), 1.0)
    return a * a


@njit(parallel=True, cache=True)
def full_sources(e, mask, near, clip, lo, anchor):
    """What fully clipped cells are filled from: log-chroma and luminance^4 of the rebuilt
    (partly clipped) cells and of bright unclipped cells near clipping.  Fully clipped cells
    are weak anchors at chroma 0, so colour fades to neutral white a few cells inside a fully
    blown area while the brightness stays that of its surroundings."""
    h, w = mask.shape
    c = np.zeros((h, w, 3), np.float32)
    cw = np.zeros((h, w), np.float32)
    lv = np.zeros((h, w, 1), np.float32)
    lw = np.zeros((h, w), np.float32)
    for i in prange(h):
        for j in range(w):
            m = mask[i, j]
            if m == 7:
                cw[i, j] = anchor
                continue
            a = 0.0
            if m != 0:
                a = _rebuilt_weight(e, i, j, m, clip)
            elif near[i, j]:
                a = _brightness_weight(e, i, j, clip, lo)
            if a <= 0.0:
                continue
            _log_chroma_at(e, i, j, c)
            cw[i, j] = a
            y2 = _luminance(e, i, j) ** 2
            lv[i, j, 0] = y2 * y2                # luminance^4
            lw[i, j] = a
    return c, cw, lv, lw


@njit(parallel=True, cache=True)
def estimate_full(e, mask, c, lfill, clip):
    """Fully clipped cells: the surroundings' brightness, raised where needed so every channel
    reaches its clipping level, with the chroma fading to neutral.  Partly clipped cells on the
    rim of a fully clipped area move towards that estimate as far as their own rebuilt colour
    is untrustworthy.  In place on ``e``."""
    h, w = mask.shape
    for i in prange(h):
        for j in range(w):
            m = mask[i, j]
            if m == 0:
                continue
            a = 0.0
            if m != 7:
                rim = False
                for y in range(max(i - 1, 0), min(i + 2, h)):
                    for x in range(max(j - 1, 0), min(j + 2, w)):
                        if mask[y, x] == 7:
                            rim = True
                if not rim:
                    continue
                a = _rebuilt_weight(e, i, j, m, clip)
                if a >= 1.0:
                    continue
            # e_k = s * exp(c_k): luminance as filled, at least every channel's clip level
            u0 = math.exp(c[i, j, 0])
            u1 = math.exp(c[i, j, 1])
            u2 = math.exp(c[i, j, 2])
            s = math.sqrt(math.sqrt(max(lfill[i, j, 0], 0.0))) / (0.25 * u0 + 0.5 * u1 + 0.25 * u2)
            s = max(s, clip[0] / u0, clip[1] / u1, clip[2] / u2)
            for k in range(3):
                if (m >> k) & 1:
                    full = max(s * math.exp(c[i, j, k]), clip[k])
                    e[i, j, k] = a * e[i, j, k] + (1.0 - a) * full


@njit(parallel=True, cache=True)
def write_back_mosaic(cfa, chmap, clip, e, y0, x0):
    """Clipped photosites take their channel's estimate, bilinear between cell centres
    (``e`` covers cells from (y0, x0) on), never lower than what the sensor recorded."""
    h, w = cfa.shape
    he, we = e.shape[0], e.shape[1]
    out = cfa.copy()
    for y in prange(h):
        for x in range(w):
            k = chmap[y & 1, x & 1]
            v = cfa[y, x]
            if v < clip[k]:
                continue
            cy = min(max((y - 0.5) * 0.5 - y0, 0.0), he - 1.0)
            cx = min(max((x - 0.5) * 0.5 - x0, 0.0), we - 1.0)
            i0 = min(int(cy), he - 1)
            j0 = min(int(cx), we - 1)
            i1 = min(i0 + 1, he - 1)
            j1 = min(j0 + 1, we - 1)
            fy = cy - i0
            fx = cx - j0
            est = ((1.0 - fy) * ((1.0 - fx) * e[i0, j0, k] + fx * e[i0, j1, k])
                   + fy * ((1.0 - fx) * e[i1, j0, k] + fx * e[i1, j1, k]))
            out[y, x] = max(v, est)
    return out


@njit(parallel=True, cache=True)
def clip_rows(data, limit, out):
    """Every value above ``limit`` set to it (the ``clip`` mode, and a monochrome frame's)."""
    flat_in = data.reshape(data.shape[0], -1)
    flat_out = out.reshape(out.shape[0], -1)
    for y in prange(flat_in.shape[0]):
        for x in range(flat_in.shape[1]):
            v = flat_in[y, x]
            flat_out[y, x] = min(limit, v)
    return out
