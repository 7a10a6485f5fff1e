from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from lsquared.orientation import orient, oriented_shape


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_matches_pillow_exif_transpose(orientation):
    """Pillow's exif_transpose is the reference for the eight EXIF orientations."""
    pixels = (np.arange(5 * 7 * 3).reshape(5, 7, 3) % 251).astype(np.uint8)
    image = Image.fromarray(pixels)
    image.getexif()[0x0112] = orientation
    expected = np.asarray(ImageOps.exif_transpose(image))
    got = orient(pixels, orientation)
    assert np.array_equal(got, expected)
    assert got.shape[:2] == oriented_shape(5, 7, orientation)
