"""Every input issue 13 found crashing, destroying or passing silently, as a case with the
outcome it must have now (``expect``) and what the message must name (``mentions``)."""

from __future__ import annotations

import struct

from .cases import Bases, _const
from .harness import Case
from .tiff import Tiff


def _tag(data: bytes, code: int, values) -> bytes:
    tiff = Tiff(data)
    entries = tiff.find(code, raw_only=True) or tiff.find(code)
    assert entries, f"tag {code} not in the base file"
    for e in entries:
        tiff.set_values(e, values if len(values) <= e.count else values[:e.count])
    return bytes(tiff.data)


def _raw_rational(data: bytes, code: int, pairs) -> bytes:
    tiff = Tiff(data)
    for e in tiff.find(code, raw_only=True) or tiff.find(code):
        fmt = "I" if e.type == 5 else "i"
        for i, (num, den) in enumerate(pairs[:e.count]):
            struct.pack_into(tiff.bo + fmt * 2, tiff.data, e.value_at + 8 * i, num, den)
    return bytes(tiff.data)


def _matrix(values) -> list[tuple[int, int]]:
    return [(int(round(v * 10000)), 10000) for v in values]


def regression_cases(bases: Bases) -> list[Case]:
    """The cases, built lazily: nothing is read or generated until a case runs."""
    canon, sony = "canon-550d-magiclantern-2mp.dng", "sony-a7r4-linear-lossy-6mp.dng"
    dev = ["develop", "in.dng", "-o", "out.jpg"]
    jpeg = lambda: bases.jpeg                     # noqa: E731
    cases: list[Case] = []

    def raw(name, make, expect, mentions=None, argv=dev, needs=None):
        cases.append(Case(name, list(argv), {"in.dng": make}, contained=True, expect=expect,
                          mentions=mentions, needs=needs))

    def shared(name):
        return lambda: bases.shared(name)

    # tracebacks seen
    cases.append(Case("monochrome --wb auto: not applicable, a note", ["develop", "in.dng", "-o", "out.jpg",
                      "--wb", "auto"], {"in.dng": lambda: bases.mono}, contained=True, expect="accepted",
                      mentions="monochrome"))
    cases.append(Case("several inputs, one bad: the others still developed",
                      ["develop", "bad.dng", "good.jpg", "-o", "outdir"],
                      {"bad.dng": lambda: bases.demo[:5000], "good.jpg": jpeg}, expect="error",
                      mentions="1 of 2 inputs failed", must_make=("outdir/good.jpg",)))
    raw("DNG ImageWidth 0", lambda: _tag(bases.demo, 256, [0]), "error", "ImageWidth")
    raw("DNG SamplesPerPixel 0 (develop)", lambda: _tag(bases.demo, 277, [0]), "error", "SamplesPerPixel")
    raw("DNG SamplesPerPixel 0 (info)", lambda: _tag(bases.demo, 277, [0]), "error", "SamplesPerPixel",
        ["info", "in.dng"])
    raw("linear DNG SamplesPerPixel 4", lambda: _tag(bases.shared(sony), 277, [4]), "error", "SamplesPerPixel",
        needs=sony)
    raw("DNG DefaultCropOrigin outside the image",
        lambda: _raw_rational(bases.shared(canon), 50719, [(5000, 1), (10, 1)]), "error", "DefaultCropOrigin",
        needs=canon)
    raw("DNG ColorMatrix1 singular",
        lambda: _raw_rational(bases.shared(canon), 50721, _matrix([1, 2, 3, 2, 4, 6, 1, 1, 1])), "error",
        "ColorMatrix1", needs=canon)
    raw("DNG ColorMatrix1 absurd",
        lambda: _raw_rational(bases.shared(canon), 50721, _matrix([1e5, 0, 0, 0, 1, 0, 0, 0, 1])), "error",
        "ColorMatrix1", needs=canon)
    raw("DNG ColorMatrix1 singular (demo)", lambda: _raw_rational(bases.demo, 50721, _matrix([1, 1, 1] * 3)),
        "error", "ColorMatrix1")
    raw("DNG BaselineExposure absurd", lambda: _raw_rational(bases.demo, 50730, [(-10**9, 1)]), "error",
        "BaselineExposure")

    # silent nonsense
    raw("DNG WhiteLevel below black", lambda: _tag(bases.shared(canon), 50717, [1000]), "error", "WhiteLevel",
        needs=canon)
    raw("DNG WhiteLevel equal to black", lambda: _tag(bases.shared(canon), 50717, [2056]), "error", "WhiteLevel",
        needs=canon)
    raw("DNG random CFA pattern", lambda: _tag(bases.shared(canon), 33422, [0, 0, 1, 2]), "error", "CFAPattern",
        needs=canon)
    raw("DNG CFA pattern RBGR (found by the fuzz suite: a traceback in the demosaic)",
        lambda: _tag(bases.demo, 33422, [0, 2, 1, 0]), "error", "CFAPattern")
    raw("DNG SamplesPerPixel 4 on a mosaic", lambda: _tag(bases.demo, 277, [4]), "error", "SamplesPerPixel")

    # recipes
    for name, toml, mention in [
        ("recipe exposure.auto_ev = 1e9", "[exposure]\nauto = true\nauto_ev = 1e9\n", "auto_ev"),
        ("recipe exposure.auto_ev = nan", "[exposure]\nauto = true\nauto_ev = nan\n", "auto_ev"),
        ("recipe unknown color.adaptation", '[color]\nadaptation = "vonkries2"\n', "adaptation"),
        ("recipe white_balance.neutral <= 0", "[white_balance]\nneutral = [0.0, 1.0, -1.0]\n", "neutral"),
        ("recipe highlights.threshold nan", "[highlights]\nthreshold = nan\n", "threshold"),
        ("recipe highlights.threshold 0", "[highlights]\nthreshold = 0.0\n", "threshold"),
        ("recipe highlights.threshold 2", "[highlights]\nthreshold = 2.0\n", "threshold"),
        ("recipe lens.scale negative", "[lens]\nscale = -1.0\n", "scale"),
        ("recipe output.format bmp", '[output]\nformat = "bmp"\n', "format"),
        ("recipe unknown white-balance mode", '[white_balance]\nmode = "sunny"\n', "mode"),
    ]:
        cases.append(Case(name, ["develop", "in.jpg", "--recipe", "r.toml", "-o", "out.jpg"],
                          {"r.toml": _const(toml.encode()), "in.jpg": jpeg}, expect="error",
                          mentions=mention))

    # command lines
    two = {"a.jpg": jpeg, "b.jpg": jpeg}
    cases.append(Case("-o same.jpg with two inputs", ["develop", "a.jpg", "b.jpg", "-o", "same.jpg"], two,
                      expect="error", mentions="folder"))
    cases.append(Case("--bit-depth 16 with JPEG", ["develop", "a.jpg", "-o", "out.jpg", "--bit-depth", "16"], two,
                      expect="error", mentions="8 bits"))
    cases.append(Case('-o ""', ["develop", "a.jpg", "-o", ""], two, expect="error", mentions="output"))
    cases.append(Case('--exposure ""', ["develop", "a.jpg", "-o", "out.jpg", "--exposure", ""], two,
                      expect="error", mentions="exposure"))
    cases.append(Case("--exposure nan", ["develop", "a.jpg", "-o", "out.jpg", "--exposure", "nan"], two,
                      expect="error", mentions="exposure"))
    cases.append(Case("never write over the input", ["develop", "a.jpg", "-o", "a.jpg", "--overwrite"], two,
                      expect="error", mentions="input"))

    # found by the fuzz suite: a Latin-1 byte read as a Unicode digit
    cases.append(Case("vlt row with a superscript digit", ["develop", "in.jpg", "--look", "l.vlt", "-o", "out.jpg"],
                      {"l.vlt": lambda: bases.vlt.replace(b"\n0 ", b"\n\xb30 ", 1), "in.jpg": jpeg},
                      expect="error", mentions="line"))

    # video options the encoder would answer with a bare "Invalid argument"
    clip = {"clip.mp4": lambda: bases.clip}
    for name, extra, mention in [("video --preview --port 99999", ["--preview", "--port", "99999"], "--port"),
                                 ("video --preset nope", ["--preset", "nope", "-o", "out.mp4"], "--preset.*veryslow"),
                                 ("video --crf 99", ["--crf", "99", "-o", "out.mp4"], "--crf.*0..51")]:
        cases.append(Case(name, ["video", "clip.mp4", *extra], clip, expect="error", mentions=mention))

    # LUT files real-world tools write
    for name, make in [("cube with a UTF-8 BOM", lambda: b"\xef\xbb\xbf" + bases.cube),
                       ("cube with a Latin-1 title", lambda: b'TITLE "Caf\xe9 \xa9 Studio"\n' + bases.cube)]:
        cases.append(Case(name, ["develop", "in.jpg", "--look", "l.cube", "-o", "out.jpg"],
                          {"l.cube": make, "in.jpg": jpeg}, expect="accepted"))
    return cases
