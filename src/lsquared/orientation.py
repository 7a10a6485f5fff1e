"""Orientation: EXIF Orientation 1..8 applied to the pixels (so the output says 1).

Pure array views, at the bottom of the import graph: the develop pipeline orients its
result and io.image orients rendered pictures it reads.

EXIF 2.32 tag 0x0112: 1 normal, 2 mirrored horizontally, 3 rotated 180, 4 mirrored vertically,
5 mirrored horizontally then rotated 270 CW, 6 rotated 90 CW, 7 mirrored horizontally then
rotated 90 CW, 8 rotated 270 CW (i.e. 90 CCW) — the rotation needed to display the image upright.
"""

from __future__ import annotations

import numpy as np


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Return the image as it should be displayed (a view where possible, else a copy)."""
    o = int(orientation or 1)
    if o == 1:
        return image
    if o == 2:
        return image[:, ::-1]
    if o == 3:
        return image[::-1, ::-1]
    if o == 4:
        return image[::-1]
    if o == 5:
        return np.swapaxes(image, 0, 1)
    if o == 6:
        return np.swapaxes(image, 0, 1)[:, ::-1]
    if o == 7:
        return np.swapaxes(image, 0, 1)[::-1, ::-1]
    if o == 8:
        return np.swapaxes(image, 0, 1)[::-1]
    return image


def oriented_shape(height: int, width: int, orientation: int) -> tuple[int, int]:
    return (width, height) if int(orientation or 1) in (5, 6, 7, 8) else (height, width)
