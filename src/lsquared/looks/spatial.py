"""The spatial steps of a look, on the finished (display-encoded) picture: vignette, grain.

They cannot live in a 3D LUT (they depend on where a pixel is), so they run after it.

Vignette: a gain of 2^(-amount * s(r)) in display light, r the distance from the centre
(half diagonal = 1) and s a smoothstep from ``midpoint`` to the corner; applied to encoded
values as gain^(1/2.2), the display-light gain seen through a 2.2 gamma.

Grain: zero-mean noise from a counter-based hash of (seed, x, y, plane) (Steele, Lea &
Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014: SplitMix64), so it is
the same for a given seed whatever the thread count; four 16-bit uniforms summed (Irwin-Hall)
approximate a Gaussian.  A separable Gaussian blur of sigma = size/2 gives the grain its
size, the result is rescaled to unit variance, and its amplitude follows 4 v (1 - v) of the
encoded value, as film grain shows most in the mid-tones.  Grain is grey (one plane for
all channels) unless ``chroma`` > 0, so monochrome looks stay exactly R = G = B.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .model import Look
from .steps import Grain, Vignette

REFERENCE_WIDTH = 6000.0              # grain size is given in pixels of a 6000-pixel picture


def apply_spatial(image: np.ndarray, look: Look, *, seed: int = 0) -> np.ndarray:
    """Vignette and grain of ``look`` on a display-encoded float32 (H, W, 3) image in [0, 1].

    Returns a new array (the input itself when the look has no spatial steps)."""
    steps = look.spatial
    if not steps:
        return image
    # LUT values may run past [0, 1] for hard-clipping looks; the steps work on the clipped picture
    out = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)     # a new array
    for step in steps:
        if isinstance(step, Vignette):
            vignette(out, step.amount, step.midpoint)
        elif isinstance(step, Grain):
            chroma = 0.0 if look.monochrome_output else step.chroma
            grain(out, step.amount, step.size, chroma, seed)
    return out


def vignette(image: np.ndarray, amount: float, midpoint: float) -> None:
    """In place."""
    _vignette_kernel(image, np.float32(amount), np.float32(min(midpoint, 0.999)))


@njit(parallel=True, cache=True)
def _vignette_kernel(img, amount, midpoint):
    h, w = img.shape[0], img.shape[1]
    cy = (h - 1) * 0.5
    cx = (w - 1) * 0.5
    half_diag = math.sqrt(cx * cx + cy * cy) + 1e-9
    for y in prange(h):
        for x in range(w):
            r = math.sqrt((x - cx) ** 2 + (y - cy) ** 2) / half_diag
            t = min(max((r - midpoint) / (1.0 - midpoint), 0.0), 1.0)
            s = t * t * (3.0 - 2.0 * t)
            gain = 2.0 ** (-amount * s / 2.2)
            for c in range(3):
                img[y, x, c] = min(max(img[y, x, c] * gain, 0.0), 1.0)


def grain(image: np.ndarray, amount: float, size: float, chroma: float, seed: int) -> None:
    """In place."""
    h, w = image.shape[:2]
    sigma = 0.5 * size * max(h, w) / REFERENCE_WIDTH
    planes = 1 if chroma <= 0 else 4
    noise = np.empty((planes, h, w), dtype=np.float32)
    for p in range(planes):
        _hash_noise(noise[p], np.uint64(seed & 0xFFFFFFFF), np.uint64(p))
        if sigma > 0.3:
            kernel = _gaussian_kernel(sigma)
            tmp = np.empty_like(noise[p])
            _blur(noise[p], kernel, tmp, True)
            _blur(tmp, kernel, noise[p], False)
            noise[p] /= np.float32(np.sum(kernel ** 2))     # std of blurred unit noise: sum k^2
    _add_grain(image, noise, np.float32(amount), np.float32(chroma))


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


@njit(cache=True, inline="always")
def _splitmix64(z):
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(parallel=True, cache=True)
def _hash_noise(out, seed, plane):
    h, w = out.shape
    base = _splitmix64(seed * np.uint64(0x100000001B3) + plane)
    # Irwin-Hall of 4 uniforms on [0, 1): mean 2, variance 4/12
    norm = np.float32(1.0 / 65536.0)
    scale = np.float32(math.sqrt(3.0))
    for y in prange(h):
        row = _splitmix64(base ^ np.uint64(y))
        for x in range(w):
            z = _splitmix64(row + np.uint64(x) * np.uint64(0xD1B54A32D192ED03))
            s = np.float32(z & np.uint64(0xFFFF)) + np.float32((z >> np.uint64(16)) & np.uint64(0xFFFF)) \
                + np.float32((z >> np.uint64(32)) & np.uint64(0xFFFF)) + np.float32(z >> np.uint64(48))
            out[y, x] = (s * norm - np.float32(2.0)) * scale


@njit(parallel=True, cache=True)
def _blur(src, k, dst, along_rows):
    """1D convolution with ``k`` along rows (x) or columns (y), edges clamped."""
    h, w = src.shape
    r = k.shape[0] // 2
    for y in prange(h):
        for x in range(w):
            acc = np.float32(0.0)
            for i in range(-r, r + 1):
                if along_rows:
                    acc += k[i + r] * src[y, min(max(x + i, 0), w - 1)]
                else:
                    acc += k[i + r] * src[min(max(y + i, 0), h - 1), x]
            dst[y, x] = acc


@njit(parallel=True, cache=True)
def _add_grain(img, noise, amount, chroma):
    h, w = img.shape[0], img.shape[1]
    colour = noise.shape[0] > 1
    mix = np.float32(math.sqrt(max(1.0 - chroma * chroma, 0.0)))
    for y in prange(h):
        for x in range(w):
            for c in range(3):
                v = img[y, x, c]
                n = noise[0, y, x]
                if colour:
                    n = mix * n + chroma * noise[1 + c, y, x]
                v = v + amount * 4.0 * v * (1.0 - v) * n
                img[y, x, c] = min(max(v, np.float32(0.0)), np.float32(1.0))
