"""ICC display profiles for the output spaces, and recognising the space of an embedded profile.

Our profiles are ICC version 2.1 matrix/TRC display profiles ("mntr", RGB or GRAY -> XYZ), the
most widely read kind (LittleCMS, ColorSync, Windows, Chrome's skcms, Firefox's qcms):

- colorants (rXYZ, gXYZ, bXYZ): the space's primaries, RP 177 matrix from ``color.spaces``,
  Bradford-adapted from the space's white to the ICC PCS white D50, and rounded so that RGB
  (1, 1, 1) lands exactly on the encoded D50 (ICC.1:2010 annex E, F.3);
- chad: that Bradford matrix (ICC.1:2010 9.2.15; read by v2 readers too), wtpt = D50 as ICC v4
  and sRGB2014.icc do for display profiles (LittleCMS assumes D50 for v2 displays anyway);
- TRCs: a 1024-entry sampled ``curv`` of the space's decoding function from ``color.transfer``
  (v2 has no parametric curves), shared by the three channels.  Rec.2020's curve is the inverse
  of the BT.2020 / BT.709 OETF, the function the pipeline encodes with, so a colour-managed
  viewer recovers exactly the colorimetry we rendered; BT.1886's gamma 2.4 (a reference
  display's EOTF) would darken the shadows with a second rendering on top of the look's.
- a grey variant (kTRC only) with the same curve, for monochrome pictures.

``identify_space`` runs a profile through LittleCMS (Pillow's ImageCms), converts a set of probe
colours (primaries, secondaries, a grey ramp) to CIELAB D50 and compares them with what each
known space predicts, so it recognises a space by its primaries, white and curve whatever the
profile's version or tag encoding (matrix/TRC, parametric, sampled or LUT-based).
"""

from __future__ import annotations

import datetime as _dt
import io
import struct
import warnings
from functools import lru_cache

import numpy as np

from ..color import transfer
from ..color.adaptation import adaptation_matrix
from ..color.spaces import OUTPUT_SPACES, SPACES, RGBSpace
from ..errors import ParameterError

ICC_D50_XYZ = (0.9642, 1.0, 0.8249)   # ICC.1:2010 7.2.16, the PCS illuminant as encoded
CURVE_POINTS = 1024                    # LittleCMS error < 1e-4 against the formula (tests)
_PROFILE_DATE = _dt.datetime(2024, 1, 1)   # fixed, so that outputs are reproducible bit for bit
_COPYRIGHT = "No copyright, use freely (lsquared)"

# Adobe RGB (1998) colour image encoding, Adobe Systems 2005, sections 4.3.1-4.3.4: a space
# photographs are often tagged with but lsquared does not render to, so not in color.spaces.
ADOBE_RGB = RGBSpace("adobe-rgb", ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06)), (0.3127, 0.3290),
                     "gamma-2.2", "Adobe RGB (1998)")
ADOBE_RGB_GAMMA = 563 / 256            # 2.19921875, section 4.3.4.2


# --- writing -------------------------------------------------------------------------------

def _s15f16(values) -> bytes:
    return b"".join(struct.pack(">i", int(round(v * 65536.0))) for v in np.ravel(values))


def _xyz_tag(xyz) -> bytes:
    return b"XYZ \0\0\0\0" + _s15f16(xyz)


def _curve_tag(decode) -> bytes:
    if decode is None:                              # identity: curv with no entries
        return b"curv\0\0\0\0" + struct.pack(">I", 0)
    x = np.linspace(0.0, 1.0, CURVE_POINTS)
    y = np.clip(decode(x), 0.0, 1.0)
    table = np.round(y * 65535.0).astype(">u2")
    return b"curv\0\0\0\0" + struct.pack(">I", CURVE_POINTS) + table.tobytes()


def _desc_tag(text: str) -> bytes:
    """textDescriptionType (ICC.1:2001-04 6.5.17): ASCII, empty Unicode and ScriptCode parts."""
    ascii_ = text.encode("ascii", "replace") + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + bytes(67))


