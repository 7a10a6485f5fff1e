"""ICC profiles: structure against colour-science's matrices, behaviour through LittleCMS,
and colorimetric recognition of our own and third-party profiles."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

colour = pytest.importorskip("colour")

from lsquared.color import transfer
from lsquared.errors import ParameterError
from lsquared.io.icc import (ICC_D50_XYZ, _assemble, _desc_tag, _xyz_tag, icc_profile,
                             identify_space, matrix_trc_model)

BT2020_PRECISE = colour.models.rgb.transfer_functions.itur_bt_2020.CONSTANTS_BT2020_PRECISE
COLOUR_NAMES = {"srgb": "sRGB", "display-p3": "Display P3", "rec2020": "ITU-R BT.2020"}
SYSTEM_ICC = Path("/usr/share/color/icc")       # Debian: icc-profiles-free, colord-data


def tags_of(icc: bytes) -> dict[bytes, bytes]:
    count = struct.unpack(">I", icc[128:132])[0]
    out = {}
    for i in range(count):
        sig, off, size = struct.unpack(">4sII", icc[132 + 12 * i:144 + 12 * i])
        out[sig] = icc[off:off + size]
    return out


def xyz(blob: bytes) -> np.ndarray:
    return np.array(struct.unpack(">3i", blob[8:20])) / 65536.0


def colour_d50_matrix(name: str) -> np.ndarray:
    """colour-science's RGB -> XYZ, Bradford-adapted to the ICC D50 white (the oracle)."""
    cs = colour.RGB_COLOURSPACES[COLOUR_NAMES[name]]
    white = colour.xy_to_XYZ(cs.whitepoint)
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(white, np.array(ICC_D50_XYZ), "Bradford")
    return cat @ cs.matrix_RGB_to_XYZ


@pytest.mark.parametrize("name", list(COLOUR_NAMES))
def test_rgb_profile_structure_matches_colour_science(name):
    icc = icc_profile(name)
    assert struct.unpack(">I", icc[:4])[0] == len(icc)
    assert icc[8:12] == bytes([2, 0x10, 0, 0]) and icc[12:24] == b"mntrRGB XYZ " and icc[36:40] == b"acsp"
    tags = tags_of(icc)
    assert set(tags) >= {b"desc", b"cprt", b"wtpt", b"chad", b"rXYZ", b"gXYZ", b"bXYZ",
                         b"rTRC", b"gTRC", b"bTRC"}
    m = np.stack([xyz(tags[t]) for t in (b"rXYZ", b"gXYZ", b"bXYZ")], axis=1)
    assert np.abs(m - colour_d50_matrix(name)).max() < 3 / 65536      # s15Fixed16 rounding
    # white (1, 1, 1) lands exactly on the encoded PCS white
    assert np.array_equal(np.round(m.sum(axis=1) * 65536), np.round(np.array(ICC_D50_XYZ) * 65536))
    assert np.allclose(xyz(tags[b"wtpt"]), ICC_D50_XYZ, atol=1 / 65536)
    chad = np.array(struct.unpack(">9i", tags[b"chad"][8:44])).reshape(3, 3) / 65536.0
    cs = colour.RGB_COLOURSPACES[COLOUR_NAMES[name]]
    oracle = colour.adaptation.matrix_chromatic_adaptation_VonKries(
        colour.xy_to_XYZ(cs.whitepoint), np.array(ICC_D50_XYZ), "Bradford")
    assert np.abs(chad - oracle).max() < 1 / 65536
    assert tags[b"rTRC"] == tags[b"gTRC"] == tags[b"bTRC"]
    assert icc_profile(name) is icc                                    # cached


@pytest.mark.parametrize("name,oracle", [
    ("srgb", lambda v: colour.models.eotf_sRGB(v)),
    ("display-p3", lambda v: colour.models.eotf_sRGB(v)),
    ("rec2020", lambda v: colour.models.oetf_inverse_BT2020(v, constants=BT2020_PRECISE)),
])
def test_curves_match_the_published_transfer_functions(name, oracle):
    v = np.linspace(0.0, 1.0, 5001)
    for grey in (False, True):
        model = matrix_trc_model(icc_profile(name, grey=grey))
        decode = model[0]
        got = decode(np.repeat(v[:, None], 3, axis=1))
        assert np.abs(got - oracle(v)[:, None]).max() < 2e-5


