"""Lens corrections from lensfun's database: distortion, lateral chromatic aberration (TCA)
and vignetting, on linear camera RGB after demosaic (vignetting is a loss of light, so it is
undone in linear light, where a gain is a gain).

Which lens: ``auto`` looks up the file's EXIF lens (LensMake/LensModel) for its camera
(Make/Model give the mount and the crop factor), at the EXIF focal length and f-number.  A
manual lens on an adapter (a Leica M lens on an L-mount body has no electronic contacts, so
the file names no lens) is chosen by hand: ``--lens "NAME"`` with ``--focal-length`` and
``--aperture``; ``lsquared lenses SEARCH`` lists the names.  A lens the database does not know
develops uncorrected, with a note.

Models (lensfun's, through lensfunpy; Zabolotny et al., https://lensfun.github.io/manual/):
distortion ("poly3", "poly5", "ptlens") and TCA ("linear", "poly3") are evaluated by lensfun
itself on a coarse grid of output pixels (``grid_step``: 2-16 pixels; between nodes the
coordinates are interpolated bilinearly, within ~0.005 px since the maps are smooth), then
the picture is resampled with Keys' cubic convolution.  Vignetting, lensfun's "pa" model
Cd = Cs (1 + k1 r² + k2 r⁴ + k3 r⁶) with r = 1 at the corner of the lens's calibration
format, is evaluated per pixel here (tests check it against lensfun's own correction).
Geometry is scaled automatically (lensfun's auto scale) so no empty corners appear.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import ParameterError
from ..frame import Frame
from .params import LensParams  # the schema, numpy-free (ops/params.py)



def grid_step(width: int, height: int) -> int:
    """Grid spacing: the maps' curvature per pixel falls with the picture's size, so a node every
    1/400 of the long side keeps the interpolation error near 0.005 px (16 px at 24 MP)."""
    return int(min(max(max(width, height) // 400, 2), 16))


def parse_lens(text: str) -> LensParams:
    """``--lens`` value: auto, off, or a lens name from ``lsquared lenses``."""
    t = text.strip()
    if t.lower() in ("auto", "off"):
        return LensParams(mode=t.lower())
    lens = find_lens(t)
    if lens is None:
        raise ParameterError(f"no lens named '{text}' in lensfun's database; list them with: lsquared lenses SEARCH")
    return LensParams(mode="manual", lens=lens_label(lens))


@lru_cache(maxsize=1)
def lens_database():
    import lensfunpy

    return lensfunpy.Database()


def lens_label(lens) -> str:
    return f"{lens.maker} {lens.model}".strip()


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "", (text or "").lower())


def find_camera(make: str | None, model: str | None):
    """lensfun's camera for EXIF Make/Model, or None."""
    if not make or not model:
        return None
    cams = lens_database().find_cameras(make, model)
    return cams[0] if cams else None


def find_lens(name: str | None, camera=None, maker: str | None = None):
    """The lensfun lens for a name (EXIF LensModel, or "Maker Model" as ``lenses`` lists it):
    lensfun's own fuzzy search for the camera's mount first, then an exact or a unique
    partial match of the name (letters and digits only, case ignored) over every lens, so
    adapted lenses of other mounts are found too."""
    if not name:
        return None
    db = lens_database()
    if camera is not None:
        found = db.find_lenses(camera, maker or None, name)
        if found:
            return found[0]
    key = _norm(name)
    exact = [lens for lens in db.lenses if key in (_norm(lens.model), _norm(lens_label(lens)))]
    if exact:
        return exact[0]
    partial = [lens for lens in db.lenses if key and key in _norm(lens_label(lens))]
    if len({lens_label(lens) for lens in partial}) == 1:
        return partial[0]
    return None


def search_lenses(text: str | None = None) -> list:
    """Every lens whose "maker model" (or a mount) contains ``text``, case-insensitive, sorted."""
    t = (text or "").lower()
    lenses = [lens for lens in lens_database().lenses
              if t in lens_label(lens).lower() or any(t in m.lower() for m in lens.mounts)]
    return sorted(lenses, key=lambda lens: (lens.maker.lower(), lens.model.lower()))


@dataclass(frozen=True, slots=True)
class LensCorrection:
    """Everything the per-pixel pass needs: the coordinate grid (None: no geometry) and the
    vignetting terms (None: none)."""

    grid: np.ndarray | None          # (GH, GW, 3, 2) source (x, y) per channel every ``step`` px
    step: int
    vignetting: np.ndarray | None    # (k1, k2, k3, cx, cy, 1 / R²)


