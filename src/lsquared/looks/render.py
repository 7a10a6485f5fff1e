"""What a look does to one colour: the exact (slow, float64) math the LUT compiler samples.

``render_points(look, vlog_rgb, output_space)`` takes V-Log encoded V-Gamut values (M, 3)
and returns display-encoded output values (M, 3).  The order of the steps:

1. V-Log decode (Panasonic V-Log/V-Gamut Reference Manual, 2014) -> scene-linear V-Gamut,
   times 2^ev (exposure).
2. monochrome: one panchromatic value from linear Rec.2020 light weighted by the filter's
   transmission and the channels' luminance, so a neutral keeps its value.
3. saturation and hue-selective adjustments, on scene light in Oklab LCh (Ottosson 2020),
   whose hue does not change with exposure; their gates use relative chroma C/L, which
   does not either.
4. tone, display-referred from here on.  The "tone space" is the output's primaries pulled
   toward white by ``inset``.  Scene colours outside it are first brought inside smoothly by
   the ACES Reference Gamut Compression's distance compression (Academy, 2021), then the
   curve runs on each channel (which sends bright saturated colours smoothly to white) blended
   by ``hue_preserve`` with the same curve on max(R, G, B) at constant channel ratios (which
   keeps hue: per-channel curves alone skew orange skin to yellow, blue sky to cyan).  Both
   results lie in [0, 1]^3 of the tone space, whose primaries lie inside the output gamut, so
   every rendered colour fits the display by construction: no clipping, no posterization.
5. black level (a matte lift toward display black), split toning (display-referred Oklab),
   then the output transfer function.

The tone curve is the Michaelis-Menten form with a flare/toe term used by the ACES 2.0
output transforms (after D. Siragusano):  f(x) = m (x / (x + s))^p,  y = f^2 / (f + t),
with m and s solved so that middle grey lands on ``grey`` and ``white`` stops above grey
lands on display white, and a smooth shoulder so the curve approaches 1 without clipping.
"""

from __future__ import annotations

import numpy as np

from ..color import transfer
from ..color.spaces import SPACES, rgb_to_rgb_matrix, rgb_to_xyz_matrix
from .model import Look
from .steps import MONO_FILTERS, Tone, hue_degrees, tone_curve_constants

KNEE = 0.9                        # display level above which the tone curve's shoulder bends
SHOULDER_POWER = 8.0
RGC_POWER = 1.2                   # ACES RGC's compression curve exponent
EXTENDED_RANGE = (-0.5, 1.5)      # table values of hard-clipping looks (see encode_output)

# Oklab, Ottosson (2020), "A perceptual color space for image processing": XYZ (D65) -> LMS,
# cube root, -> Lab.
_OKLAB_M1 = np.array([[0.8189330101, 0.3618667424, -0.1288597137],
                      [0.0329845436, 0.9293118715, 0.0361456387],
                      [0.0482003018, 0.2643662691, 0.6338517070]])
_OKLAB_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                      [1.9779984951, -2.4285922050, 0.4505937099],
                      [0.0259040371, 0.7827717662, -0.8086757660]])
_OKLAB_M1_INV = np.linalg.inv(_OKLAB_M1)
_OKLAB_M2_INV = np.linalg.inv(_OKLAB_M2)


def xyz_to_oklab(xyz: np.ndarray) -> np.ndarray:
    return np.cbrt(xyz @ _OKLAB_M1.T) @ _OKLAB_M2.T


def oklab_to_xyz(lab: np.ndarray) -> np.ndarray:
    lms = lab @ _OKLAB_M2_INV.T
    return (lms * lms * lms) @ _OKLAB_M1_INV.T          # (a product: pow costs 5x more)


def _lch(lab):
    a, b = lab[:, 1], lab[:, 2]
    return lab[:, 0], np.sqrt(a * a + b * b), np.degrees(np.arctan2(b, a))


def _row_max(rgb: np.ndarray) -> np.ndarray:
    """max(R, G, B) per row, (M, 1): the same as ``rgb.max(axis=1, keepdims=True)``, which
    numpy reduces row by row, 5x slower on (M, 3) arrays."""
    return np.maximum(np.maximum(rgb[:, 0], rgb[:, 1]), rgb[:, 2])[:, None]


