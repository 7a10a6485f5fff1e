"""LUT files: .cube (1D and 3D), Panasonic .vlt, HaldCLUT PNG.  Data only, no applying.

.cube: Adobe "Cube LUT Specification" 1.0 (2013), as DaVinci Resolve reads it: keywords
TITLE "...", LUT_1D_SIZE N, LUT_3D_SIZE N, DOMAIN_MIN r g b, DOMAIN_MAX r g b (Resolve's
LUT_1D_INPUT_RANGE / LUT_3D_INPUT_RANGE lo hi are read too), '#' comments, then one "R G B"
row per node with red varying fastest.  A file may hold a 1D table (applied first, as a
shaper) and a 3D table, in that order.

.vlt: Panasonic "VARICAM 3DLUT Reference Manual" rev 1.0 (2014-11-28): line 1
``# panasonic vlt file version 1.0``, line 2 ``# source vlt file "<name>"``, line 3
``LUT_3D_SIZE 17``, line 4 empty, then 4913 rows of three 12-bit integers (0..4095), red
fastest.  The input nodes are 0, 256, 512, ..., 3840, 4095 (of 4095): uniform steps of
256/4095 with the last node clamped, so we read the grid as uniform over [0, 4096/4095].

HaldCLUT: a square PNG of level L holding the N = L^2 cube: pixel index
i = r + N g + N^2 b (red fastest) at (x, y) = (i mod L^3, i div L^3); written 16-bit.

In memory every 3D table is float32 (N, N, N, 3) indexed [r, g, b] (kernels.lut3d's
convention) and a 1D table float32 (M, 3).  Malformed files raise LutFormatError naming the
file and the line; files are streamed line by line with a size check first, so a 2 GB file
or binary junk is refused quickly and never read whole.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LutFormatError
from .atomic import atomic_write_bytes

MAX_3D_SIZE = 256                   # the .cube specification's limit
MAX_1D_SIZE = 65536
MAX_LINE = 4096                     # longer lines are not LUT text
VALUE_RANGE = (-1.0, 2.0)           # plausible output values of a display/log LUT
VLT_MAX = 4095
VLT_HEADER = "# panasonic vlt file version 1.0"


@dataclass(frozen=True, slots=True, kw_only=True)
class LutData:
    """A LUT as read from a file: a 3D table, a 1D table (shaper), or both."""
    table3d: np.ndarray | None = None           # float32 (N, N, N, 3), [r, g, b]
    table1d: np.ndarray | None = None           # float32 (M, 3)
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)
    domain1d_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain1d_max: tuple[float, float, float] = (1.0, 1.0, 1.0)
    title: str = ""
    kind: str = "cube"                          # cube | vlt | haldclut
    sha256: str = ""                            # of the file's bytes

    @property
    def size(self) -> int:
        return 0 if self.table3d is None else self.table3d.shape[0]

    @property
    def unit_domain(self) -> bool:
        return self.domain_min == (0.0, 0.0, 0.0) and self.domain_max == (1.0, 1.0, 1.0)

    def sample(self, rgb: np.ndarray) -> np.ndarray:
        """Evaluate at (M, 3) points: 1D shaper (linear) then 3D (tetrahedral); float64 out,
        not clipped (a LUT's values are what its file says)."""
        x = np.asarray(rgb, dtype=np.float64)
        if self.table1d is not None:
            lo = np.array(self.domain1d_min)
            hi = np.array(self.domain1d_max)
            t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
            nodes = np.linspace(0.0, 1.0, self.table1d.shape[0])
            x = np.stack([np.interp(t[:, c], nodes, self.table1d[:, c]) for c in range(3)], axis=1)
        if self.table3d is not None:
            lo = np.array(self.domain_min)
            hi = np.array(self.domain_max)
            x = tetrahedral_points(self.table3d, (x - lo) / (hi - lo))
        return x


def tetrahedral_points(table: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Tetrahedral interpolation (Kasson et al. 1995) of an (N, N, N, 3) table at (M, 3)
    points in [0, 1] (clamped), in float64 numpy: the compile-time twin of kernels.lut3d."""
    n = table.shape[0]
    x = np.clip(pts, 0.0, 1.0) * (n - 1)
    cell = np.minimum(x.astype(np.int64), n - 2)
    f = x - cell
    order = np.argsort(-f, axis=1, kind="stable")            # axes by falling fraction
    fs = np.take_along_axis(f, order, axis=1)
    weights = np.stack([1 - fs[:, 0], fs[:, 0] - fs[:, 1], fs[:, 1] - fs[:, 2], fs[:, 2]], axis=1)
    corner = cell.copy()
    rows = np.arange(len(pts))
    t = np.asarray(table, dtype=np.float64)
    out = weights[:, :1] * t[corner[:, 0], corner[:, 1], corner[:, 2]]
    for step in range(3):
        corner[rows, order[:, step]] += 1
        out += weights[:, step + 1:step + 2] * t[corner[:, 0], corner[:, 1], corner[:, 2]]
    return out


# --- reading ------------------------------------------------------------------------------

class _Lines:
    """Numbered text lines of a file, streamed, each at most MAX_LINE characters."""

    def __init__(self, path: Path, f):
        self.path = path
        self.f = f
        self.number = 0
        self.pending: list[str] = []

    def push_back(self, text: str) -> None:
        """Give a line back; the next ``next()`` returns it again (same line number)."""
        self.pending.append(text)

    def error(self, message: str, line: int | None = None) -> LutFormatError:
        where = f"line {line if line is not None else self.number}: "
        return LutFormatError(where + message, path=self.path)

    def next(self) -> str | None:
        if self.pending:
            return self.pending.pop()
        raw = self.f.readline(MAX_LINE + 1)
        if not raw:
            return None
        self.number += 1
        if len(raw) > MAX_LINE:
            raise self.error(f"line longer than {MAX_LINE} characters; not a LUT text file")
        if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]                 # a UTF-8 byte-order mark, as Windows editors write
        if b"\x00" in raw:
            raise self.error("not text (NUL bytes); not a LUT file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # real-world .cube files carry Latin-1 (Windows-1252) titles and comments; the
            # numbers are ASCII either way.  Control bytes other than tab/CR/LF/FF are binary.
            if any(b < 0x20 and b not in (9, 10, 12, 13) for b in raw):
                raise self.error("not text (binary data); not a LUT file") from None
            text = raw.decode("latin-1")
        return text.strip()


def _open_checked(path: Path, max_bytes: int):
    path = Path(path)
    if not path.exists():
        raise LutFormatError("no such LUT file", path=path)
    if not path.is_file():
        raise LutFormatError("not a file", path=path)
    size = path.stat().st_size
    if size > max_bytes:
        raise LutFormatError(f"file is {size / 2**20:.0f} MiB, larger than any LUT of its kind "
                             f"({max_bytes / 2**20:.0f} MiB at most); refusing to read it", path=path)
    if size == 0:
        raise LutFormatError("empty file", path=path)
    return open(path, "rb")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _decimal(token: str) -> bool:
    """ASCII digits only: str.isdigit also takes '³' and other Unicode digits that int() refuses
    (a Latin-1 byte 0xB3 in a damaged file decodes to '³')."""
    return token.isascii() and token.isdigit()


def _floats(lines: _Lines, text: str, count: int, what: str) -> list[float]:
    parts = text.split()
    if len(parts) != count:
        raise lines.error(f"{what}: expected {count} numbers, found {len(parts)}: {text[:60]!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise lines.error(f"{what}: not a number in {text[:60]!r}") from None
    if not all(np.isfinite(values)):
        raise lines.error(f"{what}: values must be finite, got {text[:60]!r}")
    return values


def _size_value(lines: _Lines, text: str, lo: int, hi: int) -> int:
    parts = text.split()
    if len(parts) != 2 or not _decimal(parts[1]):
        raise lines.error(f"bad size line {text[:60]!r}: expected '{parts[0]} N'")
    n = int(parts[1])
    if not lo <= n <= hi:
        raise lines.error(f"{parts[0]} {n} is outside {lo}..{hi}")
    return n


def _read_rows(lines: _Lines, rows: int, parse_row, bounds=None, integers=False) -> np.ndarray:
    """``rows`` data rows (comments and blank lines skipped) into a float64 (rows, 3) array.

    Rows are parsed in batches by numpy; a batch that does not parse cleanly (or has a value
    outside ``bounds``) is parsed again row by row with ``parse_row`` to name the bad line."""
    out = np.empty((rows, 3), dtype=np.float64)
    i = 0
    while i < rows:
        batch: list[tuple[int, str]] = []
        while len(batch) < min(8192, rows - i):
            text = lines.next()
            if text is None:
                end = lines.number
                _parse_each(lines, batch, parse_row)     # a bad row is the better message
                raise lines.error(f"file ends after {i + len(batch)} of {rows} rows (missing rows)", end)
            if text and not text.startswith("#"):
                batch.append((lines.number, text))
        values = None
        try:
            tokens = " ".join(t for _, t in batch).split()
            flat = np.array(tokens, dtype=np.float64)
            if integers and not all(_decimal(t) for t in tokens):
                raise ValueError
            if flat.size == 3 * len(batch) and all(len(t.split()) == 3 for _, t in batch):
                values = flat.reshape(-1, 3)
                if bounds is not None and not (np.all(values >= bounds[0]) and np.all(values <= bounds[1])):
                    values = None
        except ValueError:
            values = None
        if values is None:                       # find and name the first bad row
            values = np.array(_parse_each(lines, batch, parse_row), dtype=np.float64)
        out[i:i + len(batch)] = values
        i += len(batch)
    return out


def _parse_each(lines: _Lines, batch, parse_row) -> list:
    """Parse rows one by one, with the line counter set to each row's own line."""
    saved = lines.number
    values = []
    for number, text in batch:
        lines.number = number
        values.append(parse_row(text))
    lines.number = saved
    return values


def _cube_row(lines: _Lines):
    lo, hi = VALUE_RANGE

    def parse(text: str):
        values = _floats(lines, text, 3, "row")
        if not all(lo <= v <= hi for v in values):
            raise lines.error(f"value out of range {lo:g}..{hi:g} in {text[:60]!r}")
        return values
    return parse


def read_cube(path: str | os.PathLike) -> LutData:
    """Read a .cube file (1D, 3D, or 1D shaper + 3D)."""
    path = Path(path)
    # the largest legal file: a 256^3 table of generously formatted rows
    with _open_checked(path, max_bytes=MAX_3D_SIZE ** 3 * 64 + MAX_1D_SIZE * 64 + (1 << 20)) as f:
        lines = _Lines(path, f)
        title = ""
        size1 = size3 = 0
        dmin = dmax = None
        r1 = None
        first_row = None
        while True:
            text = lines.next()
            if text is None:
                break
            if not text or text.startswith("#"):
                continue
            key = text.split()[0].upper()
            if key == "TITLE":
                m = re.match(r'TITLE\s+"?(.*?)"?\s*$', text, re.IGNORECASE)
                title = m.group(1) if m else ""
            elif key == "LUT_1D_SIZE":
                size1 = _size_value(lines, text, 2, MAX_1D_SIZE)
            elif key == "LUT_3D_SIZE":
                size3 = _size_value(lines, text, 2, MAX_3D_SIZE)
            elif key == "DOMAIN_MIN":
                dmin = tuple(_floats(lines, text[len(key):], 3, key))
            elif key == "DOMAIN_MAX":
                dmax = tuple(_floats(lines, text[len(key):], 3, key))
            elif key in ("LUT_1D_INPUT_RANGE", "LUT_3D_INPUT_RANGE"):
                lo, hi = _floats(lines, text[len(key):], 2, key)
                r1 = (key, (lo,) * 3, (hi,) * 3)
            elif key[0].isdigit() or key[0] in "+-.":
                first_row = text
                break
            else:
                raise lines.error(f"unknown keyword {key[:40]!r}")
        if not size1 and not size3:
            raise lines.error("no LUT_1D_SIZE or LUT_3D_SIZE line before the data", lines.number)
        if first_row is None:
            raise lines.error("no data rows", lines.number)
        dmin = dmin or (0.0, 0.0, 0.0)
        dmax = dmax or (1.0, 1.0, 1.0)
        if not all(a < b for a, b in zip(dmin, dmax)):
            raise lines.error(f"DOMAIN_MIN {dmin} must be below DOMAIN_MAX {dmax}")
        d1 = d3 = (dmin, dmax)
        if r1 is not None:
            if not all(a < b for a, b in zip(r1[1], r1[2])):
                raise lines.error(f"{r1[0]}: minimum must be below maximum")
            if r1[0] == "LUT_1D_INPUT_RANGE":
                d1 = (r1[1], r1[2])
            else:
                d3 = (r1[1], r1[2])
        parse = _cube_row(lines)
        lines.push_back(first_row)
        table1d = table3d = None
        if size1:
            table1d = _read_rows(lines, size1, parse, VALUE_RANGE).astype(np.float32)
        if size3:
            rows = _read_rows(lines, size3 ** 3, parse, VALUE_RANGE)
            # red fastest in the file: row index = r + N g + N^2 b -> [b, g, r] -> [r, g, b]
            table3d = np.ascontiguousarray(
                rows.reshape(size3, size3, size3, 3).transpose(2, 1, 0, 3), dtype=np.float32)
        while (text := lines.next()) is not None:
            if text and not text.startswith("#"):
                raise lines.error(f"extra data after the last of the "
                                  f"{(size1 or 0) + size3 ** 3} rows: {text[:60]!r}")
    return LutData(table3d=table3d, table1d=table1d, domain_min=d3[0], domain_max=d3[1],
                   domain1d_min=d1[0], domain1d_max=d1[1], title=title, kind="cube",
                   sha256=_sha256(path))


def read_vlt(path: str | os.PathLike) -> LutData:
    """Read a Panasonic .vlt 3D LUT (12-bit integers, red fastest)."""
    path = Path(path)
    with _open_checked(path, max_bytes=65 ** 3 * 32 + 4096) as f:
        lines = _Lines(path, f)
        first = lines.next()
        if first is None or first.lower() != VLT_HEADER:
            raise lines.error(f"expected the header {VLT_HEADER!r}")
        title = ""
        size = 0
        while size == 0:
            text = lines.next()
            if text is None:
                raise lines.error("no LUT_3D_SIZE line", lines.number)
            if text.lower().startswith("# source vlt file"):
                m = re.search(r'"(.*)"', text)
                title = m.group(1) if m else ""
            elif text.upper().startswith("LUT_3D_SIZE"):
                size = _size_value(lines, text, 2, 65)
            elif text and not text.startswith("#"):
                raise lines.error(f"expected LUT_3D_SIZE, found {text[:60]!r}")

        def parse(text: str):
            parts = text.split()
            if len(parts) != 3 or not all(_decimal(p) for p in parts):
                raise lines.error(f"row must be three integers 0..{VLT_MAX}: {text[:60]!r}")
            values = [int(p) for p in parts]
            if max(values) > VLT_MAX:
                raise lines.error(f"value out of range 0..{VLT_MAX} in {text[:60]!r}")
            return values
        rows = _read_rows(lines, size ** 3, parse, (0, VLT_MAX), integers=True) / VLT_MAX
        while (text := lines.next()) is not None:
            if text and not text.startswith("#"):
                raise lines.error(f"extra data after the last of the {size ** 3} rows: {text[:60]!r}")
    table = np.ascontiguousarray(rows.reshape(size, size, size, 3).transpose(2, 1, 0, 3),
                                 dtype=np.float32)
    top = vlt_step(size) * (size - 1) / VLT_MAX
    return LutData(table3d=table, domain_max=(top, top, top), title=title, kind="vlt",
                   sha256=_sha256(path))


def vlt_step(size: int) -> float:
    """Input code step between .vlt nodes: 256 for the standard 17 points (4096 / 16)."""
    return (VLT_MAX + 1) / (size - 1)


def vlt_nodes(size: int = 17) -> np.ndarray:
    """The input values (0..1) of a .vlt's nodes: 0, 256, ..., 3840, 4095 over 4095."""
    return np.minimum(np.arange(size) * vlt_step(size), VLT_MAX) / VLT_MAX


def read_haldclut(path: str | os.PathLike) -> LutData:
    """Read a HaldCLUT image (PNG or TIFF; 8 or 16 bit)."""
    from PIL import Image

    path = Path(path)
    with _open_checked(path, max_bytes=1 << 30):
        pass
    try:
        with Image.open(path) as im:
            w, h = im.size
            if w != h:
                raise LutFormatError(f"HaldCLUT must be square, got {w}x{h}", path=path)
            level = round(w ** (1 / 3))
            if level ** 3 != w or not 2 <= level <= 16:
                raise LutFormatError(f"{w}x{h} is not a HaldCLUT size (level^3, level 2..16)", path=path)
            if im.mode in ("I;16", "I;16B", "I"):
                raise LutFormatError("HaldCLUT must be RGB", path=path)
    except OSError as exc:
        raise LutFormatError(f"cannot read image: {exc}", path=path) from None
    pixels = _read_rgb_image(path)
    n = level * level
    scale = 65535.0 if pixels.dtype == np.uint16 else 255.0
    rows = pixels.reshape(-1, 3).astype(np.float64) / scale
    table = np.ascontiguousarray(rows.reshape(n, n, n, 3).transpose(2, 1, 0, 3), dtype=np.float32)
    return LutData(table3d=table, kind="haldclut", title=path.stem, sha256=_sha256(path))


def _read_rgb_image(path: Path) -> np.ndarray:
    if path.suffix.lower() == ".png":
        import imagecodecs
        data = imagecodecs.png_decode(path.read_bytes())
    else:
        from PIL import Image
        with Image.open(path) as im:
            data = np.asarray(im.convert("RGB"))
    if data.ndim != 3 or data.shape[2] < 3:
        raise LutFormatError("HaldCLUT must be an RGB image", path=path)
    return np.ascontiguousarray(data[:, :, :3])


READERS = {".cube": read_cube, ".vlt": read_vlt, ".png": read_haldclut,
           ".tif": read_haldclut, ".tiff": read_haldclut}


def read_lut(path: str | os.PathLike) -> LutData:
    """Read any supported LUT file, chosen by its suffix."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise LutFormatError(f"unknown LUT file type '{path.suffix}'; use "
                             + ", ".join(READERS), path=path)
    return reader(path)


# --- writing ------------------------------------------------------------------------------

def _rows_red_fastest(table: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(table).transpose(2, 1, 0, 3)).reshape(-1, 3)


def write_cube(path: str | os.PathLike, table: np.ndarray, *, title: str = "",
               domain_min=(0.0, 0.0, 0.0), domain_max=(1.0, 1.0, 1.0),
               comments: tuple[str, ...] = (), table1d: np.ndarray | None = None) -> None:
    """Write a .cube file: 3D table (N, N, N, 3) [r, g, b] (and/or a 1D table), red fastest."""
    lines = [f"# {c}" for c in comments]
    if title:
        lines.append(f'TITLE "{title.replace(chr(34), "")}"')
    if table1d is not None:
        lines.append(f"LUT_1D_SIZE {table1d.shape[0]}")
    if table is not None:
        lines.append(f"LUT_3D_SIZE {table.shape[0]}")
    lines.append("DOMAIN_MIN {:.6f} {:.6f} {:.6f}".format(*domain_min))
    lines.append("DOMAIN_MAX {:.6f} {:.6f} {:.6f}".format(*domain_max))
    header = ("\n".join(lines) + "\n").encode()
    blocks = []
    for t in (table1d, None if table is None else _rows_red_fastest(table)):
        if t is not None:
            body = np.char.mod("%.6f", np.clip(np.asarray(t, np.float64), *VALUE_RANGE))
            blocks.append(("\n".join(" ".join(r) for r in body) + "\n").encode())

    atomic_write_bytes(path, header + b"".join(blocks), overwrite=True)


def write_vlt(path: str | os.PathLike, table: np.ndarray, *, source: str = "") -> None:
    """Write a Panasonic .vlt: ``table`` sampled at ``vlt_nodes(N)`` (N = 17 for cameras)."""
    n = table.shape[0]
    codes = np.clip(np.rint(np.asarray(table, np.float64) * VLT_MAX), 0, VLT_MAX).astype(np.int64)
    rows = _rows_red_fastest(codes)
    source = source.replace('"', "")
    text = (f'{VLT_HEADER}\n# source vlt file "{source}"\nLUT_3D_SIZE {n}\n\n'
            + "\n".join(f"{r} {g} {b}" for r, g, b in rows.tolist()) + "\n")
    atomic_write_bytes(path, text.encode(), overwrite=True)


def haldclut_level(size: int) -> int:
    level = round(size ** 0.5)
    if level * level != size or not 2 <= level <= 16:
        raise ValueError(f"a HaldCLUT holds N = level^2 nodes (4, 9, 16, ..., 256), not {size}")
    return level


def write_haldclut(path: str | os.PathLike, table: np.ndarray) -> None:
    """Write a 16-bit HaldCLUT PNG from an (N, N, N, 3) table with N a square (64 = level 8)."""
    import imagecodecs

    n = table.shape[0]
    level = haldclut_level(n)
    rows = _rows_red_fastest(np.clip(np.asarray(table, np.float64), 0.0, 1.0))
    pixels = np.rint(rows * 65535.0).astype(np.uint16).reshape(level ** 3, level ** 3, 3)
    data = imagecodecs.png_encode(pixels)
    atomic_write_bytes(path, data, overwrite=True)
