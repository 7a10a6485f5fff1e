"""The simulated camera: spectral integration, noise model, profile, references, determinism."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rawpy

from lsquared.color.dng_model import neutral_to_xy
from lsquared.errors import ParameterError
from lsquared.frame import CameraColor, cfa_channel_map
from lsquared.synth import camera as C
from lsquared.synth import spectra as S
from lsquared.synth.demo import make_demo_raw
from lsquared.synth.geometry import display_to_sensor
from lsquared.synth.scene import chart_scene

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import colour
    from colour.characterisation import training_data_sds_to_RGB

HEADROOM = 0.5


@pytest.fixture(scope="module")
def scene():
    return chart_scene(480, 320)


def cfa_values(signal, box, cfa):
    """Values of each channel (R, G, B) over a sensor box."""
    x0, y0, x1, y1 = box
    cmap = cfa_channel_map(cfa)
    ys, xs = np.mgrid[y0:y1, x0:x1]
    ch = cmap[ys & 1, xs & 1]
    block = signal[y0:y1, x0:x1]
    return [block[ch == c] for c in range(3)]


def test_grey_patch_is_the_closed_form_integral(scene):
    """Patch value = 2^-headroom * (E R . s_c) / max_c(E . s_c), computed here by colour-science's
    own spectral integration (its ACES IDT training code), independent of lsquared.synth."""
    camera = C.SimulatedCamera(cfa="GRBG")
    signal = C.render_signal(scene, camera, headroom_ev=HEADROOM)
    sens = colour.characterisation.MSDS_CAMERA_SENSITIVITIES[S.DEFAULT_SENSITIVITIES]
    chart = colour.SDS_COLOURCHECKERS["BabelColor Average"]
    perfect_white = colour.SpectralDistribution(dict.fromkeys(range(380, 781, 10), 1.0), name="white")
    sds = [chart[n].copy().align(colour.SpectralShape(380, 780, 10)) for n in chart] + [perfect_white]
    training = colour.colorimetry.sds_and_msds_to_msds(sds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rgb_wb, multipliers = training_data_sds_to_RGB(training, sens, colour.SDS_ILLUMINANTS["D65"])
    raw = rgb_wb / multipliers                           # sum E R s_c, unbalanced
    white = raw[-1]
    scale = 2.0 ** -HEADROOM / white.max()
    for name in ("neutral 5", "neutral 8", "red", "blue"):
        region = scene.region(name)
        x0, y0, x1, y1 = region.box
        box = (x0 + 3, y0 + 3, x1 - 3, y1 - 3)
        expected = raw[spectra_index(name)] * scale
        for c, values in enumerate(cfa_values(signal, box, camera.cfa)):
            np.testing.assert_allclose(values, expected[c], rtol=2e-4, err_msg=f"{name} channel {c}")
    # a flat reflectance (the -1 EV wedge step) is exactly half the white
    x0, y0, x1, y1 = scene.region("wedge -1 EV").box
    for c, values in enumerate(cfa_values(signal, (x0 + 2, y0 + 2, x1 - 2, y1 - 2), camera.cfa)):
        np.testing.assert_allclose(values, 0.5 * white[c] * scale, rtol=2e-4)


def spectra_index(name: str) -> int:
    return S.COLORCHECKER_NAMES.index(name)


@pytest.mark.parametrize("iso", [100, 3200])
def test_noise_statistics_follow_the_model(iso):
    camera = C.SimulatedCamera(full_well=20000.0, read_noise=4.0)
    span = camera.white - camera.black_level
    slope, offset = camera.noise_profile(iso)
    levels = np.array([0.002, 0.02, 0.1, 0.4, 0.8])
    signal = np.repeat(levels, 200 * 200).reshape(len(levels) * 200, 200).astype(np.float32)
    counts = C.expose(signal, camera, iso=iso, seed=7)
    x = (counts.astype(np.float64) - camera.black_level) / span
    for i, s in enumerate(levels):
        block = x[i * 200:(i + 1) * 200]
        var_model = slope * s + offset
        n = block.size
        assert abs(block.mean() - s) < 4 * np.sqrt(var_model / n) + 0.5 / span, (iso, s)
        assert block.var() == pytest.approx(var_model, rel=0.04), (iso, s)
    # and shot noise dominates at high signal: the variance grows with the signal
    assert x[-200:].var() > 50 * x[:200].var() if iso == 100 else x[-200:].var() > 5 * x[:200].var()


def test_noise_free_readout_quantizes_and_clips():
    camera = C.SimulatedCamera(bits=12, black_level=256)
    counts = C.expose(np.array([[0.0, 0.5, 1.0, 3.0, -0.1]], np.float32), camera, noise=False)
    assert counts.tolist() == [[256, 256 + round(0.5 * (4095 - 256)), 4095, 4095, 256]]


def test_profile_residual_is_small_but_not_zero():
    """The fitted ColorMatrix maps the chart's XYZ to camera RGB with a small, nonzero error
    (metamerism: measured sensitivities are not a 3x3 transform of the CIE observer).
    Measured for Nikon 5100 (NPL): relative rms 0.017 under A, 0.022 under D65."""
    p = C.profile_camera()
    s = S.camera_sensitivities()
    chart = S.colorchecker_reflectances()
    for cm, name in ((p.color_matrix1, "A"), (p.color_matrix2, "D65")):
        e = S.illuminant_spd(name)
        cam = C.raw_response(chart * e, s)
        cam_w = C.raw_response(e, s)
        xyz_w = S.spectrum_to_XYZ(np.ones(81), e)
        k = cam_w[1] / (cm @ xyz_w)[1]
        np.testing.assert_allclose(k * cm @ xyz_w, cam_w, rtol=1e-9)     # white exact: greys stay grey
        pred = k * S.spectrum_to_XYZ(chart, e) @ cm.T
        rel = np.sqrt(np.mean((pred - cam) ** 2)) / np.sqrt(np.mean(cam ** 2))
        assert 0.003 < rel < 0.04, (name, rel)
    d50 = np.array([0.3457 / 0.3585, 1.0, (1 - 0.3457 - 0.3585) / 0.3585])
    assert (p.color_matrix2 @ d50).max() == pytest.approx(1.0)               # DNG SDK normalization
    for fm in (p.forward_matrix1, p.forward_matrix2):
        np.testing.assert_allclose(fm @ np.ones(3), d50, atol=1e-9)
    assert 0.001 < p.rms_xyz_error[1] < 0.02 and p.training_size > 250


@pytest.mark.parametrize("illuminant,xy", [("D65", (0.3127, 0.3290)), ("A", (0.4476, 0.4074)), ("D50", (0.3457, 0.3585))])
def test_as_shot_neutral_points_back_to_the_illuminant(illuminant, xy):
    """Through the DNG colour model, the AsShotNeutral of a scene lit by a CIE illuminant
    stands for that illuminant's white (the profile interpolates between A and D65)."""
    p = C.profile_camera()
    color = CameraColor(color_matrix=(p.color_matrix1, p.color_matrix2), illuminant=(17, 21), source="dng")
    neutral = C.as_shot_neutral(chart_scene(240, 160, illuminant=illuminant), C.SimulatedCamera())
    assert neutral[1] == 1.0
    np.testing.assert_allclose(neutral_to_xy(color, neutral), xy, atol=0.002)


