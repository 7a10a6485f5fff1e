"""The demo raw: the chart scene, shot by the simulated camera, written as a real DNG.

``make_demo_raw`` is what ``lsquared demo`` develops, and what the pipeline's tests and
benchmarks use as ground truth: it returns, with the file, every patch's reference colour and
box in developed-picture pixels, the camera description and the noise-free references.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..color.spaces import SPACES
from ..color.transfer import encode
from ..frame import Exif
from ..io.dng import write_dng
from . import camera as cam
from .geometry import display_shape, display_to_sensor
from .scene import Scene, chart_scene
from .truth import PatchTruth, chart_truth, display_crop_box, material_xyz_table, region_box

DATETIME = "2024:06:21 12:00:00"      # fixed, so the same arguments give the same bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoInfo:
    """What was written and what the developed picture should show.

    Boxes are (x0, y0, x1, y1), end exclusive, in developed-picture pixels (after crop and
    orientation).  ``patches``: the 24 ColorChecker patches then the 12 wedge steps (see
    ``truth.PatchTruth`` for the colour convention)."""

    path: Path
    scene: Scene
    camera: cam.SimulatedCamera
    profile: cam.CameraProfile | None              # None for a monochrome body
    orientation: int
    crop: tuple[int, int, int, int] | None
    iso: float
    headroom_ev: float
    seed: int | None
    noise: bool
    as_shot_neutral: np.ndarray
    noise_profile: tuple[float, float]
    patches: tuple[PatchTruth, ...]
    boxes: dict = field(default_factory=dict)      # region name -> box ("siemens star", "ramp", "sky", "lamp", ...)
    exif: Exif = field(default_factory=Exif)
    make: str = "lsquared"
    model: str = ""

    @property
    def picture_shape(self) -> tuple[int, int]:
        """(height, width) of the developed picture."""
        x0, y0, x1, y1 = self._crop_box()
        return y1 - y0, x1 - x0

    def _crop_box(self):
        return display_crop_box(display_shape(self.scene.shape, self.orientation), self.orientation, self.crop)

    def _cropped(self, image: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self._crop_box()
        return image[y0:y1, x0:x1]

    def reference_camera_rgb(self) -> np.ndarray:
        """Noise-free demosaiced linear camera RGB, unclipped (1 = white level), picture geometry."""
        return self._cropped(cam.render_reference(self.scene, self.camera, headroom_ev=self.headroom_ev))

    def reference_xyz(self) -> np.ndarray:
        """Per-pixel truth XYZ (D65, perfect white Y = 1), picture geometry, lens blur applied."""
        return self._cropped(cam.render_reference(self.scene, self.camera, space="xyz"))

    def describe(self) -> str:
        p = self.profile
        text = (f"{self.make} {self.model}: {self.camera.cfa or 'monochrome'} {self.camera.bits}-bit, "
                f"black {self.camera.black_level}, white {self.camera.white}, ISO {self.iso:g}, "
                f"lit by {self.scene.illuminant}, orientation {self.orientation}")
        if p is not None:
            text += (f"; ColorMatrix fit rms XYZ error {p.rms_xyz_error[0]:.4f} (A), "
                     f"{p.rms_xyz_error[1]:.4f} (D65) over {p.training_size} spectra")
        return text


def _preview(scene: Scene, orientation: int, width: int = 256) -> np.ndarray:
    """A small sRGB thumbnail (stored orientation) of the truth image, point-sampled."""
    step = max(1, scene.shape[1] // width)
    small = dataclasses.replace(scene, index_a=scene.index_a[::step, ::step], index_b=scene.index_b[::step, ::step],
                                mix=scene.mix[::step, ::step],
                                gain=None if scene.gain is None else scene.gain[::step, ::step])
    rgb = np.clip(cam.compose(small, material_xyz_table(scene)) @ SPACES["srgb"].from_xyz.T.astype(np.float32), 0, 1)
    return display_to_sensor((encode(rgb, "srgb") * 255.0 + 0.5).astype(np.uint8), orientation)


def make_demo_raw(path: str | os.PathLike, *, illuminant: str | float = "D65", cfa: str | None = "RGGB",
                  orientation: int = 1, iso: float = 100.0, size: tuple[int, int] = (1200, 800),
                  seed: int | None = 0, sensitivities: str = cam.spectra.DEFAULT_SENSITIVITIES,
                  chart: str = "BabelColor Average", highlights: bool = False, noise: bool = True,
                  psf_sigma: float = 0.5, headroom_ev: float = 0.5, bits: int = 14, black_level: int = 512,
                  crop: tuple[int, int, int, int] | None = None, masked_border: int = 0,
                  forward_matrix: bool = False, baseline_exposure: float = 0.0,
                  compression: str = "ljpeg", preview: bool = True, overwrite: bool = True) -> DemoInfo:
    """Shoot the chart scene with the simulated camera and write it as a DNG at ``path``.

    cfa: the Bayer phase, or None for a monochrome body (written as one-sample LinearRaw, the
    way Leica Monochrom files are).  size: (width, height) of the sensor, as a camera's; orientations 5-8 make a portrait
    picture of (height, width).  illuminant: what lights the scene (name or kelvin).
    iso: sets the noise (shot noise from ``full_well * 100 / iso`` electrons at white, read noise).
    headroom_ev: the perfect white diffuser's brightest channel sits this many stops below
    clipping.  crop: DNG DefaultCrop (x, y, width, height) on the sensor, or None.
    masked_border: width of a frame of masked (optical black) photosites around the sensor,
    outside the DNG ActiveArea (rounded up to even); sensor boxes stay relative to the active area.
    forward_matrix: also write ForwardMatrix1/2.  highlights: add the blown sky and the lamp.
    baseline_exposure: the DNG BaselineExposure tag (stops a developer adds); the scene is not
    changed by it, so pair it with ``headroom_ev`` to shoot a raw that many stops under.
    """
    width, height = int(size[0]), int(size[1])
    disp_h, disp_w = display_shape((height, width), orientation)
    scene = chart_scene(disp_w, disp_h, illuminant=illuminant, chart=chart, highlights=highlights)
    camera = cam.SimulatedCamera(sensitivities=sensitivities, cfa=cfa, bits=bits, black_level=black_level,
                                 psf_sigma=psf_sigma)
    profile = cam.profile_camera(sensitivities) if cfa is not None else None
    signal = cam.render_signal(scene, camera, headroom_ev=headroom_ev, orientation=orientation)
    active_area = None
    if masked_border:
        # optical-black photosites around the picture (ActiveArea excludes them): black level
        # plus read noise only, what a noise estimator may measure
        b = 2 * ((int(masked_border) + 1) // 2)          # even, so the CFA phase is unchanged
        padded = np.zeros((height + 2 * b, width + 2 * b), np.float32)
        padded[b:b + height, b:b + width] = signal
        signal, active_area = padded, (b, b, b + height, b + width)
    mosaic = cam.expose(signal, camera, iso=iso, seed=seed, noise=noise)
    neutral = cam.as_shot_neutral(scene, camera)
    noise_profile = camera.noise_profile(iso)
    model = f"Simulated camera ({sensitivities})" if cfa is not None else f"Simulated monochrome camera ({sensitivities})"
    exif = Exif(make="lsquared", model=model, lens_make="lsquared", lens_model="Simulated 50mm f/2",
                exposure_time=1.0 / 125.0 * 100.0 / float(iso), f_number=5.6, iso=float(iso), focal_length=50.0,
                datetime_original=DATETIME, serial_number="LSQ0000001", software="lsquared synth")
    colour_tags = {} if profile is None else dict(
        color_matrix1=profile.color_matrix1, calibration_illuminant1=profile.calibration_illuminant1,
        color_matrix2=profile.color_matrix2, calibration_illuminant2=profile.calibration_illuminant2,
        forward_matrix1=profile.forward_matrix1 if forward_matrix else None,
        forward_matrix2=profile.forward_matrix2 if forward_matrix else None,
        as_shot_neutral=neutral)
    write_dng(path, mosaic, cfa=cfa, black_level=black_level, white_level=camera.white, bits=bits,
              noise_profile=noise_profile, make="lsquared", model=model, orientation=orientation, exif=exif,
              default_crop=crop, active_area=active_area, compression=compression,
              baseline_exposure=baseline_exposure,
              preview=_preview(scene, orientation) if preview else None, overwrite=overwrite, **colour_tags)
    patches = chart_truth(scene, orientation=orientation, crop=crop)
    boxes = {r.name: region_box(r, scene, orientation=orientation, crop=crop)
             for r in scene.regions if r.kind not in ("patch", "wedge")}
    return DemoInfo(path=Path(path), scene=scene, camera=camera, profile=profile, orientation=orientation,
                    crop=crop, iso=float(iso), headroom_ev=headroom_ev, seed=seed, noise=noise,
                    as_shot_neutral=neutral, noise_profile=noise_profile, patches=patches, boxes=boxes,
                    exif=exif, make="lsquared", model=model)
