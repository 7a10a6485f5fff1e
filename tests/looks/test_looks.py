"""Built-in looks and LUT files against references: ffmpeg's lut3d, round trips, monochrome,
distinctness, neutral colorimetry, V-Log identity, inheritance and user looks."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import numpy as np
import pytest

from lsquared.color import transfer
from lsquared.color.spaces import SPACES, rgb_to_rgb_matrix
from lsquared.errors import LutFormatError, ParameterError
from lsquared.io.lutfile import read_cube
from lsquared.looks import LOOKS, apply_spatial, compile_look, resolve_look, sample_look
from lsquared.looks.export import export_look, import_lut
from lsquared.looks.preview import analytic_scene
from lsquared.looks.steps import Grain

FFMPEG = shutil.which("ffmpeg")


@pytest.fixture(autouse=True)
def _isolated_dirs(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def scene():
    return analytic_scene(120, 240)


def _u8(img):
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _test_image_u8(seed=0):
    """The analytic scene (smooth ramps and patches) beside random codes (every kind of cell)."""
    rng = np.random.default_rng(seed)
    return np.concatenate([_u8(analytic_scene(128, 256)),
                           rng.integers(0, 256, (128, 256, 3), dtype=np.uint8)])


# --- ffmpeg ------------------------------------------------------------------------------

def _ffmpeg_lut3d(tmp_path, image: np.ndarray, cube, pix_fmt: str) -> np.ndarray:
    import imagecodecs

    src = tmp_path / f"in-{pix_fmt}.png"
    dst = tmp_path / f"out-{pix_fmt}.png"
    src.write_bytes(imagecodecs.png_encode(image))
    subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(src), "-vf",
                    f"lut3d=file={cube}:interp=tetrahedral", "-pix_fmt", pix_fmt, str(dst)],
                   check=True, timeout=60)
    return imagecodecs.png_decode(dst.read_bytes())


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("name", ["standard", "classic", "neutral"])
def test_exported_cube_applied_by_ffmpeg_matches_lsquared(tmp_path, name):
    """Debian's ffmpeg applies our .cube (tetrahedral) as lsquared does: within 1 code value
    in 8 bits on >= 99.9 % of pixels, for rgb24 and rgb48 input."""
    look = resolve_look(name)
    cube = tmp_path / f"{name}.cube"
    export_look(look, cube, "cube")
    lut = compile_look(look)
    img8 = _test_image_u8()
    ours8 = lut.apply(img8)
    theirs8 = _ffmpeg_lut3d(tmp_path, img8, cube, "rgb24")
    diff = np.abs(ours8.astype(int) - theirs8.astype(int)).max(axis=2)
    assert np.mean(diff <= 1) >= 0.999, np.mean(diff <= 1)
    img16 = img8.astype(np.uint16) * 257 + np.random.default_rng(1).integers(0, 257, img8.shape).astype(np.uint16)
    ours16 = lut.apply(img16, bits=16)
    theirs16 = _ffmpeg_lut3d(tmp_path, img16, cube, "rgb48le")
    assert theirs16.dtype == np.uint16
    diff16 = np.abs(ours16.astype(float) - theirs16.astype(float)).max(axis=2) / 257.0
    assert np.mean(diff16 <= 1) >= 0.999, np.mean(diff16 <= 1)


# --- round trips -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["standard", "neutral", "monochrome-deep"])
def test_cube_round_trip_reproduces_the_look(tmp_path, name):
    look = resolve_look(name)
    path = tmp_path / f"{name}.cube"
    export_look(look, path, "cube", size=33)
    back = resolve_look(path)                                 # a path is a look
    assert back.lut is not None and back.size == 33
    img = _test_image_u8()
    a = compile_look(look, size=33).apply(img).astype(int)
    b = compile_look(back).apply(img).astype(int)
    assert np.abs(a - b).max() <= 1


@pytest.mark.parametrize("name", ["vivid", "selenium"])
def test_vlt_round_trip_reproduces_the_look(tmp_path, name):
    """Exported at the .vlt's own 17 nodes (12 bit), imported, applied: within 1 code value
    of the look's own 17-point LUT on 99.9 % of pixels (the node grids differ by 1/4095)."""
    look = resolve_look(name)
    path = tmp_path / f"{name}.vlt"
    export_look(look, path, "vlt")
    back = resolve_look(path)
    img = _test_image_u8()
    a = compile_look(look, size=17).apply(img).astype(int)
    b = compile_look(back, size=17).apply(img).astype(int)
    d = np.abs(a - b).max(axis=2)
    assert np.mean(d <= 1) >= 0.999 and d.max() <= 2


