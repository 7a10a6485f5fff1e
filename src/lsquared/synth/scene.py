"""Synthetic scenes: a ColorChecker, grey ramps, fine detail and highlights, described spectrally.

A ``Scene`` is a small set of materials (spectral reflectances, or emitters for lamps) and,
per pixel, a mix of at most two of them with a radiance gain:

    radiance(x, y, lambda) = gain(x, y) * ((1 - mix) * L[a(x, y)] + mix * L[b(x, y)])
    L[m](lambda) = reflectance_m(lambda) * illuminant(lambda) + emission_m(lambda)

so edges, the grey ramp and the anti-aliased fine detail are exact area-weighted mixtures of
two spectra, which is what a photosite integrating light over its area records.  The layout is
in the picture's display orientation (what the developed image shows); the simulated camera
maps it onto the sensor according to the EXIF orientation.

Layout of ``chart_scene`` (landscape; portrait canvases stack the blocks vertically):

    +-------------------------------------------+
    | ColorChecker 24 in its black   | Siemens  |
    | frame, on an 18 % grey card    |  star    |
    |                                |----------|
    |                                | bars or  |
    |                                | sky+lamp |
    |-------------------------------------------|
    | step wedge: 12 patches, one stop apart    |
    | smooth ramp: reflectance 0 .. 1           |
    +-------------------------------------------+
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from ..errors import ParameterError
from . import spectra

# the chart's geometry in units of the patch side: gap between patches, frame border
_GAP, _BORDER = 0.18, 0.42
_CHART_W, _CHART_H = 6 + 5 * _GAP + 2 * _BORDER, 4 + 3 * _GAP + 2 * _BORDER
WEDGE_STOPS = 12
SUPERSAMPLE = 16         # sub-samples per pixel side where a detail edge crosses a pixel


@dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    """A surface: spectral reflectance (81,) and, for light sources, spectral emission (81,)
    in units where a perfect white diffuser under the scene illuminant radiates
    ``illuminant_spd`` (so an emission of 3 * illuminant is three times as bright as paper)."""

    name: str
    reflectance: np.ndarray
    emission: np.ndarray | None = None

    @property
    def is_emitter(self) -> bool:
        return self.emission is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Region:
    """A named rectangle of the scene, (x0, y0, x1, y1), display coordinates, end exclusive.

    kind: "patch" (a ColorChecker patch, ``material`` its index), "wedge" (a step of the
    wedge), "ramp", "detail" (Siemens star), "bars", "sky", "lamp", "chart" (whole chart)."""

    name: str
    kind: str
    box: tuple[int, int, int, int]
    material: int = -1
    neutral: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    illuminant: str | float
    illuminant_spd: np.ndarray
    materials: tuple[Material, ...]
    index_a: np.ndarray          # uint8 (H, W)
    index_b: np.ndarray          # uint8 (H, W)
    mix: np.ndarray              # float32 (H, W): fraction of material b
    gain: np.ndarray | None      # float32 (H, W) radiance multiplier, None = 1 everywhere
    regions: tuple[Region, ...] = ()
    chart: str = "BabelColor Average"
    notes: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.index_a.shape

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(name)

    def radiance_table(self) -> np.ndarray:
        """(M, 81) spectral radiance of each material under the scene illuminant."""
        rows = []
        for m in self.materials:
            r = m.reflectance * self.illuminant_spd
            rows.append(r if m.emission is None else r + m.emission)
        return np.stack(rows)


class _Canvas:
    """Mutable builder for the per-pixel material maps (only used while building a scene)."""

    def __init__(self, width: int, height: int, background: int):
        self.a = np.full((height, width), background, np.uint8)
        self.b = np.zeros((height, width), np.uint8)
        self.mix = np.zeros((height, width), np.float32)
        self.gain: np.ndarray | None = None

    def fill(self, box, material: int) -> None:
        x0, y0, x1, y1 = box
        self.a[y0:y1, x0:x1] = material
        self.mix[y0:y1, x0:x1] = 0.0

    def blend(self, box, a: int, b: int, fraction: np.ndarray) -> None:
        x0, y0, x1, y1 = box
        self.a[y0:y1, x0:x1] = a
        self.b[y0:y1, x0:x1] = b
        self.mix[y0:y1, x0:x1] = np.broadcast_to(fraction, (y1 - y0, x1 - x0))

    def set_gain(self, box, g: np.ndarray) -> None:
        if self.gain is None:
            self.gain = np.ones(self.a.shape, np.float32)
        x0, y0, x1, y1 = box
        self.gain[y0:y1, x0:x1] = np.broadcast_to(g, (y1 - y0, x1 - x0))


@njit(cache=True)
def _star_inside(px, py, cx, cy, radius, spokes):
    dx, dy = px - cx, py - cy
    if dx * dx + dy * dy > radius * radius:
        return False
    if spokes == 0:
        return True
    sector = int(np.floor((np.arctan2(dy, dx) + np.pi) * (spokes / np.pi)))
    return sector % 2 == 0


@njit(parallel=True, cache=True)
def _star_coverage(h, w, cx, cy, radius, spokes, ss):
    """Area fraction of each pixel inside a disc (``spokes`` = 0) or inside the white sectors
    of a Siemens star.  A pixel whose four corners agree is uniform (a straight sector edge
    crossing a pixel always separates two corners); pixels near the centre, where sectors are
    narrower than a pixel, and on the rim are integrated on an ss x ss grid."""
    out = np.empty((h, w), np.float32)
    near_centre = max(2.0, spokes * 1.0)
    for y in prange(h):
        for x in range(w):
            first = _star_inside(float(x), float(y), cx, cy, radius, spokes)
            uniform = True
            for corner in range(1, 4):
                if _star_inside(x + float(corner & 1), y + float(corner >> 1), cx, cy, radius, spokes) != first:
                    uniform = False
            r = np.hypot(x + 0.5 - cx, y + 0.5 - cy)
            if r < near_centre or abs(r - radius) < 1.5:
                uniform = False
            if uniform:
                out[y, x] = 1.0 if first else 0.0
                continue
            n = 0
            for j in range(ss):
                for i in range(ss):
                    if _star_inside(x + (i + 0.5) / ss, y + (j + 0.5) / ss, cx, cy, radius, spokes):
                        n += 1
            out[y, x] = n / (ss * ss)
    return out


def _bar_coverage(n: int, period: float) -> np.ndarray:
    """Exact area fraction of each of n pixels covered by the white half of a square wave
    (white on [0, period/2) of every period), by integrating its indicator analytically."""
    def white_below(t):        # measure of white in [0, t)
        k = np.floor(t / period)
        return k * period / 2 + np.minimum(t - k * period, period / 2)
    edges = np.arange(n + 1, dtype=np.float64)
    return np.diff(white_below(edges)).astype(np.float32)


def _siemens_star(canvas: _Canvas, box, black: int, white: int, spokes: int = 36) -> None:
    """A Siemens star of ``spokes`` white spokes on a black square: every pixel is a
    black/white mixture weighted by the white area it covers."""
    x0, y0, x1, y1 = box
    cx, cy = (x1 - x0) / 2.0, (y1 - y0) / 2.0
    cov = _star_coverage(y1 - y0, x1 - x0, cx, cy, min(cx, cy) * 0.96, spokes, SUPERSAMPLE)
    canvas.blend(box, black, white, cov)


def _bars(canvas: _Canvas, box, black: int, white: int) -> list[Region]:
    """Groups of black and white bars, vertical over horizontal, with periods 2..8 px."""
    x0, y0, x1, y1 = box
    periods = (2.0, 2.5, 3.0, 4.0, 6.0, 8.0)
    w = (x1 - x0) // len(periods)
    h = (y1 - y0) // 2
    regions = []
    for i, p in enumerate(periods):
        for j, vertical in enumerate((True, False)):
            b = (x0 + i * w + 2, y0 + j * h + 2, x0 + (i + 1) * w - 2, y0 + (j + 1) * h - 2)
            if b[2] <= b[0] or b[3] <= b[1]:
                continue
            if vertical:
                cov = _bar_coverage(b[2] - b[0], p)[None, :]
            else:
                cov = _bar_coverage(b[3] - b[1], p)[:, None]
            canvas.blend(b, black, white, cov)
            regions.append(Region(name=f"bars {p:g}px {'v' if vertical else 'h'}", kind="bars", box=b))
    return regions


def _lamp(canvas: _Canvas, box, lamp: int, dark: int) -> Region:
    x0, y0, x1, y1 = box
    cx, cy = (x1 - x0) / 2.0, (y1 - y0) / 2.0
    cov = _star_coverage(y1 - y0, x1 - x0, cx, cy, min(cx, cy) * 0.6, 0, SUPERSAMPLE)
    canvas.blend(box, dark, lamp, cov)
    return Region(name="lamp", kind="lamp", box=box, material=lamp)


def _split(box, fraction: float, horizontal: bool, gap: int):
    x0, y0, x1, y1 = box
    if horizontal:
        xm = x0 + int(round((x1 - x0) * fraction))
        return (x0, y0, xm - gap // 2, y1), (xm + gap - gap // 2, y0, x1, y1)
    ym = y0 + int(round((y1 - y0) * fraction))
    return (x0, y0, x1, ym - gap // 2), (x0, ym + gap - gap // 2, x1, y1)


def chart_scene(width: int = 1200, height: int = 800, *, illuminant: str | float = "D65",
                chart: str = "BabelColor Average", highlights: bool = False,
                sky_gain: tuple[float, float] = (1.0, 64.0), lamp_kelvin: float = 2000.0,
                lamp_luminance: float = 3.0) -> Scene:
    """The test scene, ``width`` x ``height`` in display orientation (at least 240 x 160).

    illuminant: what lights the scene (see ``spectra.illuminant_spd``).  chart: the
    ColorChecker measurement used for the 24 patches.  highlights: replace the bar groups by a
    sky gradient whose radiance runs from ``sky_gain[0]`` to ``sky_gain[1]`` times the "blue
    sky" patch's (exponentially, left to right, so it crosses clipping smoothly) and a lamp: a
    disc emitting a ``lamp_kelvin`` Planckian spectrum, ``lamp_luminance`` times as bright (Y) as
    the perfect white diffuser, so it clips in the red channel (and green) but not in blue."""
    if width < 240 or height < 160:
        raise ParameterError(f"scene size {width}x{height} is too small; use at least 240x160")
    e_spd = spectra.illuminant_spd(illuminant)
    cc = spectra.colorchecker_reflectances(chart)
    materials = [Material(name=n, reflectance=cc[i]) for i, n in enumerate(spectra.COLORCHECKER_NAMES)]
    names = {}
    for name, r in (("grey card 18%", 0.18), ("chart frame", 0.03), ("black 0%", 0.0), ("white 100%", 1.0)):
        names[name] = len(materials)
        materials.append(Material(name=name, reflectance=spectra.flat_reflectance(r)))
    wedge0 = len(materials)
    for k in range(WEDGE_STOPS):
        materials.append(Material(name=f"wedge -{k} EV", reflectance=spectra.flat_reflectance(2.0 ** -k)))
    lamp_index = len(materials)
    lamp_spd = spectra.illuminant_spd(lamp_kelvin)
    ybar = spectra.cmfs()[:, 1]
    lamp_y = float(lamp_spd @ ybar) / float(e_spd @ ybar)     # relative to the white diffuser
    materials.append(Material(name=f"lamp {lamp_kelvin:g} K", reflectance=spectra.flat_reflectance(0.0),
                              emission=lamp_spd * (lamp_luminance / lamp_y)))

    grey, frame, black, white = (names[n] for n in ("grey card 18%", "chart frame", "black 0%", "white 100%"))
    canvas = _Canvas(width, height, grey)
    regions: list[Region] = []
    m = max(4, int(round(0.03 * min(width, height))))
    inner = (m, m, width - m, height - m)
    top, bottom = _split(inner, 0.78, horizontal=False, gap=m)
    landscape = width >= 1.15 * height
    chart_area, side = _split(top, 0.64 if landscape else 0.62, horizontal=landscape, gap=m)

    # ColorChecker: 6 x 4 square patches in a dark frame, centred in its area
    ax0, ay0, ax1, ay1 = chart_area
    p = int(min((ax1 - ax0) / _CHART_W, (ay1 - ay0) / _CHART_H))
    cw, ch = int(round(p * _CHART_W)), int(round(p * _CHART_H))
    cx0, cy0 = ax0 + (ax1 - ax0 - cw) // 2, ay0 + (ay1 - ay0 - ch) // 2
    canvas.fill((cx0, cy0, cx0 + cw, cy0 + ch), frame)
    regions.append(Region(name="chart", kind="chart", box=(cx0, cy0, cx0 + cw, cy0 + ch)))
    for i in range(24):
        row, col = divmod(i, 6)
        px = cx0 + int(round((_BORDER + col * (1 + _GAP)) * p))
        py = cy0 + int(round((_BORDER + row * (1 + _GAP)) * p))
        box = (px, py, px + p, py + p)
        canvas.fill(box, i)
        regions.append(Region(name=spectra.COLORCHECKER_NAMES[i], kind="patch", box=box, material=i, neutral=i >= 18))

    # detail block: Siemens star above, bars (or sky + lamp) below
    star_area, lower = _split(side, 0.55, horizontal=False, gap=m)
    sx0, sy0, sx1, sy1 = star_area
    s = min(sx1 - sx0, sy1 - sy0)
    star = (sx0 + (sx1 - sx0 - s) // 2, sy0 + (sy1 - sy0 - s) // 2)
    star = (star[0], star[1], star[0] + s, star[1] + s)
    _siemens_star(canvas, star, black, white)
    regions.append(Region(name="siemens star", kind="detail", box=star))
    if highlights:
        sky_box, lamp_box = _split(lower, 0.62, horizontal=True, gap=m)
        sky_material = spectra.COLORCHECKER_NAMES.index("blue sky")
        canvas.fill(sky_box, sky_material)
        x0, y0, x1, y1 = sky_box
        t = (np.arange(x1 - x0, dtype=np.float32) + 0.5) / (x1 - x0)
        canvas.set_gain(sky_box, (sky_gain[0] * (sky_gain[1] / sky_gain[0]) ** t)[None, :])
        regions.append(Region(name="sky", kind="sky", box=sky_box, material=sky_material))
        regions.append(_lamp(canvas, lamp_box, lamp_index, frame))
    else:
        regions += _bars(canvas, lower, black, white)

    # step wedge (one stop per step, 0 EV = perfect white) over a smooth 0..1 ramp
    wedge_area, ramp_area = _split(bottom, 0.5, horizontal=False, gap=max(2, m // 2))
    wx0, wy0, wx1, wy1 = wedge_area
    step = (wx1 - wx0) / WEDGE_STOPS
    for k in range(WEDGE_STOPS):
        box = (wx0 + int(round(k * step)), wy0, wx0 + int(round((k + 1) * step)), wy1)
        canvas.fill(box, wedge0 + k)
        regions.append(Region(name=f"wedge -{k} EV", kind="wedge", box=box, material=wedge0 + k, neutral=True))
    rx0, ry0, rx1, ry1 = ramp_area
    ramp = ((np.arange(rx1 - rx0, dtype=np.float32) + 0.5) / (rx1 - rx0))[None, :]
    canvas.blend(ramp_area, black, white, ramp)
    regions.append(Region(name="ramp", kind="ramp", box=ramp_area, neutral=True))

    return Scene(illuminant=illuminant, illuminant_spd=e_spd, materials=tuple(materials),
                 index_a=canvas.a, index_b=canvas.b, mix=canvas.mix, gain=canvas.gain,
                 regions=tuple(regions), chart=chart,
                 notes={"patch_px": p, "highlights": highlights, "sky_gain": sky_gain,
                        "lamp_kelvin": lamp_kelvin, "lamp_luminance": lamp_luminance})
