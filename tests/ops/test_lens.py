"""Lens corrections against lensfun's own model: distortion, TCA and vignetting undone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

lensfunpy = pytest.importorskip("lensfunpy")

from lsquared.errors import ParameterError
from lsquared.frame import Encoding, Exif, Frame, FrameMeta
from lsquared.ops.lens import (
    LensParams,
    correct_lens,
    find_camera,
    find_lens,
    lens,
    lens_label,
    parse_lens,
    prepare_lens,
    search_lenses,
)

CAMERA = ("Panasonic", "DC-S5")
LENS = "Lumix S 50/F1.8"          # PTLens distortion, poly3 TCA, pa vignetting in lensfun's database
BARREL = "Elmarit-TL 1:2.8/18"    # L-mount APS-C: strong barrel distortion (~13 px at 480 px wide)
LATERAL = "Sigma 16mm f/1.4 DC DN | Contemporary 017"  # the largest lateral colour among L-mount lenses in the database
W, H = 480, 320


def _lens(name=LENS):
    cam = find_camera(*CAMERA)
    return cam, find_lens(name, cam)


def _reverse_maps(lf, flags, focal, width=W, height=H):
    """lensfun's *reverse* transform: for each pixel of the picture the lens makes, where it
    comes from in the ideal (undistorted) scene."""
    mod = lensfunpy.Modifier(lf, lf.crop_factor, width, height)
    mod.initialize(focal, 4.0, 1000.0, scale=1.0, pixel_format=np.float32, flags=flags, reverse=True)
    return mod


def _dots(x, y, spacing=40.0, sigma=2.0):
    """Ideal scene: Gaussian dots on a square grid, evaluated at any (x, y)."""
    dx = (x - spacing / 2) - np.round((x - spacing / 2) / spacing) * spacing
    dy = (y - spacing / 2) - np.round((y - spacing / 2) / spacing) * spacing
    return np.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)).astype(np.float32)


def _centroids(img, spacing=40, margin=40):
    """Intensity centroid of every dot away from the borders: (ideal position, measured)."""
    out = []
    h, w = img.shape
    for cy in np.arange(spacing / 2, h, spacing):
        for cx in np.arange(spacing / 2, w, spacing):
            if not (margin < cx < w - margin and margin < cy < h - margin):
                continue
            y0, y1, x0, x1 = int(cy - 8), int(cy + 9), int(cx - 8), int(cx + 9)
            patch = img[y0:y1, x0:x1]
            yy, xx = np.mgrid[y0:y1, x0:x1]
            s = patch.sum()
            out.append(((cx, cy), ((patch * xx).sum() / s, (patch * yy).sum() / s)))
    return out


def test_grid_coordinates_match_lensfun_everywhere():
    cam, lf = _lens()
    corr = prepare_lens(lens_label(lf), cam.crop_factor, W, H, 50.0, 2.8, 1000.0, True, True, False, 1.0)
    mod = lensfunpy.Modifier(lf, cam.crop_factor, W, H)
    mod.initialize(50.0, 2.8, 1000.0, scale=1.0, pixel_format=np.float32,
                   flags=lensfunpy.ModifyFlags.DISTORTION | lensfunpy.ModifyFlags.TCA | lensfunpy.ModifyFlags.SCALE)
    full = mod.apply_subpixel_geometry_distortion()                     # (H, W, 3, 2)
    # the kernel's bilinear interpolation between grid nodes, evaluated in numpy
    gy, gx = np.mgrid[0:H, 0:W] / corr.step
    i0 = np.minimum(gy.astype(int), corr.grid.shape[0] - 2)
    j0 = np.minimum(gx.astype(int), corr.grid.shape[1] - 2)
    fy, fx = (gy - i0)[..., None, None], (gx - j0)[..., None, None]
    g = corr.grid
    interp = ((1 - fy) * ((1 - fx) * g[i0, j0] + fx * g[i0, j0 + 1]) + fy * ((1 - fx) * g[i0 + 1, j0] + fx * g[i0 + 1, j0 + 1]))
    # lensfun's own per-pixel map wobbles by a few hundredths of a pixel (float32 inside);
    # the interpolated grid follows it on average and never strays far
    err = np.abs(interp - full)
    assert err.mean() < 0.005 and err.max() < 0.08


def test_distortion_correction_restores_the_grid():
    _, lf = _lens(BARREL)
    mod = _reverse_maps(lf, lensfunpy.ModifyFlags.DISTORTION, 18.0)
    coords = mod.apply_geometry_distortion()                             # (H, W, 2) ideal x, y
    distorted = _dots(coords[..., 0], coords[..., 1])
    shift = [np.hypot(mx - ix, my - iy) for (ix, iy), (mx, my) in _centroids(distorted)]
    assert max(shift) > 3                                                # the lens really bends it
    corr = prepare_lens(lens_label(lf), lf.crop_factor, W, H, 18.0, 4.0, 1000.0, True, False, False, 1.0)
    fixed = correct_lens(np.repeat(distorted[..., None], 3, axis=2), corr)[..., 1]
    errors = [np.hypot(mx - ix, my - iy) for (ix, iy), (mx, my) in _centroids(fixed)]
    assert np.mean(errors) < 0.05 and max(errors) < 0.15                # sub-pixel


def test_tca_correction_aligns_the_channels():
    _, lf = _lens(LATERAL)
    w, h = 1500, 1000
    mod = _reverse_maps(lf, lensfunpy.ModifyFlags.TCA, 16.0, w, h)
    coords = mod.apply_subpixel_distortion()                             # (H, W, 3, 2)
    rgb = np.stack([_dots(coords[..., c, 0], coords[..., c, 1], spacing=80.0, sigma=1.5) for c in range(3)], axis=2)

    def misalignment(img):
        cents = [_centroids(img[..., c], spacing=80) for c in range(3)]
        return max(np.hypot(r[1][0] - g[1][0], r[1][1] - g[1][1])
                   for c in (0, 2) for r, g in zip(cents[c], cents[1]))

    before = misalignment(rgb)
    corr = prepare_lens(lens_label(lf), lf.crop_factor, w, h, 16.0, 4.0, 1000.0, False, True, False, 1.0)
    after = misalignment(correct_lens(rgb, corr))
    assert before > 0.15 and after < before / 5 and after < 0.03


@pytest.mark.parametrize("crop, aperture", [(1.0, 2.8), (1.0, 8.0), (1.5, 1.8)])
def test_vignetting_flattens_a_flat_field_like_lensfun(crop, aperture):
    _, lf = _lens()
    flat = np.full((H, W, 3), 0.5, np.float32)
    mod = lensfunpy.Modifier(lf, crop, W, H)
    mod.initialize(50.0, aperture, 1000.0, pixel_format=np.float32, flags=lensfunpy.ModifyFlags.VIGNETTING,
                   reverse=True)
    shaded = flat.copy()
    assert mod.apply_color_modification(shaded)                          # lensfun darkens the corners
    assert shaded[0, 0, 0] < 0.45
    corr = prepare_lens(lens_label(lf), crop, W, H, 50.0, aperture, 1000.0, False, False, True, 1.0)
    fixed = correct_lens(shaded, corr)
    assert np.abs(fixed - 0.5).max() < 0.5 * 0.002
    # and the gain is lensfun's own correction, pixel for pixel
    own = np.ones((H, W, 3), np.float32)
    mod2 = lensfunpy.Modifier(lf, crop, W, H)
    mod2.initialize(50.0, aperture, 1000.0, pixel_format=np.float32, flags=lensfunpy.ModifyFlags.VIGNETTING)
    mod2.apply_color_modification(own)
    assert np.abs(correct_lens(np.ones((H, W, 3), np.float32), corr) - own).max() < 1e-4


def _frame(**exif) -> Frame:
    rng = np.random.default_rng(1)
    data = rng.random((H, W, 3), dtype=np.float32)
    meta = FrameMeta(exif=Exif(make=CAMERA[0], model=CAMERA[1], **exif), encoding=Encoding.CAMERA_RGB)
    return Frame(data, meta)


def test_auto_picks_the_lens_from_exif_and_corrects():
    frame = _frame(lens_make="Panasonic", lens_model="LUMIX S 50/F1.8", focal_length=50.0, f_number=4.0)
    out, p = lens(frame, LensParams())
    assert p.lens == "Panasonic Lumix S 50/F1.8" and p.focal_length == 50.0 and p.aperture == 4.0
    assert not out.meta.warnings
    assert out.data.shape == frame.data.shape and not np.allclose(out.data, frame.data)
    assert np.array_equal(frame.data, _frame().data)                     # input untouched
    again, _ = lens(frame, p)                                            # resolved params replay
    assert np.array_equal(again.data, out.data)


def test_unknown_lens_develops_uncorrected_with_a_note():
    frame = _frame(lens_make="Nobody", lens_model="Imaginary 33mm f/0.7", focal_length=33.0, f_number=2.0)
    out, _ = lens(frame, LensParams())
    assert out.data is frame.data
    assert len(out.meta.warnings) == 1 and "Imaginary 33mm" in out.meta.warnings[0]
    none, _ = lens(_frame(), LensParams())                               # no lens metadata: nothing to say
    assert none.data is _frame().data or np.array_equal(none.data, _frame().data)
    assert not none.meta.warnings


def test_manual_lens_on_an_adapter():
    """An M-mount lens on an L-mount body: no EXIF lens, chosen by hand with focal and aperture."""
    frame = _frame()
    label = next(lens_label(x) for x in search_lenses("summicron-m") if x.calib_distortion or x.calib_vignetting)
    p = dataclasses.replace(parse_lens(label), aperture=2.8)
    out, resolved = lens(frame, p)
    assert resolved.mode == "manual" and resolved.lens == label and resolved.focal_length > 0
    assert not np.allclose(out.data, frame.data)
    with pytest.raises(ParameterError, match="lsquared lenses"):
        parse_lens("Imaginary 33mm f/0.7")


def test_search_covers_l_mount_makers_case_insensitive():
    names = [lens_label(x) for x in search_lenses("leica l")]
    makers = {n.split()[0].lower() for n in names}
    assert {"panasonic", "sigma", "leica"} <= makers
    assert search_lenses("LUMIX S") == search_lenses("lumix s")
    assert search_lenses("no such lens at all") == []


def test_mono_and_identity():
    cam, lf = _lens()
    corr = prepare_lens(lens_label(lf), cam.crop_factor, W, H, 50.0, 2.8, 1000.0, True, True, True, 1.0)
    mono = np.full((H, W), 0.25, np.float32)
    out = correct_lens(mono, corr)
    assert out.shape == (H, W) and out.dtype == np.float32
    assert out[H // 2, W // 2] == pytest.approx(0.25, rel=1e-3)
    assert out[0, 0] > 0.25                                              # corners brightened
