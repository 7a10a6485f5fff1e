"""Grey output: a develop whose every pixel is neutral is written as one channel.

A monochrome look (or any look on a monochrome sensor) renders R = G = B; writing that as
RGB triples the data and tells colour-managed viewers nothing they need.  Whether a develop
is grey is decided from the look's compiled result, not from its name: the 3D LUT
(``looks.compile.LookLUT.table``, output values over [0, 1]) must map every input it will
see to R = G = B within ``NEUTRAL_TOLERANCE``:

- colour input (a Bayer raw, a rendered image): every node of the table;
- a monochrome sensor: only the table's diagonal, the nodes (i, i, i) that a neutral input
  reaches (the tail renders a monochrome frame along the diagonal alone, kernels.tail.render_mono).

A toned look (selenium, split toning) fails the test and stays RGB.  The grey value is the
luma of the RGB the colour path would have written, Y' = kr R' + kg G' + kb B' with the
output space's luminance weights (its RGB -> XYZ row Y; Rec. ITU-R BT.709 for sRGB: 0.2126,
0.7152, 0.0722), rounded to the nearest code: within a code of every channel, since the
channels differ by less than the tolerance.
"""

from __future__ import annotations

import numpy as np

# half an 8-bit code: a neutral look's channels round to the same 8-bit value (or neighbours)
NEUTRAL_TOLERANCE = 0.5 / 255


def lut_is_neutral(table: np.ndarray, *, diagonal_only: bool = False,
                   tolerance: float = NEUTRAL_TOLERANCE) -> bool:
    """True when ``table`` (N, N, N, 3) maps its inputs (all, or only (i, i, i)) to R = G = B."""
    table = np.asarray(table)
    if table.ndim != 4 or table.shape[-1] != 3:
        return False
    if diagonal_only:
        n = min(table.shape[:3])
        table = table[np.arange(n), np.arange(n), np.arange(n)]
    spread = table.max(axis=-1) - table.min(axis=-1)
    return bool(spread.max(initial=0.0) <= tolerance)


def luma_weights(space: str) -> np.ndarray:
    """(kr, kg, kb): the luminance row of ``space``'s RGB -> XYZ matrix, normalised to sum 1."""
    from ..color.spaces import SPACES

    y = np.asarray(SPACES[SPACES.validate(space)].to_xyz, dtype=np.float64)[1]
    return y / y.sum()


def to_grey(pixels: np.ndarray, space: str = "srgb", rows: int = 64) -> np.ndarray:
    """(H, W, 3) uint8/uint16 display RGB -> (H, W) of the same dtype: the luma, rounded.

    In blocks of ``rows`` rows through one float32 buffer, so the arithmetic stays in cache
    (60 MP, uint8: 0.31 s instead of 0.78 s for whole-array passes, load 5)."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"to_grey takes (H, W, 3) pixels, not {pixels.shape}")
    kr, kg, kb = (np.float32(v) for v in luma_weights(space))
    top = np.iinfo(pixels.dtype).max
    out = np.empty(pixels.shape[:2], pixels.dtype)
    buffer = np.empty((rows, pixels.shape[1]), np.float32)
    for y in range(0, pixels.shape[0], rows):
        block = pixels[y:y + rows]
        grey = buffer[:block.shape[0]]
        np.multiply(block[..., 0], kr, out=grey)
        grey += block[..., 1] * kg
        grey += block[..., 2] * kb
        grey += np.float32(0.5)
        np.clip(grey, 0, top, out=grey)
        out[y:y + rows] = grey
    return out