def _lab(L, C, h):
    hr = np.radians(h)
    return np.stack([L, C * np.cos(hr), C * np.sin(hr)], axis=1)


def _wrap(d):
    """Angle difference into (-180, 180]."""
    return (d + 180.0) % 360.0 - 180.0


def _smoothstep(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


# --- tone --------------------------------------------------------------------------------

def tone_curve(x: np.ndarray, tone: Tone) -> np.ndarray:
    """Scene light (>= 0) -> display light in [0, 1), smooth, monotonic."""
    m, s = tone_curve_constants(tone)
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    f = m * (x / (x + s)) ** tone.contrast
    y = f * f / (f + tone.toe) if tone.toe > 0 else f
    # shoulder: identity below KNEE, then k + (1-k) u / (1 + u^n)^(1/n), C1 at the knee,
    # approaching 1 asymptotically (0.992 at the nominal white)
    # (evaluated on the values above the knee only: the same numbers, a fraction of the work)
    y = np.atleast_1d(y)                         # (a fresh array: changed in place)
    above = y > KNEE
    u = (y[above] - KNEE) / (1 - KNEE)
    y[above] = KNEE + (1 - KNEE) * u / (1 + u ** SHOULDER_POWER) ** (1 / SHOULDER_POWER)
    return y


def tone_space(inset: float, output_space: str):
    """The output's primaries (Rec.2020's for a V-Log output) moved toward white by ``inset``
    in xy: matrices XYZ -> tone RGB and back."""
    sp = SPACES["rec2020" if output_space == "vlog" else output_space]
    wx, wy = sp.white
    prim = tuple((wx + (1 - inset) * (x - wx), wy + (1 - inset) * (y - wy)) for x, y in sp.primaries)
    to_xyz = rgb_to_xyz_matrix(prim, sp.white)
    return np.linalg.inv(to_xyz), to_xyz


def _rgc_limits(from_xyz: np.ndarray) -> np.ndarray:
    """Per channel, the largest distance from grey (see compress_gamut) of a V-Gamut colour
    in the tone space: compressing that far onto the edge brings all of V-Gamut inside."""
    corners = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1]], float)
    rgb = corners @ (from_xyz @ SPACES["vgamut"].to_xyz).T
    ach = rgb.max(axis=1, keepdims=True)
    return np.maximum(((ach - rgb) / ach).max(axis=0), 1.05)


def apply_tone(xyz: np.ndarray, tone: Tone, output_space: str, gamut_compression: float) -> np.ndarray:
    """Scene XYZ -> display XYZ inside the output gamut (see the module docstring)."""
    from_xyz, to_xyz = tone_space(tone.inset, output_space)
    rgb = xyz @ from_xyz.T
    if gamut_compression > 0:
        rgb = compress_gamut(rgb, gamut_compression, _rgc_limits(from_xyz))
    rgb = np.maximum(rgb, 0.0)
    per_channel = tone_curve(rgb, tone)
    if tone.hue_preserve > 0:
        # the curve of max(R, G, B) is the per-channel curve of the largest channel: taken
        # from there, not computed twice
        r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
        pick = (r >= g)[:, None], (r >= b)[:, None], (g >= b)[:, None]    # argmax, as comparisons

        def top(a):
            return np.where(pick[0], np.where(pick[1], a[:, :1], a[:, 2:]), np.where(pick[2], a[:, 1:2], a[:, 2:]))

        n = top(rgb)
        safe = np.where(n > 1e-12, n, 1.0)
        ratio = np.where(n > 1e-12, rgb * (top(per_channel) / safe), 0.0)
        per_channel = (1 - tone.hue_preserve) * per_channel + tone.hue_preserve * ratio
    return per_channel @ to_xyz.T


# --- colour ------------------------------------------------------------------------------