def test_grey_profiles_have_one_curve():
    icc = icc_profile("srgb", grey=True)
    assert icc[16:20] == b"GRAY"
    tags = tags_of(icc)
    assert set(tags) == {b"desc", b"cprt", b"wtpt", b"kTRC"}
    assert tags[b"kTRC"] == tags_of(icc_profile("srgb"))[b"rTRC"]


def cms_profile(icc: bytes):
    return ImageCms.ImageCmsProfile(io.BytesIO(icc))


def grid8(n: int = 17) -> np.ndarray:
    v = np.round(np.linspace(0, 255, n)).astype(np.uint8)
    return np.stack(np.meshgrid(v, v, v, indexing="ij"), axis=-1).reshape(1, -1, 3)


def test_our_srgb_is_littlecms_srgb():
    """Our sRGB -> LittleCMS's built-in sRGB is the identity (to one 8-bit code)."""
    src = grid8()
    t = ImageCms.buildTransform(cms_profile(icc_profile("srgb")), ImageCms.createProfile("sRGB"), "RGB", "RGB")
    out = np.asarray(ImageCms.applyTransform(Image.fromarray(src), t))
    assert np.abs(out.astype(int) - src).max() <= 1


@pytest.mark.parametrize("name", ["display-p3", "rec2020"])
def test_wide_gamut_to_srgb_through_littlecms_matches_colour(name):
    """In-gamut colours converted by LittleCMS through our profile to sRGB equal colour-science's
    conversion (decode, matrix, encode) to within one 8-bit code."""
    src = grid8(33)[0]
    cs = colour.RGB_COLOURSPACES[COLOUR_NAMES[name]]
    linear = (cs.cctf_decoding(src / 255.0) if name != "rec2020"
              else colour.models.oetf_inverse_BT2020(src / 255.0, constants=BT2020_PRECISE))
    srgb_linear = colour.RGB_to_RGB(linear, cs, colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=False,
                                    apply_cctf_encoding=False)
    inside = np.all((srgb_linear >= 0.002) & (srgb_linear <= 0.998), axis=1)
    assert inside.sum() > 300
    expected = np.round(colour.models.eotf_inverse_sRGB(srgb_linear[inside]) * 255)
    t = ImageCms.buildTransform(cms_profile(icc_profile(name)), ImageCms.createProfile("sRGB"), "RGB", "RGB",
                                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
    out = np.asarray(ImageCms.applyTransform(Image.fromarray(src[inside][None]), t))[0]
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_grey_curve_at_16_bits_through_littlecms():
    """16-bit grey through our sRGB grey profile into a linear grey profile is the sRGB
    decoding function to 16-bit precision (two codes; LittleCMS's own curve re-sampling,
    which NOOPTIMIZE turns off, would add up to 24 codes near white)."""
    v = np.arange(0, 65536, 7, dtype=np.uint16)
    src = Image.fromarray(v[None])
    t = ImageCms.buildTransform(cms_profile(icc_profile("srgb", grey=True)),
                                cms_profile(icc_profile("linear-srgb", grey=True)), "I;16", "I;16",
                                flags=ImageCms.Flags.NOOPTIMIZE)
    out = np.asarray(ImageCms.applyTransform(src, t))[0] / 65535.0
    assert np.abs(out - transfer.srgb_decode(v / 65535.0)).max() < 2 / 65535


def test_lab_through_littlecms_matches_colour_for_rec2020():
    src = grid8(9)[0]
    lab_profile = ImageCms.createProfile("LAB")
    t = ImageCms.buildTransform(cms_profile(icc_profile("rec2020")), lab_profile, "RGB", "LAB",
                                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
    out = np.asarray(ImageCms.applyTransform(Image.fromarray(src[None]), t))[0]
    lab = np.concatenate([out[:, :1] * (100 / 255), out[:, 1:].view(np.int8)], axis=1)
    linear = colour.models.oetf_inverse_BT2020(src / 255.0, constants=BT2020_PRECISE)
    xyz_d50 = colour_d50_matrix("rec2020") @ linear.T
    expected = colour.XYZ_to_Lab(xyz_d50.T, colour.XYZ_to_xy(np.array(ICC_D50_XYZ)))
    ok = np.all(np.abs(expected[:, 1:]) < 127, axis=1)            # 8-bit Lab clips a*, b*
    assert np.abs(lab[ok] - expected[ok]).max() < 1.0


@pytest.mark.parametrize("name", ["srgb", "display-p3", "rec2020", "rec709"])
@pytest.mark.parametrize("grey", [False, True])
def test_identifies_our_own_profiles(name, grey):
    assert identify_space(icc_profile(name, grey=grey)) == name


def test_identifies_littlecms_builtin_srgb():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert icc[8] == 4                       # a v4 profile with parametric curves
    assert identify_space(icc) == "srgb"


def _v4_profile(primaries, gamma_params, desc: str = "third party") -> bytes:
    """A v4-style matrix/TRC profile as Apple and Android write them (para curves, mluc desc)."""
    cs = colour.RGB_Colourspace("x", np.array(primaries), np.array([0.3127, 0.3290]))
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(
        colour.xy_to_XYZ(cs.whitepoint), np.array(ICC_D50_XYZ), "Bradford")
    m = cat @ cs.matrix_RGB_to_XYZ
    para = b"para\0\0" + b"\0\0" + struct.pack(">H", 3) + b"\0\0" + b"".join(
        struct.pack(">i", round(p * 65536)) for p in gamma_params)
    text = desc.encode("utf-16-be")
    mluc = b"mluc\0\0\0\0" + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(text), 28) + text
    tags = [(b"desc", mluc), (b"wtpt", _xyz_tag(ICC_D50_XYZ)), (b"rXYZ", _xyz_tag(m[:, 0])),
            (b"gXYZ", _xyz_tag(m[:, 1])), (b"bXYZ", _xyz_tag(m[:, 2])),
            (b"rTRC", para), (b"gTRC", para), (b"bTRC", para), (b"cprt", _desc_tag("x"))]
    icc = bytearray(_assemble(b"RGB ", tags))
    icc[8:12] = bytes([4, 0x30, 0, 0])
    return bytes(icc)


SRGB_PARA = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
BT709_PARA = (1 / 0.45, 1 / 1.099297, 0.099297 / 1.099297, 1 / 4.5, 0.081243)
P3 = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
BT2020 = ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))


