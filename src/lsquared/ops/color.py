"""Camera RGB -> scene-referred linear V-Gamut: the 3x3 matrix of a frame.

White-balanced camera RGB -> XYZ(D50) by the DNG colour model with Bradford adaptation from
the scene's white (color.dng_model), then XYZ(D50) -> V-Gamut (D65) with Bradford.  Frames with
no known camera matrix are treated as linear Rec.709 (with a warning in the metadata), and
monochrome sensors as neutral (R = G = B in V-Gamut, whose white is D65).

The matrix is applied inside the fused tail kernel (kernels.tail), together with exposure,
the V-Log encoding and the look, in one pass over memory.
"""

from __future__ import annotations


import numpy as np

from ..color import dng_model
from ..color.spaces import rgb_to_rgb_matrix, xyz_d50_to_rgb_matrix
from ..frame import FrameMeta, SensorLayout
from .params import ColorParams  # noqa: F401  (the schema lives in ops/params.py, numpy-free)

WORKING_SPACE = "vgamut"


def camera_to_working_matrix(meta: FrameMeta, neutral, params: ColorParams = ColorParams()) -> np.ndarray:
    """3x3 matrix: white-balanced camera RGB (neutral = (1,1,1)) -> linear V-Gamut, white Y = 1."""
    if meta.layout is SensorLayout.MONO:
        # the single channel becomes a neutral grey: V-Gamut's white is D65, so R = G = B = value;
        # the tail kernel broadcasts one channel to three, so the matrix is the identity
        return np.eye(3)
    if not meta.camera_color.has_matrix:
        return rgb_to_rgb_matrix("linear-srgb", WORKING_SPACE, params.adaptation)
    cam_to_xyz = dng_model.whitebalanced_camera_to_xyz_d50(meta.camera_color, neutral)
    return xyz_d50_to_rgb_matrix(WORKING_SPACE, params.adaptation) @ cam_to_xyz


def image_to_working_matrix(space: str, params: ColorParams = ColorParams()) -> np.ndarray:
    """Linear RGB of a rendered image's colour space -> linear V-Gamut."""
    from ..color.spaces import SPACES

    src = SPACES[space]
    return rgb_to_rgb_matrix(src, WORKING_SPACE, params.adaptation)