def test_import_command_makes_a_user_look(tmp_path):
    path = tmp_path / "x.cube"
    export_look(resolve_look("landscape"), path, "cube")
    toml = import_lut(path, "my-landscape", description="test import")
    assert toml.parent == tmp_path / "config" / "lsquared" / "looks"
    look = resolve_look("my-landscape")
    assert look.description == "test import" and look.lut.input_space == "vlog"
    img = _test_image_u8()
    assert np.abs(compile_look(look).apply(img).astype(int)
                  - compile_look("landscape").apply(img).astype(int)).max() <= 1
    with pytest.raises(ParameterError, match="built-in"):
        import_lut(path, "standard")
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 2\n0 0 0\n")
    with pytest.raises(LutFormatError):
        import_lut(bad, "bad")
    assert not (tmp_path / "config" / "lsquared" / "looks" / "bad.toml").exists()


def test_import_wraps_a_rec709_input_lut(tmp_path):
    """A LUT made for Rec.709 video input still takes V-Log: an identity 709->709 LUT
    imported with --input-space rec709 renders mid grey as the BT.709 OETF of scene grey
    through BT.1886, i.e. (OETF(0.18))^2.4 in display light, re-encoded in sRGB."""
    n = 17
    axis = np.linspace(0, 1, n)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    from lsquared.io.lutfile import write_cube
    write_cube(tmp_path / "id709.cube", np.stack([r, g, b], -1))
    import_lut(tmp_path / "id709.cube", "id709", input_space="rec709", output_space="rec709")
    look = resolve_look("id709")
    grey = sample_look(look, np.full((1, 3), transfer.vlog_encode(0.18)))[0]
    expect = transfer.srgb_encode(float(transfer.rec709_encode(0.18)) ** 2.4)
    assert grey == pytest.approx([float(expect)] * 3, abs=2e-3)


def test_1d_cube_becomes_a_look(tmp_path):
    p = tmp_path / "curve.cube"
    p.write_text("LUT_1D_SIZE 3\n0 0 0\n0.25 0.25 0.25\n1 1 1\n")
    look = resolve_look(p)
    assert look.size == 65
    v = np.array([[0.5, 0.5, 0.5], [0.25, 0.75, 1.0]])
    got = compile_look(look).apply(v[None].astype(np.float32))[0]
    expect = np.interp(v, [0, 0.5, 1], [0, 0.25, 1])
    assert np.abs(got - expect).max() < 1e-6


# --- properties of the built-in looks ---------------------------------------------------

def test_all_builtins_load_and_compile():
    assert len(LOOKS.names()) == 16
    for name in LOOKS:
        look = resolve_look(name)
        lut = compile_look(look, size=9)
        assert np.isfinite(lut.table).all()
        assert look.description


@pytest.mark.parametrize("name", ["monochrome", "monochrome-deep", "monochrome-soft"])
def test_monochrome_looks_are_exactly_neutral(name, scene):
    lut = compile_look(name)
    assert lut.monochrome
    t = lut.table
    assert np.array_equal(t[..., 0], t[..., 1]) and np.array_equal(t[..., 0], t[..., 2])
    for img in (scene, _u8(scene), (np.clip(scene, 0, 1) * 1023).astype(np.uint16)):
        out = lut.apply(img, bits=10) if img.dtype == np.uint16 else lut.apply(img)
        assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 0], out[..., 2])
    # even colour grain asked of a monochrome look stays grey
    look = dataclasses.replace(resolve_look(name), grain=Grain(amount=0.05, chroma=1.0))
    grainy = apply_spatial(lut.apply(scene), look, seed=3)
    assert np.array_equal(grainy[..., 0], grainy[..., 1]) and np.array_equal(grainy[..., 1], grainy[..., 2])


