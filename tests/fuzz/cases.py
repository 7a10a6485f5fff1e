"""The fuzz cases: seeded mutations of raw files, LUT files, recipes and command lines, and the
regression cases of issue 13 (every input that once crashed, destroyed or passed silently).

``Bases`` builds the unmutated inputs once per run (the shared camera files, a small demo DNG
from the synthetic camera, a monochrome one, a small JPEG, a .cube and a .vlt exported from a
look, the default recipe).  Each generator takes a ``random.Random`` and returns a ``Case``;
the same seed gives the same case, so a failure is reproduced with its seed.
"""

from __future__ import annotations

import functools
import math
import random
import struct
from pathlib import Path
from typing import Callable

from .harness import Case
from .tiff import Tiff

REPO = Path(__file__).resolve().parents[2]


class Bases:
    """The unmutated inputs, as bytes, built lazily and once."""

    def __init__(self, scratch: Path | None = None):
        self._scratch = scratch

    @functools.cached_property
    def scratch(self) -> Path:
        """Where the generated bases are written: the given folder, else a temporary one removed at exit."""
        if self._scratch is None:
            import atexit
            import shutil
            import tempfile

            self._scratch = Path(tempfile.mkdtemp(prefix="lsquared-fuzz-bases-"))
            atexit.register(shutil.rmtree, self._scratch, True)
        self._scratch.mkdir(parents=True, exist_ok=True)
        return self._scratch

    @functools.cached_property
    def shared_paths(self) -> dict[str, Path]:
        """The shared camera files under 50 MB (the 60 MP one is left out: too slow to copy per case)."""
        import sys

        sys.path.insert(0, str(REPO / "tests"))
        from shared_data import raw_files

        return {p.name: p for p in raw_files() if p.stat().st_size < 50 << 20}

    @functools.lru_cache(maxsize=8)
    def shared(self, name: str) -> bytes:
        return self.shared_paths[name].read_bytes()

    def _demo(self, name: str, **kw) -> bytes:
        from lsquared.synth.demo import make_demo_raw

        path = self.scratch / name
        if not path.exists():
            make_demo_raw(path, size=(240, 160), **kw)
        return path.read_bytes()

    @functools.cached_property
    def demo(self) -> bytes:
        return self._demo("demo.dng")

    @functools.cached_property
    def mono(self) -> bytes:
        return self._demo("mono.dng", cfa=None)

    @functools.cached_property
    def jpeg(self) -> bytes:
        import imagecodecs
        import numpy as np

        y, x = np.mgrid[0:48, 0:64]
        rgb = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).clip(0, 255).astype(np.uint8)
        return bytes(imagecodecs.jpeg8_encode(rgb, level=90))

    def _lut(self, kind: str) -> bytes:
        from lsquared.looks import compile_look, resolve_look
        from lsquared.io import lutfile

        path = self.scratch / f"look.{kind}"
        if not path.exists():
            lut = compile_look(resolve_look("standard"), output_space="srgb", size=17 if kind == "vlt" else 9)
            (lutfile.write_vlt if kind == "vlt" else lutfile.write_cube)(path, lut.table)
        return path.read_bytes()

    @functools.cached_property
    def cube(self) -> bytes:
        return self._lut("cube")

    @functools.cached_property
    def vlt(self) -> bytes:
        return self._lut("vlt")

    @functools.cached_property
    def clip(self) -> bytes:
        """Three 64x48 frames of H.264 (PyAV, the project's own video dependency)."""
        import av
        import numpy as np

        path = self.scratch / "clip.mp4"
        if not path.exists():
            with av.open(str(path), "w") as out:
                stream = out.add_stream("libx264", rate=10)
                stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
                for i in range(3):
                    frame = np.full((48, 64, 3), 40 * i + 60, np.uint8)
                    frame[:, :32, 0] = 200
                    for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                        out.mux(packet)
                for packet in stream.encode():
                    out.mux(packet)
        return path.read_bytes()

    @functools.cached_property
    def recipe(self) -> dict:
        from lsquared.pipeline.recipe import Recipe, recipe_to_dict

        return recipe_to_dict(Recipe())


