"""Chromatic adaptation: von Kries scaling in a cone-like space.

Bradford matrix: Lam (1985), as given by Lindbloom and in ICC.1:2010 Annex E;
CAT02 from CIECAM02 (CIE 159:2004).  M_adapt = M^-1 diag(LMS_dst / LMS_src) M.
"""

from __future__ import annotations

import numpy as np

BRADFORD = np.array([[0.8951, 0.2664, -0.1614],
                     [-0.7502, 1.7135, 0.0367],
                     [0.0389, -0.0685, 1.0296]])
CAT02 = np.array([[0.7328, 0.4296, -0.1624],
                  [-0.7036, 1.6975, 0.0061],
                  [0.0030, 0.0136, 0.9834]])
CATS = {"bradford": BRADFORD, "cat02": CAT02, "xyz-scaling": np.eye(3)}


def xy_to_XYZ(xy, Y: float = 1.0) -> np.ndarray:
    x, y = float(xy[0]), float(xy[1])
    return np.array([x * Y / y, Y, (1.0 - x - y) * Y / y])


def XYZ_to_xy(XYZ) -> np.ndarray:
    XYZ = np.asarray(XYZ, dtype=np.float64)
    s = XYZ.sum(axis=-1, keepdims=True)
    return XYZ[..., :2] / s


def adaptation_matrix(src_white, dst_white, method: str = "bradford") -> np.ndarray:
    """3x3 matrix taking XYZ seen under ``src_white`` to corresponding XYZ under ``dst_white``.

    Whites may be given as xy (2 values) or XYZ (3 values)."""
    m = CATS[method]
    ws = xy_to_XYZ(src_white) if len(src_white) == 2 else np.asarray(src_white, float)
    wd = xy_to_XYZ(dst_white) if len(dst_white) == 2 else np.asarray(dst_white, float)
    lms_s = m @ ws
    lms_d = m @ wd
    return np.linalg.inv(m) @ np.diag(lms_d / lms_s) @ m