def test_selenium_is_toned_but_grey_stays_nearly_grey(scene):
    lut = compile_look("selenium")
    assert not lut.monochrome
    out = lut.apply(scene)
    spread = out.max(axis=2) - out.min(axis=2)
    assert spread.max() > 0.02                      # visibly toned somewhere
    white = lut.apply(np.full((1, 1, 3), transfer.vlog_encode(8.0), np.float32))[0, 0]
    assert np.ptp(white) < 0.01                     # white paper stays white


def _lab_srgb(img):
    import colour
    return colour.XYZ_to_Lab(transfer.srgb_decode(np.clip(img, 0, 1)) @ SPACES["srgb"].to_xyz.T,
                             colour.xy_to_xyY(SPACES["srgb"].white))


def test_every_look_is_distinct(scene):
    """Mean CIEDE2000 over the test scene: > 1.5 from standard for every other look, and
    > 1.0 between any two looks."""
    import colour

    names = LOOKS.names()
    labs = {n: _lab_srgb(compile_look(n).apply(scene)) for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            de = colour.delta_E(labs[a], labs[b], method="CIE 2000").mean()
            assert de > (1.5 if "standard" in (a, b) else 1.0), (a, b, de)


def test_neutral_keeps_the_colorchecker():
    """ColorChecker reflectances (colour-science's data, D50 -> D65 by Bradford) as scene light
    through neutral's LUT: mean CIEDE2000 <= 0.5 against the chart's own Lab."""
    import colour

    cc = colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]
    xyz = colour.xyY_to_XYZ(np.array(list(cc.data.values())))
    xyz = colour.chromatic_adaptation(xyz, colour.xy_to_XYZ(cc.illuminant),
                                      colour.xy_to_XYZ(SPACES["srgb"].white), method="Von Kries",
                                      transform="Bradford")
    vlog = transfer.vlog_encode(xyz @ SPACES["vgamut"].from_xyz.T)
    out = compile_look("neutral").apply(vlog[None].astype(np.float32))[0]
    inside = np.all((xyz @ SPACES["srgb"].from_xyz.T) >= 0, axis=1)     # cyan is outside sRGB
    truth = colour.XYZ_to_Lab(xyz, colour.xy_to_xyY(SPACES["srgb"].white))
    de = colour.delta_E(truth, _lab_srgb(out), method="CIE 2000")
    assert de[inside].mean() <= 0.5 and de[inside].max() <= 1.5, de


def test_vlog_look_is_the_identity_and_forces_vlog():
    lut = compile_look("vlog", output_space="srgb")
    assert lut.output_space == "vlog"
    v = np.random.default_rng(2).random((1, 5000, 3)).astype(np.float32)
    assert np.abs(lut.apply(v) - v).max() < 1e-5
    grey = lut.apply(np.full((1, 1, 3), 0.4233, np.float32))[0, 0]
    assert grey == pytest.approx([0.4233] * 3, abs=1e-5)


@pytest.mark.parametrize("name", ["standard", "cinema-flat", "monochrome-deep"])
def test_tone_is_monotonic_on_the_grey_axis(name):
    x = np.linspace(0, 1, 1001)
    y = sample_look(resolve_look(name), np.stack([x, x, x], 1))[:, 0]
    assert np.all(np.diff(y) >= -1e-9)


def test_output_spaces_agree_in_colour():
    """The same look in sRGB and Display P3 shows moderate colours alike (mean dE < 1.5);
    the tone step runs in each output's own (inset) primaries, so saturated colours may use
    the wider gamut."""
    import colour

    rng = np.random.default_rng(4)
    lin = (0.15 + 0.7 * rng.random((2000, 3))) ** 2.2 * 0.5
    v = transfer.vlog_encode(lin @ rgb_to_rgb_matrix("linear-srgb", "vgamut").T)
    look = resolve_look("standard")
    white = colour.xy_to_xyY(SPACES["srgb"].white)
    labs = []
    for space in ("srgb", "display-p3"):
        sp = SPACES[space]
        enc = sample_look(look, v, space)
        labs.append(colour.XYZ_to_Lab(transfer.decode(enc, sp.transfer) @ sp.to_xyz.T, white))
    assert colour.delta_E(labs[0], labs[1], method="CIE 2000").mean() < 1.5