def _text_tag(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii", "replace") + b"\0"


def _assemble(colour_space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """Header (ICC.1:2001-04 6.1), tag table, then the tag data, 4-byte aligned; tags with
    identical data (the three TRCs) share one copy, as the specification allows."""
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    blobs: dict[bytes, int] = {}
    entries, data = [], b""
    for signature, blob in tags:
        if blob not in blobs:
            data += b"\0" * (-len(data) % 4)
            blobs[blob] = offset + len(data)
            data += blob
        entries.append(struct.pack(">4sII", signature, blobs[blob], len(blob)))
    body = struct.pack(">I", len(tags)) + b"".join(entries) + data
    size = 128 + len(body)
    d = _PROFILE_DATE
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000)
              + b"mntr" + colour_space + b"XYZ "
              + struct.pack(">6H", d.year, d.month, d.day, d.hour, d.minute, d.second)
              + b"acsp" + bytes(4) + bytes(4) + bytes(4) + bytes(4) + bytes(8)
              + struct.pack(">I", 0) + _s15f16(ICC_D50_XYZ) + b"lsqr" + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + body


def _colorants_d50(sp: RGBSpace) -> np.ndarray:
    """RGB -> XYZ(D50) matrix in s15Fixed16 steps, each row summing to the encoded D50 white
    (rounding the nine entries independently can leave white a few 1/65536 off D50)."""
    chad = adaptation_matrix(sp.white, ICC_D50_XYZ, "bradford")
    m = np.round(chad @ sp.to_xyz * 65536.0)
    white = np.round(np.array(ICC_D50_XYZ) * 65536.0)
    for row in range(3):
        m[row, np.argmax(m[row])] += white[row] - m[row].sum()
    return m / 65536.0


def _displayable(name: str) -> RGBSpace:
    key = SPACES.validate(name)
    sp = SPACES[key]
    if sp.transfer not in ("srgb", "rec709", "linear"):
        raise ParameterError(f"no display profile for colour space '{name}'; "
                             f"choose one of: {', '.join(OUTPUT_SPACES)}")
    return sp


def icc_profile(space: str, grey: bool = False) -> bytes:
    """The ICC v2 display profile of an output space (``grey``: its one-channel kTRC variant)."""
    return _icc_profile(SPACES.validate(space), bool(grey))


@lru_cache(maxsize=None)
def _icc_profile(key: str, grey: bool) -> bytes:
    sp = _displayable(key)
    decode = None if sp.transfer == "linear" else (lambda x: transfer.decode(x, sp.transfer))
    trc = _curve_tag(decode)
    wtpt = _xyz_tag(ICC_D50_XYZ)
    cprt = _text_tag(_COPYRIGHT)
    if grey:
        tags = [(b"desc", _desc_tag(f"{sp.description} grey")), (b"cprt", cprt),
                (b"wtpt", wtpt), (b"kTRC", trc)]
        return _assemble(b"GRAY", tags)
    m = _colorants_d50(sp)
    chad = adaptation_matrix(sp.white, ICC_D50_XYZ, "bradford")
    tags = [(b"desc", _desc_tag(sp.description)), (b"cprt", cprt), (b"wtpt", wtpt),
            (b"chad", b"sf32\0\0\0\0" + _s15f16(chad)),
            (b"rXYZ", _xyz_tag(m[:, 0])), (b"gXYZ", _xyz_tag(m[:, 1])), (b"bXYZ", _xyz_tag(m[:, 2])),
            (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc)]
    return _assemble(b"RGB ", tags)


# --- reading: a matrix/TRC profile as numbers ---------------------------------------------

def _tag_table(icc: bytes) -> dict[bytes, bytes]:
    if len(icc) < 132 or icc[36:40] != b"acsp":
        raise ValueError("not an ICC profile")
    count = struct.unpack(">I", icc[128:132])[0]
    tags = {}
    for i in range(min(count, 200)):
        sig, off, size = struct.unpack(">4sII", icc[132 + 12 * i:144 + 12 * i])
        tags[sig] = icc[off:off + size]
    return tags


def _read_xyz(blob: bytes) -> np.ndarray:
    if blob[:4] != b"XYZ ":
        raise ValueError("not an XYZType tag")
    return np.array(struct.unpack(">3i", blob[8:20]), dtype=np.float64) / 65536.0


def _read_curve(blob: bytes):
    """A TRC tag as a function on [0, 1]: curv (ICC.1:2010 10.5) or para (10.15)."""
    kind = blob[:4]
    if kind == b"curv":
        n = struct.unpack(">I", blob[8:12])[0]
        if n == 0:
            return lambda x: np.asarray(x, dtype=np.float64)
        if n == 1:
            gamma = struct.unpack(">H", blob[12:14])[0] / 256.0
            return lambda x: np.maximum(np.asarray(x, dtype=np.float64), 0.0) ** gamma
        table = np.frombuffer(blob[12:12 + 2 * n], dtype=">u2").astype(np.float64) / 65535.0
        grid = np.linspace(0.0, 1.0, n)
        return lambda x: np.interp(x, grid, table)
    if kind == b"para":
        ftype = struct.unpack(">H", blob[8:10])[0]
        n = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}[ftype]
        p = [v / 65536.0 for v in struct.unpack(f">{n}i", blob[12:12 + 4 * n])] + [0.0] * 6
        g, a, b = p[0], (p[1] if ftype else 1.0), p[2]
        # Y = (aX + b)^g + E for X >= d, else C X + F (ICC.1:2010 table 68, all five types)
        d = p[4] if ftype >= 3 else (-b / a if ftype else 0.0)
        c_lin = p[3] if ftype >= 3 else 0.0
        e_hi = {2: p[3], 4: p[5]}.get(ftype, 0.0)
        f_lo = {2: p[3], 4: p[6]}.get(ftype, 0.0)

        def para(x):
            x = np.asarray(x, dtype=np.float64)
            return np.where(x >= d, np.maximum(a * x + b, 0.0) ** g + e_hi, c_lin * x + f_lo)
        return para
    raise ValueError(f"unsupported curve type {kind!r}")