@lru_cache(maxsize=16)
def prepare_lens(label: str, crop: float, width: int, height: int, focal: float, aperture: float | None,
                 distance: float, distortion: bool, tca: bool, vignetting: bool, scale: float) -> LensCorrection:
    """The correction for one lens at one setting on one image size (cached: video and batch
    frames reuse it)."""
    import lensfunpy

    lens = find_lens(label)
    step = grid_step(width, height)
    grid = None
    flags = (lensfunpy.ModifyFlags.DISTORTION if distortion else 0) | (lensfunpy.ModifyFlags.TCA if tca else 0)
    if flags and (lens.calib_distortion or lens.calib_tca):
        mod = lensfunpy.Modifier(lens, crop, width, height)
        mod.initialize(focal, aperture or lens.min_aperture or 8.0, distance, scale=scale,
                       pixel_format=np.float32, flags=flags | lensfunpy.ModifyFlags.SCALE)
        gh = -(-(height - 1) // step) + 1
        gw = -(-(width - 1) // step) + 1
        rows = [mod.apply_subpixel_geometry_distortion(0, g * step, (gw - 1) * step + 1, 1) for g in range(gh)]
        if rows[0] is not None:
            grid = np.ascontiguousarray(np.concatenate(rows, axis=0)[:, ::step], dtype=np.float32)
    vig = None
    if vignetting and aperture is not None and lens.calib_vignetting:
        calib = lens.interpolate_vignetting(focal, aperture, distance)
        if calib is not None and calib.model == lensfunpy.VignettingModel.PA and any(calib.terms):
            # r = 1 at the corner of the calibration format: pixels' half-diagonal scaled by
            # the ratio of the lens's calibration crop factor to the camera's
            half_diag2 = ((width - 1) / 2.0) ** 2 + ((height - 1) / 2.0) ** 2
            ratio = (lens.crop_factor or crop) / crop
            cx = (width - 1) / 2.0 + lens.center_x * np.sqrt(half_diag2)
            cy = (height - 1) / 2.0 + lens.center_y * np.sqrt(half_diag2)
            k1, k2, k3 = (float(t) for t in list(calib.terms)[:3])
            vig = np.array([k1, k2, k3, cx, cy, ratio * ratio / half_diag2], dtype=np.float64)
    return LensCorrection(grid=grid, step=step, vignetting=vig)


def correct_lens(image: np.ndarray, correction: LensCorrection) -> np.ndarray:
    """Apply a prepared correction to linear (H, W, 3) or (H, W) data; a new float32 array."""
    from ..kernels.lens_remap import apply_vignetting, remap_bicubic      # numba, on use

    data = np.ascontiguousarray(image, dtype=np.float32)
    mono = data.ndim == 2
    src = data[..., None] if mono else data
    vig = correction.vignetting
    use_vig = vig is not None
    vig = vig if use_vig else np.zeros(6)
    if correction.grid is not None:
        grid = correction.grid[:, :, 1:2] if mono else correction.grid
        out = remap_bicubic(src, np.ascontiguousarray(grid), float(correction.step), vig, use_vig)
    elif use_vig:
        out = apply_vignetting(src, vig)
    else:
        out = src.copy()
    return out[..., 0] if mono else out


def resolve_lens(frame: Frame, params: LensParams) -> tuple[LensParams, str | None]:
    """Fill in the lens, focal length and aperture; returns (params, note).  The note says why
    nothing will be corrected (None when there is nothing to say)."""
    if params.mode == "off":
        return params, None
    exif = frame.meta.exif
    if params.mode == "auto" and params.lens is None:
        if not exif.lens_model:
            return params, None
        camera = find_camera(exif.make, exif.model)
        lens = find_lens(exif.lens_model, camera, exif.lens_make)
        if lens is None:
            name = exif.lens_model
            if exif.lens_make and exif.lens_make.lower() not in name.lower():
                name = f"{exif.lens_make} {name}"
            return params, (f"lens '{name}' is not in lensfun's database: no lens correction "
                            "(choose one by hand with --lens, see: lsquared lenses)")
        params = dataclasses.replace(params, lens=lens_label(lens))
    lens = find_lens(params.lens)
    if lens is None:
        return params, f"lens '{params.lens}' is not in lensfun's database: no lens correction"
    focal = params.focal_length or exif.focal_length
    if focal is None and lens.min_focal and lens.min_focal == lens.max_focal:
        focal = lens.min_focal
    if focal is None:
        return params, (f"{params.lens}: the focal length is unknown (a zoom without EXIF): no lens "
                        "correction; give it with --focal-length")
    aperture = params.aperture or exif.f_number
    return dataclasses.replace(params, focal_length=float(focal),
                               aperture=float(aperture) if aperture else None), None


def lens(frame: Frame, params: LensParams) -> tuple[Frame, LensParams]:
    """The lens step of a develop (camera RGB or mono, linear): the new frame and the resolved
    params.  Without a usable profile the frame passes unchanged, with a note."""
    params, note = resolve_lens(frame, params)
    meta = frame.meta
    if note:
        return frame.replace(meta=meta.warn(note)), params
    if params.mode == "off" or params.lens is None:
        return frame, params
    camera = find_camera(meta.exif.make, meta.exif.model)
    lensobj = find_lens(params.lens)
    crop = float(camera.crop_factor) if camera is not None and camera.crop_factor else float(lensobj.crop_factor or 1.0)
    h, w = frame.data.shape[:2]
    corr = prepare_lens(params.lens, crop, w, h, params.focal_length, params.aperture, params.distance,
                        params.distortion, params.tca, params.vignetting, params.scale)
    if corr.grid is None and corr.vignetting is None:
        return frame.replace(meta=meta.warn(f"{params.lens}: lensfun has no correction for this setting")), params
    if params.vignetting and params.aperture is None and lensobj.calib_vignetting:
        meta = meta.warn(f"{params.lens}: the aperture is unknown: vignetting not corrected (give --aperture)")
    return Frame(correct_lens(frame.data, corr), meta), params
