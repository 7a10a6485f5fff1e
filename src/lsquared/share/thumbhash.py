"""ThumbHash: a ~25-byte placeholder of a picture that a page can paint before the image loads.

The encoder of Evan Wallace's published algorithm (https://evanw.github.io/thumbhash/, MIT;
reference implementation ``rgbaToThumbHash`` in thumbhash/js/thumbhash.js): the picture, at
most 100x100, in an LPQ colour space (luminance, yellow-blue, red-green), a few DCT terms
per channel quantized to 4 bits, after a 5-byte header of the DC terms and scales.  Opaque
pictures only (the service's renditions have no alpha).
"""

from __future__ import annotations

import base64

import numpy as np


def _encode_channel(channel: np.ndarray, nx: int, ny: int) -> tuple[float, list[float], float]:
    h, w = channel.shape
    xs = (np.arange(w) + 0.5) * (np.pi / w)
    ys = (np.arange(h) + 0.5) * (np.pi / h)
    dc, ac, scale = 0.0, [], 0.0
    for cy in range(ny):
        cx = 0
        while cx * ny < nx * (ny - cy):
            f = float(np.cos(ys * cy) @ channel @ np.cos(xs * cx)) / (w * h)
            if cx or cy:
                ac.append(f)
                scale = max(scale, abs(f))
            else:
                dc = f
            cx += 1
    if scale:
        ac = [0.5 + 0.5 / scale * f for f in ac]
    return dc, ac, scale


def _round(x: float) -> int:
    return int(np.floor(x + 0.5))          # JavaScript's Math.round


def rgb_to_thumbhash(rgb: np.ndarray) -> bytes:
    """ThumbHash of an (H, W, 3) uint8 picture no larger than 100x100."""
    h, w = rgb.shape[:2]
    if w > 100 or h > 100:
        raise ValueError(f"{w}x{h} does not fit in 100x100")
    c = rgb.astype(np.float64) / 255.0
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    lum = (r + g + b) / 3
    p = (r + g) / 2 - b
    q = r - g
    l_limit = 7
    lx = max(1, _round(l_limit * w / max(w, h)))
    ly = max(1, _round(l_limit * h / max(w, h)))
    l_dc, l_ac, l_scale = _encode_channel(lum, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _encode_channel(p, 3, 3)
    q_dc, q_ac, q_scale = _encode_channel(q, 3, 3)
    landscape = w > h
    header24 = _round(63 * l_dc) | (_round(31.5 + 31.5 * p_dc) << 6) | (_round(31.5 + 31.5 * q_dc) << 12) \
        | (_round(31 * l_scale) << 18)
    header16 = (ly if landscape else lx) | (_round(63 * p_scale) << 3) | (_round(63 * q_scale) << 9) \
        | (int(landscape) << 15)
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    factors = l_ac + p_ac + q_ac
    out += [0] * ((len(factors) + 1) // 2)
    for i, f in enumerate(factors):
        out[5 + (i >> 1)] |= _round(15 * f) << ((i & 1) << 2)
    return bytes(out)


def thumbhash_average_rgb(hash_: bytes) -> tuple[float, float, float]:
    """The average colour a ThumbHash holds (the reference ``thumbHashToAverageRGBA``)."""
    header = hash_[0] | (hash_[1] << 8) | (hash_[2] << 16)
    lum = (header & 63) / 63
    p = ((header >> 6) & 63) / 31.5 - 1
    q = ((header >> 12) & 63) / 31.5 - 1
    b = lum - 2 / 3 * p
    r = (3 * lum - b + q) / 2
    g = r - q
    return tuple(min(1.0, max(0.0, v)) for v in (r, g, b))


def placeholder(rgb: np.ndarray) -> str:
    """Base64 ThumbHash of any picture (scaled to fit 100x100 first)."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
    im.thumbnail((100, 100), Image.Resampling.BOX)
    return base64.b64encode(rgb_to_thumbhash(np.asarray(im))).decode()


def thumbhash_to_rgb(hash_: bytes) -> np.ndarray:
    """The small (at most 32x32) picture a ThumbHash stands for, (H, W, 3) uint8: the reference
    decoder ``thumbHashToRGBA`` (opaque hashes; the saturation boost of 1.25 included)."""
    header24 = hash_[0] | (hash_[1] << 8) | (hash_[2] << 16)
    header16 = hash_[3] | (hash_[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    if header24 >> 23:
        raise ValueError("ThumbHashes with alpha are not made by this service")
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    landscape = header16 >> 15
    lx = max(3, 7 if landscape else header16 & 7)
    ly = max(3, header16 & 7 if landscape else 7)
    index = 0

    def channel(nx: int, ny: int, scale: float) -> list[tuple[int, int, float]]:
        nonlocal index
        terms = []
        for cy in range(ny):
            cx = 0 if cy else 1
            while cx * ny < nx * (ny - cy):
                nibble = (hash_[5 + (index >> 1)] >> ((index & 1) << 2)) & 15
                terms.append((cx, cy, (nibble / 7.5 - 1) * scale))
                index += 1
                cx += 1
        return terms

    l_ac, p_ac, q_ac = channel(lx, ly, l_scale), channel(3, 3, p_scale * 1.25), channel(3, 3, q_scale * 1.25)
    ratio = (7 if landscape else header16 & 7) / (header16 & 7 if landscape else 7)
    w = _round(32 if ratio > 1 else 32 * ratio)
    h = _round(32 / ratio if ratio > 1 else 32)
    fx = np.cos(np.pi / w * (np.arange(w) + 0.5)[None, :] * np.arange(max(lx, 3))[:, None])   # (cx, x)
    fy = np.cos(np.pi / h * (np.arange(h) + 0.5)[None, :] * np.arange(max(ly, 3))[:, None])   # (cy, y)

    def decode(dc: float, terms) -> np.ndarray:
        out = np.full((h, w), dc)
        for cx, cy, f in terms:
            out += f * 2 * np.outer(fy[cy], fx[cx])
        return out

    lum, p, q = decode(l_dc, l_ac), decode(p_dc, p_ac), decode(q_dc, q_ac)
    b = lum - 2 / 3 * p
    r = (3 * lum - b + q) / 2
    g = r - q
    rgb = np.stack([r, g, b], axis=-1)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)      # the reference truncates (Uint8Array)
