"""Spectral data for the simulated camera, all on one wavelength grid, all bundled with colour-science.

Grid: 380-780 nm in 5 nm steps (81 samples), the grid of the NPL camera measurements.
Every spectrum is resampled onto it once with colour-science's own interpolation (Sprague
for the 5/10 nm tabulations) and constant extrapolation, then cached; after that the
simulation is plain matrix products (``reflectance * illuminant @ sensitivities``).

Data sources (all shipped inside the colour-science package, nothing is downloaded):
- CIE 1931 2 degree colour matching functions (CIE 015:2018);
- CIE illuminants D50/D55/D65/D75, A, FL1-FL12, LED-*; Planck's law for any kelvin
  (``colour.sd_blackbody``); CIE daylight of any CCT (``colour.sd_CIE_illuminant_D_series``);
- camera spectral sensitivities: "Nikon 5100 (NPL)" and "Sigma SDMerill (NPL)"
  (Darrodi et al. 2015, National Physical Laboratory), "Canon EOS 5D Mark II" (AMPAS
  rawtoaces), each channel peak-normalized by its publisher;
- reflectances: ColorChecker 24 ("BabelColor Average" (Pascale 2006), "ColorChecker N Ohta",
  "ISO 17321-1"), the 190 rawtoaces training patches (Dyer et al. 2017), the CIE 13.3 test
  colour samples and the NIST CQS samples (Davis & Ohno 2010).
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import colour

from ..errors import ParameterError

WAVELENGTHS = np.arange(380.0, 781.0, 5.0)
STEP_NM = 5.0
SHAPE = colour.SpectralShape(380, 780, 5)
CMFS_NAME = "CIE 1931 2 Degree Standard Observer"

CAMERA_SENSITIVITIES = ("Nikon 5100 (NPL)", "Sigma SDMerill (NPL)", "Canon EOS 5D Mark II", "parametric")
DEFAULT_SENSITIVITIES = "Nikon 5100 (NPL)"
COLORCHECKERS = ("BabelColor Average", "ColorChecker N Ohta", "ISO 17321-1")
COLORCHECKER_NAMES = (
    "dark skin", "light skin", "blue sky", "foliage", "blue flower", "bluish green",
    "orange", "purplish blue", "moderate red", "purple", "yellow green", "orange yellow",
    "blue", "green", "red", "yellow", "magenta", "cyan",
    "white 9.5", "neutral 8", "neutral 6.5", "neutral 5", "neutral 3.5", "black 2",
)


def _aligned(sd) -> np.ndarray:
    """Values of a colour SpectralDistribution / MultiSpectralDistributions on the grid."""
    sd = sd.copy()
    sd.interpolator = colour.SpragueInterpolator if len(sd.domain) >= 6 else colour.LinearInterpolator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sd = sd.align(SHAPE, extrapolator_kwargs={"method": "Constant", "left": None, "right": None})
    return np.asarray(sd.values, dtype=np.float64)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@lru_cache(maxsize=1)
def cmfs() -> np.ndarray:
    """CIE 1931 2 degree colour matching functions, (81, 3) x-bar, y-bar, z-bar."""
    return _readonly(_aligned(colour.MSDS_CMFS[CMFS_NAME]))


@lru_cache(maxsize=64)
def illuminant_spd(name: str | float) -> np.ndarray:
    """Relative spectral power of an illuminant on the grid, (81,), normalized to 1 at 560 nm.

    ``name``: a CIE illuminant of colour-science ("D65", "D50", "D55", "A", "FL2" or "F2",
    "LED-B3", ...), "D<kelvin>" style daylight of any CCT ("D5000" is CIE daylight at 5000 K),
    or a number (a Planckian radiator at that many kelvin)."""
    if isinstance(name, (int, float, np.floating, np.integer)) or str(name).replace(".", "", 1).isdigit():
        kelvin = float(name)
        if not 1000.0 <= kelvin <= 25000.0:
            raise ParameterError(f"blackbody temperature {kelvin} K is out of range 1000..25000")
        values = _aligned(colour.sd_blackbody(kelvin, colour.SpectralShape(360, 830, 1)))
    else:
        key = str(name).strip()
        table = colour.SDS_ILLUMINANTS
        if key.upper().startswith("F") and key[1:].isdigit():
            key = "FL" + key[1:]
        if key in table:
            values = _aligned(table[key])
        elif key[:1].upper() == "D" and key[1:].isdigit() and 4000 <= int(key[1:]) <= 25000:
            xy = colour.temperature.CCT_to_xy_CIE_D(int(key[1:]) * 1.4388 / 1.4380)
            values = _aligned(colour.sd_CIE_illuminant_D_series(xy))
        else:
            known = ", ".join(k for k in table if not k.startswith("ISO"))
            raise ParameterError(f"unknown illuminant {name!r}; use a kelvin number or one of {known}")
    values = np.clip(values, 0.0, None)        # tabulations carry -1e-18 rounding residue
    return _readonly(values / np.interp(560.0, WAVELENGTHS, values))


def parametric_sensitivities(centres=(600.0, 540.0, 460.0), widths=(34.0, 40.0, 30.0)) -> np.ndarray:
    """Gaussian camera sensitivities (81, 3): a smooth stand-in for a real sensor.

    Each channel is exp(-(lambda - centre)^2 / (2 width^2)), peak 1; the red channel gets the
    small secondary blue lobe real red filters have (at 440 nm, 6 %), which is what lets a
    camera see violet as reddish-blue."""
    lam = WAVELENGTHS[:, None]
    s = np.exp(-0.5 * ((lam - np.asarray(centres)) / np.asarray(widths)) ** 2)
    s[:, 0] += 0.06 * np.exp(-0.5 * ((WAVELENGTHS - 440.0) / 20.0) ** 2)
    return s


@lru_cache(maxsize=8)
def camera_sensitivities(name: str = DEFAULT_SENSITIVITIES) -> np.ndarray:
    """Spectral sensitivities of a camera, (81, 3) for R, G, B, each peak-normalized to 1."""
    if name == "parametric":
        s = parametric_sensitivities()
    elif name in colour.characterisation.MSDS_CAMERA_SENSITIVITIES:
        msds = colour.characterisation.MSDS_CAMERA_SENSITIVITIES[name].copy()
        # outside the measured range the filters are taken as opaque (not extrapolated)
        values = _aligned(msds)
        domain = msds.domain
        values[(WAVELENGTHS < domain[0]) | (WAVELENGTHS > domain[-1])] = 0.0
        s = values
    elif name == "Canon EOS 5D Mark II":
        path = os.path.join(os.path.dirname(colour.characterisation.__file__), "datasets", "rawtoaces",
                            "CANON_EOS_5DMark_II_RGB_Sensitivities.csv")
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        s = np.stack([np.interp(WAVELENGTHS, table[:, 0], table[:, c], left=0, right=0) for c in (1, 2, 3)], axis=1)
    else:
        raise ParameterError(f"unknown camera sensitivities {name!r}; choose one of {', '.join(CAMERA_SENSITIVITIES)}")
    s = np.clip(s, 0.0, None)
    return _readonly(s / s.max(axis=0, keepdims=True))


@lru_cache(maxsize=4)
def colorchecker_reflectances(name: str = "BabelColor Average") -> np.ndarray:
    """The 24 ColorChecker patches' spectral reflectance, (24, 81), in chart reading order
    (dark skin ... black), from colour-science's SDS_COLOURCHECKERS."""
    if name not in COLORCHECKERS:
        raise ParameterError(f"unknown ColorChecker data {name!r}; choose one of {', '.join(COLORCHECKERS)}")
    sds = list(colour.SDS_COLOURCHECKERS[name].values())
    return _readonly(np.stack([_aligned(sd) for sd in sds]))