def matrix_trc_model(icc: bytes):
    """(decode, M) of a matrix/TRC display profile: ``decode`` maps encoded RGB (..., 3) in
    [0, 1] to linear, ``M`` linear RGB to XYZ relative to the ICC D50 white.  A grey (kTRC)
    profile is read for pixels with three equal channels: its curve on each channel and M
    sending (1, 1, 1) to D50.  None for anything else (LUT-based, CMYK, Lab, broken)."""
    try:
        tags = _tag_table(icc)
        if icc[16:20] == b"RGB ":
            m = np.stack([_read_xyz(tags[t]) for t in (b"rXYZ", b"gXYZ", b"bXYZ")], axis=1)
            curves = [_read_curve(tags[t]) for t in (b"rTRC", b"gTRC", b"bTRC")]
        elif icc[16:20] == b"GRAY":
            m = np.outer(ICC_D50_XYZ, np.full(3, 1.0 / 3.0))
            curves = [_read_curve(tags[b"kTRC"])] * 3
        else:
            return None
    except (KeyError, ValueError, struct.error):
        return None

    def decode(rgb):
        rgb = np.asarray(rgb, dtype=np.float64)
        return np.stack([curves[i](rgb[..., i]) for i in range(3)], axis=-1)
    return decode, m


# --- recognising a profile -----------------------------------------------------------------

# A probe set that separates the candidates: full and half primaries and secondaries show the
# gamut, a grey ramp down to 5% shows the curve (sRGB, BT.709 and gamma 2.2 differ most in the
# shadows).  8-bit codes, as the LittleCMS round trip through Pillow is 8 bit.
_GREY_CODES = np.array([13, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255])
_RGB_PROBES = np.concatenate([
    np.repeat(_GREY_CODES[:, None], 3, axis=1),
    np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 255, 255], [255, 0, 255], [255, 255, 0],
              [128, 0, 0], [0, 128, 0], [0, 0, 128], [200, 120, 60], [60, 160, 210]]),
]).astype(np.uint8)
MAX_DELTA_E = 2.0   # CIE76 over the probes; 8-bit Lab quantization alone gives up to ~0.9


def _candidates() -> list[tuple[str, RGBSpace, object]]:
    """(name, space, decoding function) of every space we can recognise, in order of
    preference where two describe the same pixels (a grey ramp fits sRGB and Display P3)."""
    out = []
    for name in ("srgb", "display-p3", "rec709", "rec2020"):
        sp = SPACES[name]
        out.append((name, sp, lambda x, t=sp.transfer: transfer.decode(x, t)))
    out.append(("adobe-rgb", ADOBE_RGB, lambda x: np.maximum(x, 0.0) ** ADOBE_RGB_GAMMA))
    return out