def _const(data: bytes) -> Callable[[], bytes]:
    return lambda: data


# ----------------------------------------------------------------------------- raw files

# TIFF/DNG tags and values a damaged or hostile header may hold
TAG_VALUES: dict[int, tuple[str, list]] = {
    256: ("ImageWidth", [0, 1, 3, 7, 65535, 2**31, 2**32 - 1]),
    257: ("ImageLength", [0, 1, 2, 65535, 2**31, 2**32 - 1]),
    258: ("BitsPerSample", [0, 1, 7, 17, 32, 33, 255, 65535]),
    259: ("Compression", [0, 2, 5, 8, 34892, 65535]),
    262: ("PhotometricInterpretation", [0, 1, 2, 6, 32803, 34892, 65535]),
    277: ("SamplesPerPixel", [0, 2, 3, 4, 5, 255, 65535]),
    278: ("RowsPerStrip", [0, 1, 3, 2**31]),
    284: ("PlanarConfiguration", [0, 2, 3]),
    322: ("TileWidth", [0, 1, 15, 65535, 2**31]),
    323: ("TileLength", [0, 1, 15, 65535, 2**31]),
    273: ("StripOffsets", [0, 8, 2**31, 2**32 - 1]),
    324: ("TileOffsets", [0, 8, 2**31, 2**32 - 1]),
    279: ("StripByteCounts", [0, 1, 2**31, 2**32 - 1]),
    325: ("TileByteCounts", [0, 1, 2**31, 2**32 - 1]),
    274: ("Orientation", [0, 9, 255, 65535]),
    33421: ("CFARepeatPatternDim", [0, 1, 3, 6, 255]),
    33422: ("CFAPattern", [0, 1, 2, 3, 7, 255]),
    50714: ("BlackLevel", [0, 1, 15000, 65535, 2**31]),
    50717: ("WhiteLevel", [0, 1, 100, 2056, 65535, 2**32 - 1]),
    50719: ("DefaultCropOrigin", [(0, 1), (100000, 1), (1, 0), (2**31, 1)]),
    50720: ("DefaultCropSize", [(0, 1), (1, 1), (100000, 1), (1, 0)]),
    50829: ("ActiveArea", [0, 1, 65535, 2**31]),
    50721: ("ColorMatrix1", [(0, 1), (1, 0), (10**9, 1), (-(10**6), 1), (1, 1)]),
    50722: ("ColorMatrix2", [(0, 1), (1, 0), (10**9, 1), (1, 1)]),
    50728: ("AsShotNeutral", [(0, 1), (1, 0), (10**6, 1), (1, 10**6)]),
    50730: ("BaselineExposure", [(10**9, 1), (-(10**9), 1), (1, 0), (40, 1)]),
    50712: ("LinearizationTable", [0, 1, 65535]),
    50713: ("BlackLevelRepeatDim", [0, 1, 2, 255, 65535]),
    51009: ("OpcodeList2", [0, 1, 255]),
}