def test_identifies_v4_parametric_profiles_by_colorimetry():
    assert identify_space(_v4_profile(P3, SRGB_PARA, "Display P3")) == "display-p3"
    assert identify_space(_v4_profile(BT2020, BT709_PARA, "Rec. ITU-R BT.2020-1")) == "rec2020"
    # the name alone does not decide: P3 primaries with a gamma 2.2 curve, or the sRGB curve on
    # Rec.2020 primaries, are none of our spaces
    assert identify_space(_v4_profile(P3, (2.2, 1, 0, 0, 0), "Display P3")) is None
    assert identify_space(_v4_profile(BT2020, SRGB_PARA, "ITU-R BT.2020")) is None
    # and the parametric curves read as numbers match the formulas
    decode, _ = matrix_trc_model(_v4_profile(P3, SRGB_PARA))
    v = np.linspace(0, 1, 1001)
    assert np.abs(decode(np.repeat(v[:, None], 3, 1))[:, 0] - transfer.srgb_decode(v)).max() < 1e-4


@pytest.mark.parametrize("bad", [b"", b"not a profile at all", bytes(200), icc_profile("srgb")[:300]])
def test_garbage_is_not_identified(bad):
    assert identify_space(bad) is None


def test_no_profile_for_non_display_spaces():
    with pytest.raises(ParameterError, match="no display profile"):
        icc_profile("vlog")
    with pytest.raises(ParameterError, match="choose one of"):
        icc_profile("nonsense")


THIRD_PARTY = [
    ("sRGB.icc", "srgb"),                       # icc-profiles-free, v2, sampled curve
    ("colord/sRGB.icc", "srgb"),                # colord, v4, parametric
    ("colord/Rec709.icc", "rec709"),
    ("colord/AdobeRGB1998.icc", "adobe-rgb"),
    ("compatibleWithAdobeRGB1998.icc", "adobe-rgb"),
    ("colord/ProPhotoRGB.icc", None),
    ("colord/WideGamutRGB.icc", None),
    ("colord/PAL-RGB.icc", None),               # EBU primaries: close to sRGB, but not sRGB
    ("colord/AppleRGB.icc", None),
    ("colord/Crayons.icc", None),               # a Lab named-colour profile
]


@pytest.mark.parametrize("name,expected", THIRD_PARTY)
def test_identifies_third_party_profiles(name, expected):
    path = SYSTEM_ICC / name
    if not path.exists():
        pytest.skip(f"{path} not installed (Debian packages icc-profiles-free, colord-data)")
    assert identify_space(path.read_bytes()) == expected