def _lab_d50(xyz: np.ndarray) -> np.ndarray:
    """CIE 1976 L*a*b* relative to the ICC D50 white (CIE 15:2004 8.2.1)."""
    t = xyz / np.array(ICC_D50_XYZ)
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def _expected_lab(sp: RGBSpace, decode, codes: np.ndarray) -> np.ndarray:
    """What the probes should measure in this space, clipped as 8-bit Lab clips a* and b*
    (Rec.2020's green and yellow reach beyond -128 and 127)."""
    m = adaptation_matrix(sp.white, ICC_D50_XYZ, "bradford") @ sp.to_xyz
    lab = _lab_d50(decode(codes / 255.0) @ m.T)
    lab[..., 1:] = np.clip(lab[..., 1:], -128.0, 127.0)
    return lab


def _measured_lab(icc: bytes, grey: bool, codes: np.ndarray) -> np.ndarray | None:
    """8-bit probes ((N,) grey or (N, 3) RGB) converted by LittleCMS, relative colorimetric,
    to CIELAB D50 (Pillow's "LAB" mode: L scaled to 0..255, a and b signed 8-bit)."""
    from PIL import Image, ImageCms

    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        lab = ImageCms.createProfile("LAB")            # D50 white
        mode = "L" if grey else "RGB"
        t = ImageCms.buildTransform(src, lab, mode, "LAB",
                                    renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        im = Image.fromarray(np.ascontiguousarray(codes[None]))
        out = np.asarray(ImageCms.applyTransform(im, t))[0]
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    ab = out[:, 1:].view(np.int8).astype(np.float64)
    return np.concatenate([out[:, :1] * (100.0 / 255.0), ab], axis=-1)


def _profile_colour_space(icc: bytes) -> bytes | None:
    return icc[16:20] if len(icc) >= 128 and icc[36:40] == b"acsp" else None


def identify_space(icc: bytes | None) -> str | None:
    """The name of the space an ICC profile describes ("srgb", "display-p3", "rec709",
    "rec2020", "adobe-rgb"), or None when it matches none of them (or is not a profile).

    Recognition is colorimetric (see the module notes).  A grey profile has no primaries: its
    curve decides, and where several spaces share the curve the profile's description picks
    among them (our own grey profiles name their space), else the first in preference order."""
    if not icc:
        return None
    return _identify(bytes(icc))


@lru_cache(maxsize=64)
def _identify(icc: bytes) -> str | None:
    kind = _profile_colour_space(icc)
    if kind not in (b"RGB ", b"GRAY"):
        return None
    grey = kind == b"GRAY"
    codes = np.repeat(_GREY_CODES[:, None], 3, axis=1) if grey else _RGB_PROBES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        measured = _measured_lab(icc, grey, _GREY_CODES.astype(np.uint8) if grey else codes)
    if measured is None:
        return None
    fits = []
    for name, sp, decode in _candidates():
        err = np.linalg.norm(measured - _expected_lab(sp, decode, codes), axis=-1).max()
        if err <= MAX_DELTA_E:
            fits.append((err, name, sp))
    if not fits:
        return None
    if grey:
        description = _description(icc).lower()
        named = [f for f in fits if f[2].description.lower() in description]
        if named:
            return named[0][1]
        return min(fits, key=lambda f: round(f[0], 1))[1]
    return min(fits)[1]


def _description(icc: bytes) -> str:
    """The profile's desc text, v2 textDescriptionType or v4 multiLocalizedUnicodeType."""
    try:
        blob = _tag_table(icc).get(b"desc", b"")
        if blob[:4] == b"desc":
            n = struct.unpack(">I", blob[8:12])[0]
            return blob[12:12 + n].rstrip(b"\0").decode("latin-1")
        if blob[:4] == b"mluc":
            length, offset = struct.unpack(">II", blob[20:28])
            return blob[offset:offset + length].decode("utf-16-be", "replace")
    except (ValueError, struct.error):
        pass
    return ""