def _edit_tag(data: bytes, rng: random.Random, code: int) -> tuple[bytes, str]:
    tiff = Tiff(data)
    entries = (tiff.find(code, raw_only=True) if rng.random() < 0.8 else []) or tiff.find(code)
    if not entries:
        return data, f"{TAG_VALUES[code][0]} absent"
    entry = rng.choice(entries)
    name, pool = TAG_VALUES[code]
    how = rng.random()
    if entry.type in (5, 10):
        value = rng.choice(pool)
        value = value if isinstance(value, tuple) else (value, 1)
        if entry.type == 5:
            value = (abs(value[0]) % 2**32, value[1] % 2**32)
        n = entry.count if how < 0.5 else 1
        values = [value] * n
        if how >= 0.5 and entry.count > 1:          # one entry of several
            values = None
            pos = rng.randrange(entry.count)
            fmt = "I" if entry.type == 5 else "i"
            struct.pack_into(tiff.bo + fmt * 2, tiff.data, entry.value_at + 8 * pos, *value)
        if values is not None:
            tiff.set_values(entry, values)
        return bytes(tiff.data), f"{name}[{'all' if values else 'one'}] = {value[0]}/{value[1]}"
    value = rng.choice(pool)
    if isinstance(value, tuple):
        value = value[0]
    limit = {1: 255, 3: 65535, 4: 2**32 - 1, 6: 127, 7: 255, 8: 32767, 9: 2**31 - 1}.get(entry.type, 255)
    value = int(value) % (limit + 1)
    if how < 0.6 or entry.count == 1:
        tiff.set_values(entry, [value] * entry.count)
        what = "all"
    else:
        size = {1: 1, 3: 2, 4: 4, 6: 1, 7: 1, 8: 2, 9: 4}.get(entry.type, 1)
        pos = rng.randrange(entry.count)
        fmt = {1: "B", 3: "H", 4: "I", 6: "b", 7: "B", 8: "h", 9: "i"}.get(entry.type, "B")
        struct.pack_into(tiff.bo + fmt, tiff.data, entry.value_at + size * pos, value)
        what = f"#{pos}"
    return bytes(tiff.data), f"{name}[{what}] = {value}"