def apply_colour(xyz: np.ndarray, look: Look) -> np.ndarray:
    """Saturation and hue-selective adjustments on scene light, in Oklab LCh."""
    if look.saturation is None and not look.hue:
        return xyz
    L, C, h = _lch(xyz_to_oklab(xyz))
    rel = C / np.maximum(L, 1e-6)            # relative chroma: the same at every exposure
    if look.saturation is not None:
        sat = look.saturation
        C = C * sat.amount * (1 + sat.vibrance * np.exp(-rel / 0.15))
    gate = _smoothstep(0.0, 0.05, rel)       # leave near-neutrals alone
    h0 = h.copy()                            # windows are placed on the original hues
    for i, adj in enumerate(look.hue):
        centre = hue_degrees(adj.hue, f"hue[{i}]")
        d = np.abs(_wrap(h0 - centre))
        w = np.where(d < adj.width, 0.5 * (1 + np.cos(np.pi * d / adj.width)), 0.0) * gate
        C = C * (1 + w * (adj.saturation - 1))
        h = h + w * adj.shift
        L = L * (1 + w * adj.lightness)
    return oklab_to_xyz(_lab(L, C, h))


def apply_split_tone(xyz: np.ndarray, st) -> np.ndarray:
    """Tint shadows and highlights of display light (Oklab); black and white stay neutral."""
    lab = xyz_to_oklab(xyz)
    L = lab[:, 0]
    # smooth bumps in Oklab L: shadows peak a third of the way to the pivot, highlights
    # half way from the pivot to white
    pivot = 0.6 + 0.2 * st.balance
    ms, mh = pivot / 3, (pivot + 1) / 2
    ws = _smoothstep(0.0, ms, L) * (1 - _smoothstep(ms, pivot, L))
    wh = _smoothstep(pivot, mh, L) * (1 - _smoothstep(mh, 1.0, L))
    for w, strength, hue in ((ws, st.shadows, st.shadows_hue), (wh, st.highlights, st.highlights_hue)):
        hr = np.radians(hue_degrees(hue, "split_tone"))
        lab[:, 1] += w * strength * np.cos(hr)
        lab[:, 2] += w * strength * np.sin(hr)
    return oklab_to_xyz(lab)


def apply_black(xyz: np.ndarray, level: float) -> np.ndarray:
    lift = float(transfer.srgb_decode(level))
    white = SPACES["srgb"].to_xyz @ np.ones(3)
    return lift * white + (1 - lift) * xyz


def monochrome_value(vgamut: np.ndarray, filter_name: str, strength: float) -> np.ndarray:
    """Panchromatic response through a filter: (M,) linear value, neutral-preserving."""
    rgb = vgamut @ rgb_to_rgb_matrix("vgamut", "rec2020").T
    lum = SPACES["rec2020"].to_xyz[1]
    t = np.array(MONO_FILTERS[filter_name])
    t = 1.0 + strength * (t - 1.0)
    w = lum * t / np.dot(lum, t)
    return np.maximum(rgb @ w, 0.0)


# --- output ------------------------------------------------------------------------------

def compress_gamut(rgb: np.ndarray, threshold: float, limits) -> np.ndarray:
    """ACES Reference Gamut Compression (Academy 2021): distance compression.

    Per pixel, the achromatic a = max(R, G, B) and each channel's distance d = (a - c) / a
    (d > 1: the colour is outside the gamut on that channel).  Distances beyond ``threshold``
    are compressed smoothly and monotonically so that ``limits`` (per channel) land on the
    gamut edge d = 1; a and the order of the channels are kept."""
    thr, pw = threshold, RGC_POWER
    lim = np.asarray(limits, dtype=np.float64)
    scale = (lim - thr) / (((1 - thr) / (lim - thr)) ** (-pw) - 1) ** (1 / pw)
    ach = _row_max(rgb)
    ok = ach > 1e-12
    safe = np.where(ok, ach, 1.0)
    d = np.where(ok, (ach - rgb) / safe, 0.0)
    far = d > thr                     # only these are compressed (the same numbers, less work)
    e = d[far] - thr
    scales = np.broadcast_to(scale, d.shape)[far]
    d[far] = thr + e / (1 + (e / scales) ** pw) ** (1 / pw)
    return np.where(ok, ach - d * safe, rgb)