@pytest.mark.parametrize("orientation,psf", [(1, 0.7), (6, 0.0), (8, 0.5)])
def test_mosaic_samples_the_reference(scene, orientation, psf):
    camera = C.SimulatedCamera(cfa="BGGR", psf_sigma=psf)
    reference = C.render_reference(scene, camera, headroom_ev=HEADROOM)
    signal = C.render_signal(scene, camera, headroom_ev=HEADROOM, orientation=orientation)
    on_sensor = display_to_sensor(reference, orientation)
    cmap = cfa_channel_map(camera.cfa)
    h, w = signal.shape
    ys, xs = np.mgrid[0:h, 0:w]
    sampled = np.take_along_axis(on_sensor, cmap[ys & 1, xs & 1][..., None], axis=2)[..., 0]
    np.testing.assert_allclose(signal, sampled, rtol=1e-5, atol=1e-6)
    if psf > 0:       # the blur spreads an edge: a white/black star pixel is no longer pure
        unblurred = C.render_reference(scene, C.SimulatedCamera(), headroom_ev=HEADROOM)
        assert np.abs(reference - unblurred).max() > 0.05


def test_capture_is_deterministic_with_a_seed(tmp_path, scene):
    camera = C.SimulatedCamera()
    signal = C.render_signal(scene, camera)
    a = C.expose(signal, camera, iso=1600, seed=3)
    assert np.array_equal(a, C.expose(signal, camera, iso=1600, seed=3))
    assert not np.array_equal(a, C.expose(signal, camera, iso=1600, seed=4))
    kw = dict(size=(320, 240), iso=800, seed=5)
    make_demo_raw(tmp_path / "a.dng", **kw)
    make_demo_raw(tmp_path / "b.dng", **kw)
    assert (tmp_path / "a.dng").read_bytes() == (tmp_path / "b.dng").read_bytes()


@pytest.mark.parametrize("cfa,orientation", [("RGGB", 1), ("GBRG", 6), ("GRBG", 3)])
def test_dng_holds_the_quantized_integral(tmp_path, cfa, orientation):
    """End to end: LibRaw reads back, at every photosite of a patch, round(black + v * span)."""
    info = make_demo_raw(tmp_path / "q.dng", size=(480, 320), cfa=cfa, orientation=orientation, noise=False,
                         psf_sigma=0.0)
    signal = C.render_signal(info.scene, info.camera, headroom_ev=info.headroom_ev, orientation=orientation)
    span = info.camera.white - info.camera.black_level
    expected = np.clip(np.rint(info.camera.black_level + signal * span), 0, info.camera.white)
    with rawpy.imread(str(tmp_path / "q.dng")) as raw:
        assert np.array_equal(raw.raw_image_visible, expected.astype(np.uint16))
        assert "".join(raw.color_desc.decode()[i] for i in raw.raw_pattern.ravel()) == cfa


def test_xyz_reference_is_the_d65_truth_of_each_material(scene):
    camera = C.SimulatedCamera()
    xyz = C.render_reference(scene, camera, space="xyz")
    x0, y0, x1, y1 = scene.region("orange").box
    np.testing.assert_allclose(xyz[y0 + 2:y1 - 2, x0 + 2:x1 - 2].reshape(-1, 3).mean(axis=0),
                               S.spectrum_to_XYZ(S.colorchecker_reflectances()[6], S.illuminant_spd("D65")), rtol=1e-5)
    x0, y0, x1, y1 = scene.region("ramp").box
    ramp_y = xyz[(y0 + y1) // 2, x0:x1, 1]
    assert np.all(np.diff(ramp_y) > 0) and ramp_y[-1] == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ParameterError):
        C.render_reference(scene, camera, space="lab")