def _random_cfa(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    tiff = Tiff(data)
    entries = tiff.find(33422)
    if not entries:
        return data, "no CFAPattern"
    e = entries[0]
    pattern = [rng.choice((0, 1, 2)) for _ in range(e.count)]
    tiff.set_values(e, pattern)
    return bytes(tiff.data), f"CFAPattern = {pattern}"


def mutate_raw(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One seeded damage of a raw file: truncation, byte flips (mostly in the header), a tag
    edit, a random CFA pattern, an IFD loop."""
    kind = rng.choices(["truncate", "flip", "tag", "cfa", "loop"], weights=[2, 3, 8, 1, 1])[0]
    if kind == "truncate":
        cut = rng.choice([rng.randrange(8, 4096), rng.randrange(8, len(data))])
        return data[:cut], f"truncated at {cut} of {len(data)}"
    if kind == "flip":
        out = bytearray(data)
        header = min(len(data), 16384)
        n = rng.choice((1, 2, 4, 16))
        spots = []
        for _ in range(n):
            at = rng.randrange(header) if rng.random() < 0.8 else rng.randrange(len(data))
            out[at] ^= 1 << rng.randrange(8)
            spots.append(at)
        return bytes(out), f"bits flipped at {spots}"
    if not data.startswith((b"II", b"MM")):
        return mutate_raw(data, random.Random(rng.random())) if kind != "flip" else (data, "")
    if kind == "tag":
        present = [c for c in TAG_VALUES if Tiff(data).find(c)]
        return _edit_tag(data, rng, rng.choice(present))
    if kind == "cfa":
        return _random_cfa(data, rng)
    tiff = Tiff(data)
    if rng.random() < 0.5 and tiff.point_subifd_at_ifd0():
        return bytes(tiff.data), "SubIFD points at IFD0"
    tiff.loop_ifd(rng.choice(tiff.ifds))
    return bytes(tiff.data), "IFD chain loops on itself"


def raw_case(bases: Bases, seed: int) -> Case:
    rng = random.Random(seed)
    sources = {"demo.dng": lambda: bases.demo, "mono.dng": lambda: bases.mono}
    for name in bases.shared_paths:
        sources[name] = functools.partial(bases.shared, name)
    weights = {"demo.dng": 6, "mono.dng": 1, "canon-550d-magiclantern-2mp.dng": 3}
    names = sorted(sources)
    name = rng.choices(names, weights=[weights.get(n, 1) for n in names])[0]
    data = sources[name]()
    suffix = Path(name).suffix
    big = len(data) > (8 << 20)
    mutated, what = mutate_raw(data, rng)
    command = "info" if big or rng.random() < 0.2 else "develop"
    argv = ["info", "in" + suffix] if command == "info" else ["develop", "in" + suffix, "-o", "out.jpg"]
    return Case(f"raw#{seed} {name}: {what} ({command})", argv, {"in" + suffix: _const(mutated)},
                contained=True)


# ----------------------------------------------------------------------------- LUT files

_NUMBERS = ["nan", "inf", "-inf", "1e40", "-5", "abc", "", "0x10", "1,5", "3.0.1", "-0", "1e-40"]


def mutate_lut_text(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    kind = rng.choice(["number", "size", "delete", "duplicate", "truncate", "flip", "columns", "crlf",
                       "bom", "latin1"])
    if kind == "number":
        i = rng.randrange(len(lines))
        parts = lines[i].split(b" ")
        if parts:
            parts[rng.randrange(len(parts))] = rng.choice(_NUMBERS).encode()
        lines[i] = b" ".join(parts)
        return b"\n".join(lines), f"line {i + 1} number -> {lines[i][:40]!r}"
    if kind == "size":
        value = rng.choice(["0", "1", "2", "3", "65", "257", "-1", "1000000000", "17.5", "x"])
        out = [(ln.split(b" ")[0] + b" " + value.encode()) if ln.startswith(b"LUT_3D_SIZE") else ln for ln in lines]
        return b"\n".join(out), f"LUT_3D_SIZE {value}"
    if kind == "delete":
        i = rng.randrange(len(lines))
        return b"\n".join(lines[:i] + lines[i + 1:]), f"line {i + 1} deleted"
    if kind == "duplicate":
        i = rng.randrange(len(lines))
        return b"\n".join(lines[:i + 1] + lines[i:]), f"line {i + 1} doubled"
    if kind == "truncate":
        cut = rng.randrange(1, len(data))
        return data[:cut], f"truncated at {cut}"
    if kind == "flip":
        out = bytearray(data)
        at = rng.randrange(len(out))
        out[at] ^= 1 << rng.randrange(8)
        return bytes(out), f"bit flipped at {at}"
    if kind == "columns":
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + b" 0.5"
        return b"\n".join(lines), f"line {i + 1} has a fourth column"
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n"), "CRLF line ends"
    if kind == "bom":
        return b"\xef\xbb\xbf" + data, "UTF-8 byte-order mark"
    return b'TITLE "Caf\xe9 cr\xe8me \xa9 2019"\n' + data if not data.startswith(b"# panasonic") \
        else data.replace(b"\n", b"\n# caf\xe9\n", 1), "Latin-1 title"


def lut_case(bases: Bases, seed: int) -> Case:
    rng = random.Random(seed)
    kind = rng.choice(["cube", "vlt"])
    mutated, what = mutate_lut_text(bases.cube if kind == "cube" else bases.vlt, rng)
    lut = f"look.{kind}"
    if rng.random() < 0.3:
        argv = ["look", "show", lut, "--no-swatch"]
    else:
        argv = ["develop", "in.jpg", "--look", lut, "-o", "out.jpg"]
    return Case(f"lut#{seed} .{kind}: {what}", argv, {lut: _const(mutated), "in.jpg": lambda: bases.jpeg})


# ----------------------------------------------------------------------------- recipes

_VALUES = [math.nan, math.inf, -math.inf, 0, -1, 1e9, 1e-9, 0.5, 2, 16, "", "bmp", "sunny", "auto", True,
           [1, 2], [0, 0, 0], [0.5, 1.0, -2.0], {"a": 1}]


def mutate_recipe(recipe: dict, rng: random.Random) -> tuple[bytes, str]:
    import tomli_w

    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in recipe.items()}
    kind = rng.choices(["value", "unknown", "section", "syntax"], weights=[8, 1, 1, 2])[0]
    if kind == "syntax":
        text = tomli_w.dumps(data).encode()
        cut = rng.randrange(1, len(text))
        return (text[:cut] + rng.choice([b"", b"= =", b"[[", b"\xff"])), f"broken at byte {cut}"
    sections = [k for k, v in data.items() if isinstance(v, dict)]
    section = rng.choice(sections)
    if kind == "section":
        data[section] = rng.choice([1, "x", [1]])
        return tomli_w.dumps(data).encode(), f"[{section}] replaced by a value"
    if kind == "unknown":
        data[section]["frobnicate"] = 1
        return tomli_w.dumps(data).encode(), f"unknown field {section}.frobnicate"
    from lsquared.pipeline.recipe import Recipe
    import dataclasses

    params = getattr(Recipe(), section)
    field_name = rng.choice([f.name for f in dataclasses.fields(params)])
    value = rng.choice(_VALUES)
    data[section][field_name] = value
    return tomli_w.dumps(data).encode(), f"{section}.{field_name} = {value!r}"


def recipe_case(bases: Bases, seed: int) -> Case:
    rng = random.Random(seed)
    text, what = mutate_recipe(bases.recipe, rng)
    raw = rng.random() < 0.2
    source = ("in.dng", lambda: bases.demo) if raw else ("in.jpg", lambda: bases.jpeg)
    return Case(f"recipe#{seed}: {what}", ["develop", source[0], "--recipe", "r.toml", "-o", "out.jpg"],
                {"r.toml": _const(text), source[0]: source[1]}, contained=raw)


# ----------------------------------------------------------------------------- command lines

_OPTIONS = {
    "--look": ["standard", "nope", "", "../etc/passwd", "look.cube"],
    "--wb": ["auto", "as-shot", "5500", "99999", "0", "-1", "", "nan", "sunny", "3200K"],
    "--tint": ["0", "nan", "1e9", "-200", "x", ""],
    "--exposure": ["0", "+0.7", "auto", "auto+1", "auto+", "nan", "inf", "1e9", "-11", "", "x"],
    "--demosaic": ["auto", "bilinear", "rcd", "nope", ""],
    "--highlights": ["clip", "reconstruct", "nope", ""],
    "--denoise": ["auto", "off", "0.5", "-1", "nan", "1e9", ""],
    "--lens": ["auto", "off", "nope", ""],
    "--focal-length": ["50", "0", "-1", "nan", "1e9", "x"],
    "--aperture": ["2.8", "0", "nan", "x"],
    "--sharpen": ["off", "0.5", "-1", "nan", "99", ""],
    "--format": ["jpeg", "png", "tiff", "bmp", "", "JPG"],
    "--quality": ["90", "0", "101", "-5", "x", ""],
    "--bit-depth": ["8", "16", "12", "0", "x", ""],
    "--output-space": ["srgb", "rec2020", "vlog", "nope", ""],
    "--input-space": ["srgb", "vlog", "nope", ""],
    "-o": ["out.jpg", "", "out.bmp", "sub/out.png", "out", "in.jpg", "./in.jpg", "."],
}


def cli_case(bases: Bases, seed: int) -> Case:
    rng = random.Random(seed)
    files = {"in.jpg": lambda: bases.jpeg, "look.cube": lambda: bases.cube}
    if rng.random() < 0.15:
        argv = rng.choice([["look", "show", rng.choice(["standard", "nope", "", "look.cube"])],
                           ["look", "list", "--reference"], ["info", rng.choice(["in.jpg", "missing.dng", ""])],
                           ["look", "export", "standard", "-o", "x.cube", "--size", rng.choice(["0", "1", "17", "999"])],
                           ["develop"], ["nope"], ["develop", "--help"]])
        return Case(f"cli#{seed}: {' '.join(argv)}", argv, files)
    argv = ["develop", "in.jpg"]
    chosen = rng.sample(sorted(_OPTIONS), rng.choice((1, 1, 2, 3)))
    for option in chosen:
        argv += [option, rng.choice(_OPTIONS[option])]
    if "-o" not in chosen:
        argv += ["-o", "out.jpg"]
    return Case(f"cli#{seed}: {' '.join(argv)}", argv, files)


GENERATORS: dict[str, Callable[[Bases, int], Case]] = {
    "raw": raw_case, "lut": lut_case, "recipe": recipe_case, "cli": cli_case,
}