def encode_output(xyz: np.ndarray, output_space: str, gamut_compression: float,
                  extend: bool = False) -> np.ndarray:
    """Display (or, for vlog, scene) linear XYZ -> encoded output RGB in [0, 1].

    A hard clip (``gamut_compression`` 0) is a kink that a LUT cannot interpolate across
    without error in the cells next to it; with ``extend`` the transfer function continues
    smoothly beyond [0, 1] (mirrored below 0) up to EXTENDED_RANGE, and the clip is left to
    the kernel, after interpolation, where clip(encode(x)) = encode(clip(x)) exactly."""
    sp = SPACES[output_space]
    rgb = xyz @ sp.from_xyz.T
    if output_space == "vlog":
        return np.clip(transfer.vlog_encode(rgb), 0.0, 1.0)
    if gamut_compression == 0 and extend:
        enc = np.sign(rgb) * transfer.encode(np.abs(rgb), sp.transfer)
        return np.clip(enc, *EXTENDED_RANGE)
    return np.clip(transfer.encode(np.clip(rgb, 0.0, 1.0), sp.transfer), 0.0, 1.0)


def decode_input(rgb: np.ndarray, input_space: str) -> np.ndarray:
    """Encoded input values -> V-Log encoded V-Gamut (the domain every look takes)."""
    if input_space == "vlog":
        return rgb
    sp = SPACES[input_space]
    lin = transfer.decode(rgb, sp.transfer) @ rgb_to_rgb_matrix(sp, "vgamut").T
    return transfer.vlog_encode(lin)


# --- the whole look ------------------------------------------------------------------------

def render_points(look: Look, vlog_rgb: np.ndarray, output_space: str = "srgb",
                  extend: bool = False) -> np.ndarray:
    """V-Log/V-Gamut (M, 3) -> display-encoded (M, 3) float64 in the look's output space.

    ``extend``: LUT nodes for a kernel that clips after interpolating (see encode_output)."""
    v = np.asarray(vlog_rgb, dtype=np.float64).reshape(-1, 3)
    return render_linear(look, transfer.vlog_decode(v), output_space, extend)


def render_linear(look: Look, lin: np.ndarray, output_space: str = "srgb",
                  extend: bool = False) -> np.ndarray:
    """``render_points`` after its V-Log decode: scene-linear V-Gamut (M, 3) in (not changed)."""
    out_space = look.output.space or output_space
    if look.exposure is not None and look.exposure.ev != 0:
        lin = lin * 2.0 ** look.exposure.ev
    if look.lut is not None:
        return _render_imported(look, lin, out_space, extend)
    vg_to_xyz = SPACES["vgamut"].to_xyz
    if look.monochrome is not None:
        mono = monochrome_value(lin, look.monochrome.filter, look.monochrome.strength)
        lin = np.repeat(mono[:, None], 3, axis=1)
    xyz = apply_colour(lin @ vg_to_xyz.T, look)
    if look.tone is not None:
        xyz = apply_tone(xyz, look.tone, out_space, look.output.gamut_compression)
    if look.black is not None and look.black.level > 0:
        xyz = apply_black(xyz, look.black.level)
    st = look.split_tone
    if st is not None and (st.shadows > 0 or st.highlights > 0):
        xyz = apply_split_tone(xyz, st)
    out = encode_output(xyz, out_space, look.output.gamut_compression, extend)
    if look.monochrome_output:
        out = np.repeat(out[:, :1], 3, axis=1)       # exactly neutral, not just nearly
    return out


def _render_imported(look: Look, lin_vgamut: np.ndarray, out_space: str, extend: bool) -> np.ndarray:
    """An imported LUT: wrap it so it takes V-Log, and convert what it gives to ``out_space``.

    LUT values are kept as they are when the spaces agree (node values beyond [0, 1], as a
    hard-clipping look exports, then interpolate as in the original); else clipped."""
    lut = look.lut
    if lut.input_space == "vlog":
        x = transfer.vlog_encode(lin_vgamut)
    else:
        sp = SPACES[lut.input_space]
        rgb = np.clip(lin_vgamut @ rgb_to_rgb_matrix("vgamut", sp).T, 0.0, 1.0)
        x = transfer.encode(rgb, sp.transfer)
    y = look.lut_data.sample(x)
    if lut.output_space == out_space:
        return np.clip(y, *EXTENDED_RANGE) if extend else np.clip(y, 0.0, 1.0)
    y = np.clip(y, 0.0, 1.0)
    src = SPACES[lut.output_space]
    if lut.output_space == "rec709":
        # video code values meant for a BT.1886 display (ITU-R BT.1886: L = V^2.4, black 0)
        display = y ** 2.4
    else:
        display = transfer.decode(y, src.transfer)     # our own output encodings
    return encode_output(display @ src.to_xyz.T, out_space, 0.0)
