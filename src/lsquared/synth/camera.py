"""The simulated camera: spectral integration, a Bayer CFA, optics blur, sensor noise, profiling.

Signal (per photosite, channel c of the CFA at that site):

    s_c = k * sum_lambda radiance(lambda) * sensitivity_c(lambda) * 5 nm        (0 = black, 1 = clip)

with ``k`` the exposure: the perfect white diffuser's brightest channel lands ``headroom_ev``
stops below clipping.  Because the camera's sensitivities are real measured curves (not a
linear transform of the CIE observer), metamerism is real and no 3x3 matrix is exact.

Sensor (EMVA 1288 linear model): at ISO ``iso`` the white level corresponds to
``full_well * base_iso / iso`` electrons; a photosite collects Poisson(s * that) electrons, the
read-out adds Gaussian read noise (``read_noise`` electrons rms), the ADC adds the black level
and rounds, and the result clips to [0, white_level].  In normalized units the variance is

    var(s) = s / n_white + (read_noise / n_white)^2 + 1 / (12 (white - black)^2)

which is the DNG NoiseProfile model var = S * s + O (DNG 1.6 tag 51041).

Profile (what a maker does in the lab): for Standard light A and D65, fit the 3x3 matrix
taking camera RGB to XYZ over ~290 real reflectance spectra by least squares, constrained so the
illuminant's white maps exactly (greys stay grey); ColorMatrix = its inverse (XYZ -> camera),
scaled as the DNG SDK does so that XYZ(D50) maps to a camera value whose maximum is 1.
ForwardMatrix = Bradford(white -> D50) * fit * diag(camera white), so (1, 1, 1) -> XYZ(D50).
The fit minimizes error in XYZ (where the developed colours are judged) rather than in
camera space; both residuals are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange

from ..color.adaptation import adaptation_matrix
from ..color.spaces import D50_XY
from ..errors import ParameterError
from ..frame import CFA_PATTERNS, cfa_channel_map
from . import spectra
from .geometry import display_to_sensor
from .scene import Scene
from .truth import material_xyz_table

ILLUMINANT_A, ILLUMINANT_D65 = 17, 21       # EXIF LightSource codes


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedCamera:
    """A camera body: spectral sensitivities, CFA, ADC and sensor noise, lens blur."""

    sensitivities: str = spectra.DEFAULT_SENSITIVITIES   # see spectra.CAMERA_SENSITIVITIES
    cfa: str | None = "RGGB"          # 2x2 phase on the sensor, top-left first; None = monochrome
    bits: int = 14
    black_level: int = 512            # counts, all four CFA positions
    white_level: int | None = None    # counts; default 2**bits - 1
    base_iso: float = 100.0
    full_well: float = 30000.0        # electrons at the white level at base ISO
    read_noise: float = 3.0           # electrons rms, input-referred
    psf_sigma: float = 0.0            # optics blur: Gaussian sigma in pixels, 0 = none

    def __post_init__(self):
        if self.cfa is not None and self.cfa.upper() not in CFA_PATTERNS:
            raise ParameterError(f"unknown Bayer pattern {self.cfa!r}; choose one of {', '.join(CFA_PATTERNS)}")
        if not 8 <= self.bits <= 16:
            raise ParameterError(f"bits must be 8..16, got {self.bits}")
        if not 0 <= self.black_level < self.white:
            raise ParameterError("black level must be below the white level")

    @property
    def white(self) -> int:
        return (1 << self.bits) - 1 if self.white_level is None else int(self.white_level)

    @property
    def spectral_sensitivities(self) -> np.ndarray:
        """(81, 3) R, G, B sensitivities; for a monochrome body (no CFA) all three columns are
        the panchromatic response, taken as the sum of the colour sensor's channels (the bare
        photodiode behind the same IR-cut filter), so every "channel" reads the same value."""
        s = spectra.camera_sensitivities(self.sensitivities)
        if self.cfa is None:
            pan = s.sum(axis=1)
            return np.repeat((pan / pan.max())[:, None], 3, axis=1)
        return s

    def electrons_at_white(self, iso: float) -> float:
        return self.full_well * self.base_iso / float(iso)

    def noise_profile(self, iso: float) -> tuple[float, float]:
        """(S, O) of the DNG NoiseProfile: variance = S * s + O for normalized signal s."""
        n = self.electrons_at_white(iso)
        span = self.white - self.black_level
        return 1.0 / n, (self.read_noise / n) ** 2 + 1.0 / (12.0 * span * span)


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraProfile:
    """DNG colour tags of a simulated camera, fitted like a maker's profile."""

    color_matrix1: np.ndarray          # XYZ -> camera under Standard light A
    color_matrix2: np.ndarray          # XYZ -> camera under D65
    forward_matrix1: np.ndarray        # white-balanced camera -> XYZ(D50), under A
    forward_matrix2: np.ndarray        # ... under D65
    calibration_illuminant1: int = ILLUMINANT_A
    calibration_illuminant2: int = ILLUMINANT_D65
    rms_xyz_error: tuple[float, float] = (0.0, 0.0)      # fit residual over the training set (Y_white = 1)
    training_size: int = 0


