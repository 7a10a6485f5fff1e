"""Camera RGB -> CIE XYZ, following the DNG specification's colour model.

Adobe, "Digital Negative (DNG) Specification" 1.6.0.0 (2020), chapter 6, "Mapping Camera
Color Space to CIE XYZ Space":

- ColorMatrix{1,2} (CM) map XYZ to reference camera space under CalibrationIlluminant{1,2};
  CameraCalibration{1,2} (CC) map reference to this camera; AnalogBalance (AB) is diagonal.
- For a white of correlated colour temperature T, CM and CC (and ForwardMatrix FM) are
  interpolated linearly in 1/T between the two calibration illuminants and held constant
  outside them.
- XYZtoCamera = AB * CC * CM.  The white a camera neutral stands for is found by iterating
  xy -> T -> XYZtoCamera -> XYZ of the neutral -> xy, starting from D50.
- With ForwardMatrix: CameraToXYZ_D50 = FM * inv(diag(inv(AB*CC) * neutral)) * inv(AB*CC).
  Without: CameraToXYZ_D50 = Bradford(white -> D50) * inv(XYZtoCamera).

lsquared white-balances in camera space first (so demosaic and highlight handling see a
neutral image), so what the pipeline needs is ``whitebalanced_camera_to_xyz_d50``: the matrix
that takes white-balanced camera RGB (the neutral at (1, 1, 1)) to XYZ(D50) with that neutral
at Y = 1.  The chromatic adaptation to the scene's own white is what distinguishes this from
dcraw's single daylight matrix after white balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frame import CameraColor
from .adaptation import XYZ_to_xy, adaptation_matrix, xy_to_XYZ
from .spaces import D50_XY
from .temperature import LIGHT_SOURCE_KELVIN, temperature_to_xy, xy_to_temperature

_DEFAULT_KELVIN = 5000.0


def illuminant_kelvin(code: int | None) -> float:
    """Correlated colour temperature of an EXIF LightSource code (unknown codes: D50)."""
    if code is None:
        return _DEFAULT_KELVIN
    return LIGHT_SOURCE_KELVIN.get(int(code), _DEFAULT_KELVIN)


def interpolation_weight(kelvin: float, k1: float, k2: float) -> float:
    """Weight of matrix 1, linear in inverse temperature, clamped to [0, 1] (DNG 1.6 p. 84)."""
    if k1 == k2:
        return 1.0
    if k1 > k2:
        return 1.0 - interpolation_weight(kelvin, k2, k1)
    if kelvin <= k1:
        return 1.0
    if kelvin >= k2:
        return 0.0
    return (1.0 / kelvin - 1.0 / k2) / (1.0 / k1 - 1.0 / k2)


def _interpolated(pair, weight: float) -> np.ndarray | None:
    a, b = pair
    if a is None:
        return None
    if b is None:
        return np.asarray(a, dtype=np.float64)
    return weight * np.asarray(a, np.float64) + (1.0 - weight) * np.asarray(b, np.float64)


@dataclass(frozen=True)
class _Matrices:
    color_matrix: np.ndarray
    forward_matrix: np.ndarray | None
    ab_cc: np.ndarray            # AB * CC


def _matrices_at(color: CameraColor, kelvin: float) -> _Matrices:
    k1 = illuminant_kelvin(color.illuminant[0])
    k2 = illuminant_kelvin(color.illuminant[1]) if color.color_matrix[1] is not None else k1
    w = interpolation_weight(kelvin, k1, k2)
    cm = _interpolated(color.color_matrix, w)
    if cm is None:
        raise ValueError("camera has no colour matrix")
    fm = _interpolated(color.forward_matrix, w)
    cc = _interpolated(color.camera_calibration, w)
    cc = np.eye(3) if cc is None else cc
    ab = np.eye(3) if color.analog_balance is None else np.diag(np.asarray(color.analog_balance, float))
    return _Matrices(color_matrix=cm, forward_matrix=fm, ab_cc=ab @ cc)


def xyz_to_camera(color: CameraColor, kelvin: float) -> np.ndarray:
    """XYZtoCamera = AB * CC * CM at the given white temperature."""
    m = _matrices_at(color, kelvin)
    return m.ab_cc @ m.color_matrix


def neutral_to_xy(color: CameraColor, neutral, iterations: int = 30) -> tuple[float, float]:
    """The white chromaticity a camera-space neutral (e.g. AsShotNeutral) stands for."""
    neutral = np.asarray(neutral, dtype=np.float64)
    xy = np.array(D50_XY)
    for _ in range(iterations):
        kelvin, _tint = xy_to_temperature(xy)
        xyz = np.linalg.solve(xyz_to_camera(color, kelvin), neutral)
        new = XYZ_to_xy(xyz)
        if np.abs(new - xy).max() < 1e-7:
            xy = new
            break
        xy = 0.5 * (xy + new) if _ > 10 else new   # damp if it oscillates
    return float(xy[0]), float(xy[1])


def xy_to_neutral(color: CameraColor, xy) -> np.ndarray:
    """Camera-space neutral of a white chromaticity, normalized so green = 1."""
    kelvin, _ = xy_to_temperature(xy)
    neutral = xyz_to_camera(color, kelvin) @ xy_to_XYZ(xy)
    return neutral / neutral[1]


def temperature_to_neutral(color: CameraColor, kelvin: float, tint: float = 0.0) -> np.ndarray:
    return xy_to_neutral(color, temperature_to_xy(kelvin, tint))


def camera_to_xyz_d50(color: CameraColor, neutral, white_xy=None) -> np.ndarray:
    """CameraToXYZ_D50 (DNG 1.6 ch. 6) for a given camera neutral."""
    neutral = np.asarray(neutral, dtype=np.float64)
    if white_xy is None:
        white_xy = neutral_to_xy(color, neutral)
    kelvin, _ = xy_to_temperature(white_xy)
    m = _matrices_at(color, kelvin)
    if m.forward_matrix is not None:
        inv_abcc = np.linalg.inv(m.ab_cc)
        reference_neutral = inv_abcc @ neutral
        d = np.diag(1.0 / reference_neutral)
        return m.forward_matrix @ d @ inv_abcc
    camera_to_xyz = np.linalg.inv(m.ab_cc @ m.color_matrix)
    return adaptation_matrix(white_xy, D50_XY, "bradford") @ camera_to_xyz


def whitebalanced_camera_to_xyz_d50(color: CameraColor, neutral, white_xy=None) -> np.ndarray:
    """Matrix from white-balanced camera RGB (neutral -> (1,1,1)) to XYZ(D50), white at Y = 1.

    White-balanced RGB is camera RGB divided by the neutral, so the matrix is
    CameraToXYZ_D50 * diag(neutral), scaled so that (1, 1, 1) lands on Y = 1."""
    neutral = np.asarray(neutral, dtype=np.float64)
    m = camera_to_xyz_d50(color, neutral, white_xy) @ np.diag(neutral)
    return m / (m[1] @ np.ones(3))
