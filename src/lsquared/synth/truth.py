"""Ground truth for the synthetic scenes: what the developed picture should show, and where.

Convention (the one every colour-accuracy test uses):

- The reference colour of a chart patch is the CIE XYZ of its reflectance under CIE D65,
  2 degree observer, normalized so the perfect white diffuser under D65 has Y = 1, and its
  CIELAB with that white (D65) as reference white.  This holds whatever lit the scene: under
  tungsten the photographer still wants the chart to look as it does in daylight, so a
  tungsten-lit scene has the same truth as a daylight one.
- ``xyz_adapted`` is the chart as the scene illuminant shows it, carried to D65 by the Bradford
  transform: what a perfect camera followed by a perfect von Kries white balance would give.
  Its distance from ``xyz`` is the chart's own colour inconstancy, a floor no raw developer
  goes below (measured: mean CIEDE2000 2.03 under Standard light A, 1.65 at 3200 K, 0.56
  under D50, for "BabelColor Average").
- The developed picture is sRGB (D65).  A test decodes its pixels to linear sRGB, then to XYZ
  (D65), averages each patch's box, scales all patches so the grey patch "neutral 5" has its
  true Y (the exposure of a raw development is a choice, not a colour), converts to Lab (D65)
  and compares with CIEDE2000: ``evaluate_chart`` does exactly that.
- Boxes are (x0, y0, x1, y1), end exclusive, in developed-picture pixels: after the DNG
  default crop and after the EXIF orientation, shrunk by ``margin`` of the patch side on every
  side so that demosaic and blur at the patch edges stay outside.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..color.adaptation import adaptation_matrix
from ..color.spaces import D65_XY, SPACES
from ..color.transfer import decode
from . import spectra
from .geometry import box_display_to_sensor, box_sensor_to_display, display_shape
from .scene import Region, Scene

D65_WHITE_XYZ = np.array([D65_XY[0] / D65_XY[1], 1.0, (1 - D65_XY[0] - D65_XY[1]) / D65_XY[1]])


def xyz_to_lab(xyz: np.ndarray, white: np.ndarray | None = None) -> np.ndarray:
    """CIE 1976 L*a*b* (CIE 015:2018 eq. 8.1-8.3) of XYZ with Y_white = 1 (default D65 xy)."""
    w = spectra.spectrum_to_XYZ(np.ones(81), spectra.illuminant_spd("D65")) if white is None else white
    t = np.asarray(xyz, dtype=np.float64) / w
    d = 6.0 / 29.0
    f = np.where(t > d ** 3, np.cbrt(t), t / (3 * d * d) + 4.0 / 29.0)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (CIE 142:2001), through colour-science's implementation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour
    return np.asarray(colour.delta_E(lab1, lab2, method="CIE 2000"))


@dataclass(frozen=True, slots=True, kw_only=True)
class PatchTruth:
    name: str
    kind: str                               # "patch" (ColorChecker) or "wedge" (step wedge)
    box: tuple[int, int, int, int]          # developed-picture pixels, margin applied
    sensor_box: tuple[int, int, int, int]   # the same area on the sensor (stored raw data)
    xyz: np.ndarray                         # reference XYZ, D65, perfect white Y = 1
    lab: np.ndarray                         # reference CIELAB, D65 white
    xyz_adapted: np.ndarray                 # scene-lit colour, Bradford-adapted to D65
    neutral: bool


def _shrink(box, margin: float):
    x0, y0, x1, y1 = box
    mx = int(np.ceil((x1 - x0) * margin))
    my = int(np.ceil((y1 - y0) * margin))
    return x0 + mx, y0 + my, x1 - mx, y1 - my


def display_crop_box(sensor_hw, orientation: int, crop) -> tuple[int, int, int, int]:
    """The DNG default crop (x, y, w, h on the sensor) as a display-coordinate box."""
    h, w = sensor_hw
    if crop is None:
        dh, dw = display_shape(sensor_hw, orientation)
        return 0, 0, dw, dh
    x, y, cw, ch = crop
    return box_sensor_to_display((x, y, x + cw, y + ch), (h, w), orientation)


def chart_truth(scene: Scene, *, orientation: int = 1, crop=None, margin: float = 0.2) -> tuple[PatchTruth, ...]:
    """Reference colours and boxes of the 24 ColorChecker patches and the step wedge.

    scene: as composed (display orientation, before cropping); orientation: the EXIF code the
    raw file carries; crop: the DNG DefaultCrop (x, y, width, height) in sensor pixels or None.
    Boxes are clipped to the crop; a patch the crop removes entirely is left out.
    """
    sensor_hw = display_shape(scene.shape, orientation)      # the scene is in display orientation
    cx0, cy0, cx1, cy1 = display_crop_box(sensor_hw, orientation, crop)
    d65 = spectra.illuminant_spd("D65")
    e = scene.illuminant_spd
    to_d65 = adaptation_matrix(spectra.spectrum_to_XYZ(np.ones(81), e), D65_WHITE_XYZ, "bradford")
    white = spectra.spectrum_to_XYZ(np.ones(81), d65)
    out = []
    for r in scene.regions:
        if r.kind not in ("patch", "wedge"):
            continue
        refl = scene.materials[r.material].reflectance
        xyz = spectra.spectrum_to_XYZ(refl, d65)
        x0, y0, x1, y1 = _shrink(r.box, margin)
        x0, y0, x1, y1 = max(x0, cx0), max(y0, cy0), min(x1, cx1), min(y1, cy1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue                      # cropped away
        out.append(PatchTruth(
            name=r.name, kind=r.kind, box=(x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0),
            sensor_box=box_display_to_sensor((x0, y0, x1, y1), sensor_hw, orientation),
            xyz=xyz, lab=xyz_to_lab(xyz, white), neutral=r.neutral,
            xyz_adapted=to_d65 @ spectra.spectrum_to_XYZ(refl, e)))
    return tuple(out)


def region_box(region: Region, scene: Scene, *, orientation: int = 1, crop=None) -> tuple[int, int, int, int]:
    """A scene region's box in developed-picture pixels (after crop; orientation-independent
    since the scene is composed upright)."""
    sensor_hw = display_shape(scene.shape, orientation)
    cx0, cy0, _, _ = display_crop_box(sensor_hw, orientation, crop)
    x0, y0, x1, y1 = region.box
    return x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartScore:
    names: tuple[str, ...]
    delta_e: np.ndarray          # CIEDE2000 per ColorChecker patch
    lab: np.ndarray              # measured Lab per patch (after exposure normalization)
    truth_lab: np.ndarray        # reference Lab per patch
    exposure_scale: float        # factor applied to the measured XYZ

    @property
    def mean(self) -> float:
        return float(self.delta_e.mean())

    @property
    def max(self) -> float:
        return float(self.delta_e.max())

    def _neutral(self) -> list[int]:
        return [i for i, n in enumerate(self.names) if n in spectra.COLORCHECKER_NAMES[18:]]

    def neutral_ab(self) -> np.ndarray:
        """(n, 2) measured a*, b* of the neutral patches (white 9.5 ... black 2)."""
        return self.lab[self._neutral(), 1:]

    def neutral_ab_error(self) -> np.ndarray:
        """(n, 2) measured minus true a*, b* of the neutral patches: "as grey as the true chart"
        (the real chart's neutrals are not exactly neutral, e.g. white 9.5 has b* = +2.6)."""
        i = self._neutral()
        return self.lab[i, 1:] - self.truth_lab[i, 1:]


def picture_to_xyz(picture: np.ndarray, space: str = "srgb", encoded: bool = True) -> np.ndarray:
    """Developed picture (uint8, uint16 or float in [0, 1]) -> XYZ relative to its white (D65)."""
    p = np.asarray(picture)
    if p.dtype == np.uint8:
        p = p.astype(np.float64) / 255.0
    elif p.dtype == np.uint16:
        p = p.astype(np.float64) / 65535.0
    else:
        p = p.astype(np.float64)
    sp = SPACES[space]
    lin = decode(p, sp.transfer) if encoded else p
    return lin @ sp.to_xyz.T


def evaluate_chart(picture: np.ndarray, patches: tuple[PatchTruth, ...], *, space: str = "srgb",
                   encoded: bool = True, grey: str = "neutral 5", adapted: bool = False) -> ChartScore:
    """CIEDE2000 of the developed ColorChecker against its truth, exposure set on ``grey``.

    picture: the developed (H, W, 3) picture in ``space`` (display-encoded unless
    ``encoded=False``); patches: from ``chart_truth`` / ``DemoInfo.patches``.  ``adapted=True``
    compares with the Bradford-adapted scene colours instead of the D65 chart."""
    chart = [p for p in patches if p.kind == "patch"]
    xyz = picture_to_xyz(picture, space, encoded)
    measured = np.array([xyz[p.box[1]:p.box[3], p.box[0]:p.box[2]].reshape(-1, 3).mean(axis=0) for p in chart])
    truth = np.array([p.xyz_adapted if adapted else p.xyz for p in chart])
    g = [p.name for p in chart].index(grey)
    scale = float(truth[g, 1] / measured[g, 1])
    lab, truth_lab = xyz_to_lab(measured * scale), xyz_to_lab(truth)
    return ChartScore(names=tuple(p.name for p in chart), delta_e=delta_e_2000(lab, truth_lab),
                      lab=lab, truth_lab=truth_lab, exposure_scale=scale)


def material_xyz_table(scene: Scene) -> np.ndarray:
    """(M, 3) reference XYZ (D65, white Y = 1) of each material: reflectors under D65;
    emitters as radiated, relative to the scene's white and Bradford-adapted to D65."""
    d65 = spectra.illuminant_spd("D65")
    e = scene.illuminant_spd
    ybar_e = float(e @ spectra.cmfs()[:, 1])
    to_d65 = adaptation_matrix(spectra.spectrum_to_XYZ(np.ones(81), e), D65_WHITE_XYZ, "bradford")
    rows = []
    for m in scene.materials:
        xyz = spectra.spectrum_to_XYZ(m.reflectance, d65)
        if m.emission is not None:
            xyz = xyz + to_d65 @ (m.emission @ spectra.cmfs() / ybar_e)
        rows.append(xyz)
    return np.array(rows)