def raw_response(radiance: np.ndarray, sensitivities: np.ndarray) -> np.ndarray:
    """Camera RGB of spectral radiance (..., 81): the integral sum radiance * s_c * d-lambda."""
    return np.asarray(radiance) @ sensitivities * spectra.STEP_NM


def fit_camera_to_xyz(sensitivities: np.ndarray, illuminant: np.ndarray,
                      reflectances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """White-preserving least-squares 3x3 M with XYZ ~= M @ camera over the reflectances.

    Returns (M, camera white) where camera white is the perfect diffuser's camera RGB, so that
    M @ white = XYZ of the illuminant (Y = 1) exactly.  Each row of M solves the equality-
    constrained least squares problem min ||C m - x||^2 s.t. w . m = X_w through its KKT
    system (Lawson & Hanson, "Solving Least Squares Problems", ch. 20)."""
    cam = raw_response(reflectances * illuminant, sensitivities)
    cam_w = raw_response(illuminant, sensitivities)
    xyz = spectra.spectrum_to_XYZ(reflectances, illuminant)
    xyz_w = spectra.spectrum_to_XYZ(np.ones_like(illuminant), illuminant)
    scale = 1.0 / cam_w[1]
    cam, cam_w = cam * scale, cam_w * scale
    kkt = np.zeros((4, 4))
    kkt[:3, :3] = 2.0 * cam.T @ cam
    kkt[:3, 3] = kkt[3, :3] = cam_w
    m = np.empty((3, 3))
    for k in range(3):
        rhs = np.concatenate([2.0 * cam.T @ xyz[:, k], [xyz_w[k]]])
        m[k] = np.linalg.solve(kkt, rhs)[:3]
    return m, cam_w


def normalize_color_matrix(cm: np.ndarray) -> np.ndarray:
    """Scale XYZ -> camera so XYZ(D50) maps to a maximum of 1 (DNG SDK's convention)."""
    d50 = np.array([D50_XY[0] / D50_XY[1], 1.0, (1 - D50_XY[0] - D50_XY[1]) / D50_XY[1]])
    return cm / float((cm @ d50).max())


@lru_cache(maxsize=8)
def profile_camera(sensitivities: str = spectra.DEFAULT_SENSITIVITIES) -> CameraProfile:
    """ColorMatrix1/2 (A, D65) and ForwardMatrix1/2 of a camera with these sensitivities."""
    s = spectra.camera_sensitivities(sensitivities)
    training = spectra.training_reflectances()
    cms, fms, errors = [], [], []
    for name in ("A", "D65"):
        e = spectra.illuminant_spd(name)
        m, cam_w = fit_camera_to_xyz(s, e, training)
        cms.append(normalize_color_matrix(np.linalg.inv(m)))
        white = m @ cam_w
        fm = adaptation_matrix(white, D50_XY, "bradford") @ m @ np.diag(cam_w)
        fms.append(fm)
        cam = raw_response(training * e, s) / raw_response(e, s)[1]
        errors.append(float(np.sqrt(np.mean((cam @ m.T - spectra.spectrum_to_XYZ(training, e)) ** 2))))
    return CameraProfile(color_matrix1=cms[0], color_matrix2=cms[1], forward_matrix1=fms[0],
                         forward_matrix2=fms[1], rms_xyz_error=(errors[0], errors[1]),
                         training_size=len(training))


def white_response(scene: Scene, camera: SimulatedCamera) -> np.ndarray:
    """Camera RGB (unscaled) of the perfect white diffuser under the scene's illuminant."""
    return raw_response(scene.illuminant_spd, camera.spectral_sensitivities)


def as_shot_neutral(scene: Scene, camera: SimulatedCamera) -> np.ndarray:
    """AsShotNeutral: the camera's response to the scene illuminant's white, green = 1."""
    w = white_response(scene, camera)
    return w / w[1]


def material_table(scene: Scene, camera: SimulatedCamera, headroom_ev: float) -> np.ndarray:
    """(M, 3) normalized camera RGB of each material (1 = clipping) at this exposure."""
    k = 2.0 ** -headroom_ev / float(white_response(scene, camera).max())
    return raw_response(scene.radiance_table(), camera.spectral_sensitivities) * k


@njit(parallel=True, cache=True)
def _compose_mosaic(index_a, index_b, mix, gain, table, cmap, out):
    """out[y, x] = gain * ((1 - mix) T[a, c] + mix T[b, c]), c = cmap[y & 1, x & 1]: the one
    hot loop of the camera (a constant cmap gives a whole colour plane)."""
    h, w = index_a.shape
    for y in prange(h):
        for x in range(w):
            c = cmap[y & 1, x & 1]
            t = mix[y, x]
            out[y, x] = gain[y, x] * ((1.0 - t) * table[index_a[y, x], c] + t * table[index_b[y, x], c])


def gaussian_blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of a float32 (H, W) plane, borders mirrored (the lens PSF).
    A handful of taps (sigma ~ 0.5 px), so shifted multiply-adds in numpy are quick enough."""
    if sigma <= 0:
        return plane
    r = max(1, int(np.ceil(3.0 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k = (k / k.sum()).astype(np.float32)
    h, w = plane.shape
    padded = np.pad(plane, ((0, 0), (r, r)), mode="symmetric")
    rows = k[0] * padded[:, 0:w]
    for i in range(1, 2 * r + 1):
        rows += k[i] * padded[:, i:i + w]
    padded = np.pad(rows, ((r, r), (0, 0)), mode="symmetric")
    out = k[0] * padded[0:h]
    for i in range(1, 2 * r + 1):
        out += k[i] * padded[i:i + h]
    return out


def _maps(scene: Scene, orientation: int):
    gain = scene.gain if scene.gain is not None else np.ones(scene.shape, np.float32)
    return tuple(np.ascontiguousarray(display_to_sensor(m, orientation))
                 for m in (scene.index_a, scene.index_b, scene.mix, gain))


def compose(scene: Scene, table: np.ndarray, psf_sigma: float = 0.0) -> np.ndarray:
    """Per-pixel (H, W, 3) image of the scene for a per-material (M, 3) table, display
    orientation, optionally blurred by the lens PSF: gain * ((1 - mix) T[a] + mix T[b])."""
    a, b, mix, gain = _maps(scene, 1)
    table = np.ascontiguousarray(table, dtype=np.float32)
    out = np.empty(scene.shape + (3,), np.float32)
    plane = np.empty(scene.shape, np.float32)
    for c in range(3):
        _compose_mosaic(a, b, mix, gain, table, np.full((2, 2), c, np.int64), plane)
        out[..., c] = gaussian_blur(plane, psf_sigma)
    return out


def render_reference(scene: Scene, camera: SimulatedCamera, *, headroom_ev: float = 0.5,
                     space: str = "camera") -> np.ndarray:
    """Noise-free, unmosaiced, unclipped reference of the scene, float32 (H, W, 3), display
    orientation, optics blur applied.

    space="camera": linear camera RGB, 0 = black and 1 = the white level: what an ideal
    demosaic + denoise would recover from the mosaic (before clipping), the ground truth for
    the demosaic, denoise and highlight tests.  space="xyz": the truth XYZ (D65, perfect white
    Y = 1) of ``truth.material_xyz_table``, what a colorimetric development should show."""
    if space == "camera":
        table = material_table(scene, camera, headroom_ev)
    elif space == "xyz":
        table = material_xyz_table(scene)
    else:
        raise ParameterError(f"reference space must be 'camera' or 'xyz', got {space!r}")
    return compose(scene, table, camera.psf_sigma)


def render_signal(scene: Scene, camera: SimulatedCamera, *, headroom_ev: float = 0.5,
                  orientation: int = 1) -> np.ndarray:
    """Noise-free normalized mosaic on the sensor (stored orientation), float32 (H, W), unclipped."""
    a, b, mix, gain = _maps(scene, orientation)
    table = material_table(scene, camera, headroom_ev).astype(np.float32)
    cmap = cfa_channel_map(camera.cfa) if camera.cfa is not None else np.zeros((2, 2), np.int64)
    out = np.empty(a.shape, np.float32)
    if camera.psf_sigma <= 0:
        _compose_mosaic(a, b, mix, gain, table, cmap, out)
        return out
    plane = np.empty(a.shape, np.float32)
    for c in range(3):
        _compose_mosaic(a, b, mix, gain, table, np.full((2, 2), c, np.int64), plane)
        blurred = gaussian_blur(plane, camera.psf_sigma)
        sites = cmap == c
        for dy in range(2):
            for dx in range(2):
                if sites[dy, dx]:
                    out[dy::2, dx::2] = blurred[dy::2, dx::2]
    return out


def expose(signal: np.ndarray, camera: SimulatedCamera, *, iso: float = 100.0, seed: int | None = 0,
           noise: bool = True) -> np.ndarray:
    """Sensor read-out of a normalized signal: shot and read noise, black level, ADC, clipping.

    Returns uint16 counts.  ``noise=False`` gives the quantized noise-free read-out.  Rows are
    drawn in bands of 256, each from its own generator seeded by (seed, band), so the result
    depends only on ``seed`` and the shape (``seed=None`` draws a fresh one)."""
    if iso <= 0:
        raise ParameterError(f"ISO must be positive, got {iso}")
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**63 - 1))
    span = float(camera.white - camera.black_level)
    n_white = camera.electrons_at_white(iso)
    out = np.empty(signal.shape, np.uint16)
    band = 256
    for i, y0 in enumerate(range(0, signal.shape[0], band)):
        s = np.clip(signal[y0:y0 + band].astype(np.float64), 0.0, None)
        if noise:
            rng = np.random.default_rng([int(seed), i])
            electrons = rng.poisson(s * n_white).astype(np.float64)
            electrons += rng.normal(0.0, camera.read_noise, size=s.shape)
            s = electrons / n_white
        out[y0:y0 + band] = np.clip(np.rint(camera.black_level + s * span), 0, camera.white)
    return out