@lru_cache(maxsize=1)
def training_reflectances() -> np.ndarray:
    """A broad set of real reflectance spectra, (N, 81), for profiling the camera.

    The 190 rawtoaces training patches, the CIE 13.3 test colour samples (TCS01-15), the NIST
    CQS samples (VS1-15) and the three ColorChecker measurements: about 290 spectra spanning
    skin, foliage, saturated paints and neutrals, as a camera maker's training set would."""
    sets = [np.asarray(_aligned(colour.characterisation.read_training_data_rawtoaces_v1())).T]
    for group in (colour.quality.datasets.SDS_TCS["CIE 1995"], colour.quality.datasets.SDS_VS["NIST CQS 9.0"]):
        sets.append(np.stack([_aligned(sd) for sd in group.values()]))
    sets += [colorchecker_reflectances(n) for n in COLORCHECKERS]
    r = np.clip(np.concatenate(sets), 0.0, None)
    return _readonly(r)


def flat_reflectance(value: float) -> np.ndarray:
    """A spectrally flat (neutral) reflectance, (81,)."""
    return np.full(WAVELENGTHS.shape, float(value))


def spectrum_to_XYZ(spectra: np.ndarray, illuminant: np.ndarray) -> np.ndarray:
    """CIE XYZ of reflectances under an illuminant, perfect diffuser at Y = 1 (CIE 015:2018 eq. 7.1).

    X = sum R(l) S(l) xbar(l) / sum S(l) ybar(l), on the 5 nm grid.  ``spectra``: (..., 81)."""
    cmf = cmfs()
    k = 1.0 / float(illuminant @ cmf[:, 1])
    return (np.asarray(spectra) * illuminant) @ cmf * k
