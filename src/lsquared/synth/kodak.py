"""Kodak-24 test pictures: loading, re-mosaicking and tiling to a size, in one place.

The Kodak PhotoCD set (kodim01..24.png, 768 x 512, some portrait) is the standard demosaic
benchmark; the protocol of the literature (e.g. Menon & Calvagno 2011, "Color image
demosaicking: an overview") takes each 8-bit image as floats in [0, 1], samples it through
an RGGB Bayer filter, demosaics it and scores CPSNR over R, G and B with a border excluded.
The bench scripts and the Kodak tests use these helpers so that they measure the same thing.
The folder is always given by the caller (the package does not know where the data lives).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 768, 512          # a Kodak image in landscape orientation


def kodak_files(folder: Path) -> list[Path]:
    """The kodim*.png files of ``folder``, sorted (empty when there are none)."""
    return sorted(Path(folder).glob("kodim*.png"))


def load_kodak(folder: Path, dtype=np.float32) -> list[tuple[str, np.ndarray]]:
    """(name, RGB) of every Kodak image in ``folder``: float in [0, 1] (``dtype`` float32 or
    float64), or the 8-bit values as they are with ``dtype=np.uint8``."""
    from PIL import Image

    out = []
    for f in kodak_files(folder):
        px = np.asarray(Image.open(f).convert("RGB"))
        if np.dtype(dtype) != np.uint8:
            px = px.astype(dtype) / dtype(255.0)
        out.append((f.stem, px))
    return out


def mosaic_rggb(rgb: np.ndarray) -> np.ndarray:
    """Sample an (H, W, 3) picture through an RGGB Bayer filter: (H, W), same dtype."""
    m = np.empty(rgb.shape[:2], dtype=rgb.dtype)
    m[0::2, 0::2] = rgb[0::2, 0::2, 0]
    m[0::2, 1::2] = rgb[0::2, 1::2, 1]
    m[1::2, 0::2] = rgb[1::2, 0::2, 1]
    m[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return m


def cpsnr(reference: np.ndarray, result: np.ndarray, border: int = 10) -> float:
    """Colour PSNR (dB) of pictures in [0, 1]: 10 log10(1 / MSE over R, G and B), with
    ``border`` pixels excluded at each edge."""
    if border:
        reference = reference[border:-border, border:-border]
        result = result[border:-border, border:-border]
    err = reference.astype(np.float64) - result.astype(np.float64)
    return float(10.0 * np.log10(1.0 / np.mean(err * err)))


def tiled(images: list[tuple[str, np.ndarray]], height: int, width: int) -> np.ndarray:
    """An (height, width, 3) picture of Kodak images side by side at native resolution (portrait
    ones turned), row after row; every other round through the set is mirrored left to right,
    so that a large picture does not repeat a tile exactly.  Same dtype as the images."""
    if not images:
        raise ValueError("no Kodak images to tile")
    tiles = [rgb if rgb.shape[0] == HEIGHT else rgb.transpose(1, 0, 2) for _, rgb in images]
    out = np.empty((height, width, 3), tiles[0].dtype)
    k = 0
    for y in range(0, height, HEIGHT):
        for x in range(0, width, WIDTH):
            t = tiles[k % len(tiles)]
            if (k // len(tiles)) % 2:
                t = t[:, ::-1]
            k += 1
            out[y:y + HEIGHT, x:x + WIDTH] = t[:height - y, :width - x]
    return out
