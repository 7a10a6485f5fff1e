"""EXIF orientation: from the stored (sensor) image to the displayed picture and back.

EXIF 2.32 / TIFF 6.0 tag 274.  Code o says how the stored image must be transformed to be
shown upright: 1 identity, 2 mirror left-right, 3 rotate 180, 4 mirror top-bottom,
5 transpose, 6 rotate 90 degrees clockwise, 7 transverse, 8 rotate 90 degrees counter-clockwise.
The synthetic camera composes the scene as it should be displayed and stores
``display_to_sensor(scene, o)``, exactly what a camera held on its side records.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..orientation import orient


def _check(orientation: int) -> int:
    if orientation not in range(1, 9):
        raise ParameterError(f"orientation must be an EXIF code 1..8, got {orientation}")
    return int(orientation)


def sensor_to_display(image: np.ndarray, orientation: int) -> np.ndarray:
    """The displayed picture of a stored image (first two axes are rows, columns)."""
    return orient(image, _check(orientation))


def display_to_sensor(image: np.ndarray, orientation: int) -> np.ndarray:
    """The stored image whose display (with this orientation) is ``image``."""
    o = _check(orientation)
    inverse = {6: 8, 8: 6}.get(o, o)        # 1-5 and 7 are their own inverses
    return sensor_to_display(image, inverse)


def display_shape(sensor_hw: tuple[int, int], orientation: int) -> tuple[int, int]:
    h, w = sensor_hw
    return (w, h) if _check(orientation) >= 5 else (h, w)


def box_sensor_to_display(box, sensor_hw: tuple[int, int], orientation: int) -> tuple[int, int, int, int]:
    """Map a box (x0, y0, x1, y1), end exclusive, from stored to display coordinates."""
    h, w = sensor_hw
    x0, y0, x1, y1 = box
    corners = [_point_to_display(x, y, h, w, orientation) for x in (x0, x1 - 1) for y in (y0, y1 - 1)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def box_display_to_sensor(box, sensor_hw: tuple[int, int], orientation: int) -> tuple[int, int, int, int]:
    """Map a box (x0, y0, x1, y1), end exclusive, from display to stored coordinates."""
    dh, dw = display_shape(sensor_hw, orientation)
    inverse = {6: 8, 8: 6}.get(orientation, orientation)
    return box_sensor_to_display(box, (dh, dw), inverse)


def _point_to_display(x: int, y: int, h: int, w: int, orientation: int) -> tuple[int, int]:
    """Display (x, y) of the stored pixel (x, y) in an h x w stored image."""
    o = _check(orientation)
    return {
        1: (x, y),
        2: (w - 1 - x, y),
        3: (w - 1 - x, h - 1 - y),
        4: (x, h - 1 - y),
        5: (y, x),
        6: (h - 1 - y, x),
        7: (h - 1 - y, w - 1 - x),
        8: (y, w - 1 - x),
    }[o]