# --- the Look model ------------------------------------------------------------------------

def test_inheritance_and_user_dirs(tmp_path):
    d = tmp_path / "mylooks"
    d.mkdir()
    (d / "warm.toml").write_text('description = "warmer standard"\ninherits = "standard"\n'
                                 "[tone]\ncontrast = 1.4\n[split_tone]\nhighlights = 0.02\n")
    (d / "warmer.toml").write_text('inherits = "warm"\ntone = false\n[grain]\namount = 0.01\n')
    std = resolve_look("standard")
    warm = resolve_look("warm", search_dirs=[d])
    assert warm.tone.contrast == 1.4 and warm.tone.white == std.tone.white
    assert warm.saturation == std.saturation and warm.digest != std.digest
    warmer = resolve_look("warmer", search_dirs=[d])
    assert warmer.tone is None and warmer.split_tone.highlights == 0.02 and warmer.spatial
    with pytest.raises(ParameterError, match="warm"):
        resolve_look("warm")                                  # not without its folder
    # the user's config folder is searched too
    cfg = tmp_path / "config" / "lsquared" / "looks"
    cfg.mkdir(parents=True)
    shutil.copy(d / "warm.toml", cfg / "warm.toml")
    assert resolve_look("warm").digest == warm.digest


def test_digest_ignores_name_but_not_parameters(tmp_path):
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text('name = "a"\ninherits = "vivid"\n')
    b.write_text('name = "b"\ninherits = "vivid"\n[saturation]\namount = 1.3\n')
    assert resolve_look(a).digest == resolve_look("vivid").digest
    assert resolve_look(b).digest != resolve_look("vivid").digest


@pytest.mark.parametrize("text,match", [
    ("[tone]\ncontrast = 9.0\n", r"tone.*contrast = 9 is outside"),
    ("[tonne]\n", r"unknown step 'tonne'"),
    ("[tone]\ncontrst = 1.0\n", r"unknown parameter 'contrst'"),
    ("[tone]\ncontrast = \"high\"\n", r"expected a float"),
    ("[monochrome]\nfilter = \"purple\"\n", r"unknown value 'purple'"),
    ("[[hue]]\nhue = \"teal-ish\"\n", r"unknown hue name"),
    ('inherits = "nothing-here"\n', r"inherits unknown look"),
    ('inherits = "loop"\n', r"inheritance loop"),
    ("[tone\n", r"invalid TOML"),
    ("[lut]\nfile = \"missing.cube\"\n", r"no such LUT file"),
    ("[tone]\ncontrast = 0.5\nwhite = 1.0\n", r"contrast 0.5 is too low"),
    ("tone = 5\n", r"expected a table"),
])
def test_bad_look_files_refused(tmp_path, text, match):
    p = tmp_path / "loop.toml"
    p.write_text(text)
    with pytest.raises((ParameterError, LutFormatError), match=match):
        resolve_look(p)


def test_exported_cube_is_read_back_exactly(tmp_path):
    export_look(resolve_look("portrait"), tmp_path / "p.cube", "cube", size=17)
    lut = read_cube(tmp_path / "p.cube")
    assert lut.title == "portrait" and lut.size == 17
    assert np.abs(lut.table3d - compile_look("portrait", size=17).table).max() < 1e-6


def test_haldclut_export_takes_srgb(tmp_path):
    """A HaldCLUT is for sRGB pictures: exported from neutral it is (nearly) the identity."""
    from lsquared.io.lutfile import read_haldclut

    export_look(resolve_look("neutral"), tmp_path / "n.png", "haldclut", size=16)
    t = read_haldclut(tmp_path / "n.png").table3d
    axis = np.linspace(0, 1, 16)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    assert np.abs(t - np.stack([r, g, b], -1)).max() < 1e-3
