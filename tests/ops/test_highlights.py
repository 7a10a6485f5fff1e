"""Highlight reconstruction against the synthetic scene's unclipped truth (blown sky, 2000 K lamp)
and against hand-made mosaics whose clipped values are known."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.frame import Encoding, Frame, FrameMeta, cfa_channel_map
from lsquared.io.raw import open_raw
from lsquared.ops.demosaic import DemosaicParams, demosaic
from lsquared.ops.highlights import (
    HighlightParams,
    clip_levels,
    highlights,
    highlights_reconstruct,
)
from lsquared.ops.levels import levels
from lsquared.ops.white_balance import WhiteBalanceParams, white_balance
from lsquared.synth import make_demo_raw

INSET = 6        # pixels kept away from the sky/lamp box edges (the scene's own hard borders)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    info = make_demo_raw(tmp_path_factory.mktemp("hl") / "hl.dng", highlights=True)
    frame = open_raw(info.path)
    frame, _ = white_balance(levels(frame), WhiteBalanceParams())
    truth = info.reference_camera_rgb() * np.asarray(frame.meta.wb_multipliers, np.float32)
    rgb = {mode: demosaic(highlights(frame, HighlightParams(mode=mode)), DemosaicParams()).data
           for mode in ("clip", "reconstruct")}
    return info, frame, truth, rgb


def hue(rgb):
    """Hue angle (degrees) of white-balanced camera RGB in the opponent plane (neutral has none)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.degrees(np.arctan2(np.sqrt(3.0) * (g - b), 2.0 * r - g - b)) % 360.0


def saturation(rgb):
    return (rgb.max(-1) - rgb.min(-1)) / np.maximum(rgb.max(-1), 1e-6)


def hue_error(a, b):
    d = np.abs(hue(a) - hue(b)) % 360.0
    return np.minimum(d, 360.0 - d)


def regions(info, frame, truth, name):
    x0, y0, x1, y1 = info.boxes[name]
    box = (slice(y0 + INSET, y1 - INSET), slice(x0 + INSET, x1 - INSET))
    clipped = (truth[box] >= clip_levels(frame, 0.995)).sum(-1)
    return box, (clipped > 0) & (clipped < 3), clipped == 3


@pytest.mark.parametrize("name, bound", [("sky", 2.0), ("lamp", 15.0)])
def test_partly_clipped_colours_keep_their_hue(scene, name, bound):
    """Where some channels clipped, the mean hue error against the unclipped truth is small
    (sky 0.2°, lamp 10.4° measured) and far below clipping's (28° and 44°)."""
    info, frame, truth, rgb = scene
    box, partial, _ = regions(info, frame, truth, name)
    assert partial.sum() > 2000
    rebuilt = hue_error(rgb["reconstruct"][box], truth[box])[partial].mean()
    clipped = hue_error(rgb["clip"][box], truth[box])[partial].mean()
    assert rebuilt < bound
    assert clipped > 2 * rebuilt + 10


def test_never_magenta_and_blown_sky_goes_neutral(scene):
    info, frame, truth, rgb = scene
    for name in ("sky", "lamp"):
        box, partial, full = regions(info, frame, truth, name)
        out = rgb["reconstruct"][box]
        magenta = (hue_error(out, np.array([1.0, 0.0, 1.0])) < 30) & (saturation(out) > 0.05)
        assert magenta[partial | full].mean() < 0.001
    box, _, full = regions(info, frame, truth, "sky")
    assert full.sum() > 5000 and saturation(rgb["reconstruct"][box])[full].mean() < 0.06
    # rebuilt values reach past the clipping level: the white is brighter than clip's
    assert rgb["reconstruct"][box][full].mean() > 1.5 * rgb["clip"][box][full].mean()


def test_sky_transition_is_smooth(scene):
    """Across the sky (radiance rising exponentially, 64x over the box) the log-luminance
    gradient of the rebuilt picture never jumps: no step where channels start to clip."""
    info, _, truth, rgb = scene
    x0, y0, x1, y1 = info.boxes["sky"]

    def log_luminance(img):
        y = 0.25 * img[..., 0] + 0.5 * img[..., 1] + 0.25 * img[..., 2]
        return np.log(np.maximum(y[y0 + 20:y1 - 20, x0 + INSET:x1 - INSET], 1e-4)).mean(axis=0)

    slope = np.log(64.0) / (x1 - x0)
    grad = np.diff(log_luminance(rgb["reconstruct"]))
    assert np.allclose(np.diff(log_luminance(truth))[:40], slope, rtol=0.2)
    assert grad.max() < 1.5 * slope              # no upward step
    assert grad.min() > -slope                   # no dark band past the rim


def _mosaic(rgb, pattern):
    chmap = cfa_channel_map(pattern)
    out = np.empty(rgb.shape[:2], np.float32)
    for dy in range(2):
        for dx in range(2):
            out[dy::2, dx::2] = rgb[dy::2, dx::2, chmap[dy, dx]]
    return out


@pytest.mark.parametrize("pattern", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_one_clipped_channel_is_rebuilt_from_its_ratio(pattern):
    """A smooth orange ramp crossing red's clipping level: red is rebuilt from green and blue
    through the ratio seen where it had not clipped yet (every Bayer phase)."""
    h, w = 64, 160
    ramp = np.geomspace(0.3, 2.4, w, dtype=np.float32)[None, :].repeat(h, 0)
    truth = np.stack([ramp, 0.45 * ramp, 0.2 * ramp], axis=2)
    clip = np.array([1.0, 1.2, 1.1], np.float32)
    mosaic = np.minimum(_mosaic(truth, pattern), clip[cfa_channel_map(pattern)].repeat(h // 2, 0).repeat(w // 2, 1))
    before = mosaic.copy()
    out = highlights_reconstruct(mosaic, clip, pattern)
    assert np.array_equal(mosaic, before)                                # input untouched
    red = _mosaic(np.repeat(np.arange(3)[None, None, :], h, 0).repeat(w, 1).astype(np.float32), pattern) == 0
    blown = red & (_mosaic(truth, pattern) > clip[0] * 1.05)
    blown[:, -8:] = False
    assert blown.sum() > 500
    rel = np.abs(out[blown] / _mosaic(truth, pattern)[blown] - 1)
    assert np.median(rel) < 0.03 and rel.max() < 0.1
    assert np.all(out >= mosaic)                                         # never below what was recorded


def test_fully_clipped_is_neutral_white_above_every_clip_level():
    h, w = 80, 80
    rgb = np.full((h, w, 3), 3.0, np.float32)                            # all blown
    clip = np.array([2.0, 1.0, 1.4], np.float32)
    out = highlights_reconstruct(np.minimum(rgb, clip), clip, None)
    assert np.allclose(out, 2.0, atol=1e-4)                              # (max clip) x (1, 1, 1)


def test_nothing_clipped_is_returned_unchanged():
    rng = np.random.default_rng(3)
    mosaic = rng.uniform(0.0, 0.9, (40, 60)).astype(np.float32)
    assert np.array_equal(highlights_reconstruct(mosaic, (1.0, 1.0, 1.0), "RGGB"), mosaic)


def test_frame_op_modes_and_mono():
    mono = Frame(np.array([[0.5, 1.0], [1.0, 0.2]], np.float32), FrameMeta(cfa=None, encoding=Encoding.MONO))
    assert highlights(mono, HighlightParams()).data.max() == 1.0
    assert HighlightParams().mode == "reconstruct"
    with pytest.raises(Exception, match="highlight mode"):
        HighlightParams(mode="magenta")
