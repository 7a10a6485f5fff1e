"""Compile a look into a 3D LUT, once per (look, output space, input space, size), cached.

The grid's nodes are V-Log encoded V-Gamut values (or another input encoding, for exports
such as a HaldCLUT meant for sRGB pictures); ``render.render_points`` evaluates the look's
exact float64 math at every node.  The result is kept in memory and, unless
``LSQUARED_LUT_CACHE=0``, in the user cache folder (platformdirs), keyed by the look's digest,
the spaces, the size and a hash of the compiler's own source, so a changed compiler never
reuses a stale table.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..color.spaces import SPACES
from ..errors import ParameterError
from .model import Look
from .render import decode_input, render_linear, render_points

# rec709: Rec.709 primaries (as sRGB) with the BT.709 OETF, for video (lsquared.video)
OUTPUT_SPACES = ("srgb", "display-p3", "rec2020", "rec709", "vlog")
INPUT_SPACES = ("vlog", "srgb", "rec709", "display-p3", "rec2020")
MAX_SIZE = 144                    # a level-12 HaldCLUT; a look's own default is 33 or 65
_MEMORY: OrderedDict = OrderedDict()
_MEMORY_MAX = 16
DENSE_AFTER = 20_000_000          # 8-bit pixels through one LUT before its dense table pays
_LOCK = threading.Lock()


def _code_version() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in (here / "render.py", here / "steps.py", here / "compile.py",
              here.parent / "color" / "transfer.py", here.parent / "color" / "spaces.py"):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


CODE_VERSION = _code_version()


@dataclass(frozen=True, eq=False)
class LookLUT:
    """A compiled look: ``table`` float32 (N, N, N, 3) indexed [r, g, b] over [0, 1]^3 of
    ``input_space`` values (V-Log/V-Gamut unless asked otherwise), holding display-encoded
    values in ``output_space``.  Values lie in [0, 1], except for looks that hard-clip
    (``neutral``), whose nodes continue to -0.5..1.5 so that interpolation next to the clip
    stays exact: clip after interpolating (every kernel here does)."""
    table: np.ndarray
    output_space: str
    input_space: str = "vlog"
    monochrome: bool = False
    digest: str = ""
    name: str = ""
    _prepared: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return self.table.shape[0]

    def apply(self, image: np.ndarray, *, bits: int | None = None,
              out: np.ndarray | None = None) -> np.ndarray:
        """Apply to an (H, W, 3) image of ``input_space`` values; returns a new array.

        float -> float32; uint8 -> uint8; uint16 -> uint16 holding ``bits``-bit codes in and
        out (default 16; 10 for 10-bit video)."""
        from ..kernels import lut3d        # numba: imported when a table is applied, not to list looks

        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) image, got shape {image.shape}")
        if image.dtype == np.uint8:
            return self._apply_u8(image, out)
        if image.dtype == np.uint16:
            bits = bits or 16
            key = ("u16", bits)
            if key not in self._prepared:
                self._prepared[key] = (lut3d.pack_table(self.table, float((1 << bits) - 1), 0.5),
                                       lut3d.code_tables(self.size, 1 << bits, 65536))
            packed, (ir, ig, ib, frac) = self._prepared[key]
            out = np.empty(image.shape, np.uint16) if out is None else out
            return lut3d.apply_lut3d_codes(np.ascontiguousarray(image), packed, self.size,
                                           ir, ig, ib, frac, (1 << bits) - 1, out)
        if image.dtype.kind == "f":
            if "float" not in self._prepared:
                self._prepared["float"] = lut3d.pack_table(self.table)
            out = np.empty(image.shape, np.float32) if out is None else out
            return lut3d.apply_lut3d_float(np.ascontiguousarray(image), self._prepared["float"],
                                           self.size, out)
        raise ValueError(f"unsupported image dtype {image.dtype}")

    def _apply_u8(self, image, out):
        from ..kernels import lut3d

        out = np.empty(image.shape, np.uint8) if out is None else out
        image = np.ascontiguousarray(image)
        # a dense table of every 8-bit triple costs about as much as 16.7 megapixels through
        # the per-pixel kernel: build it once that many have gone through (video), never for
        # a single picture
        calls = self._prepared.get("u8_calls", 0) + image.shape[0] * image.shape[1]
        self._prepared["u8_calls"] = calls
        if "dense" not in self._prepared and calls > DENSE_AFTER:
            self._prepared["dense"] = lut3d.dense_table_u8(self.table)
        if "dense" in self._prepared:
            return lut3d.apply_dense_u8(image, self._prepared["dense"], out)
        if "u8" not in self._prepared:
            self._prepared["u8"] = (lut3d.pack_table(self.table, 255.0, 0.5),
                                    lut3d.code_tables(self.size, 256, 256))
        packed, (ir, ig, ib, frac) = self._prepared["u8"]
        return lut3d.apply_lut3d_codes(image, packed, self.size, ir, ig, ib, frac, 255, out)


def identity_grid(size: int) -> np.ndarray:
    """(N, N, N, 3) float64 node coordinates, [r, g, b] indexed."""
    axis = np.linspace(0.0, 1.0, size)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    return np.stack([r, g, b], axis=-1)


_LINEAR_GRIDS: dict[int, np.ndarray] = {}


def _linear_grid(size: int) -> np.ndarray:
    """The identity grid's nodes V-Log decoded (M, 3), read-only: the same for every look, so
    a recompile (the lab's, on every slider move) starts from it instead of decoding again."""
    grid = _LINEAR_GRIDS.get(size)
    if grid is None:
        from ..color.transfer import vlog_decode

        grid = vlog_decode(identity_grid(size).reshape(-1, 3))
        grid.setflags(write=False)
        if len(_LINEAR_GRIDS) < 8:
            _LINEAR_GRIDS[size] = grid
    return grid


def sample_grid(look: Look, size: int, output_space: str = "srgb", input_space: str = "vlog", *,
                extend: bool = False) -> np.ndarray:
    """``sample_look`` at the identity grid's nodes: (N, N, N, 3) float64."""
    if input_space != "vlog":
        return sample_look(look, identity_grid(size), output_space, input_space, extend=extend)
    lin = _linear_grid(size)
    out = np.empty(lin.shape)
    step = 1 << 18
    for i in range(0, lin.shape[0], step):
        out[i:i + step] = render_linear(look, lin[i:i + step], output_space, extend)
    return out.reshape(size, size, size, 3)


def sample_look(look: Look, points: np.ndarray, output_space: str = "srgb",
                input_space: str = "vlog", *, extend: bool = False) -> np.ndarray:
    """The look's exact output at arbitrary input points (..., 3); float64 in [0, 1].

    ``extend`` gives LUT node values instead: where the look hard-clips, the values continue
    smoothly beyond [0, 1] (to -0.5..1.5) and the kernels clip after interpolating."""
    shape = points.shape
    flat = decode_input(np.asarray(points, np.float64).reshape(-1, 3), input_space)
    out = np.empty((flat.shape[0], 3))
    step = 1 << 18
    for i in range(0, flat.shape[0], step):
        out[i:i + step] = render_points(look, flat[i:i + step], output_space, extend)
    return out.reshape(shape)


def _check_space(name: str, allowed: tuple[str, ...], what: str) -> str:
    key = SPACES.validate(name) if name in SPACES else name
    if key not in allowed:
        raise ParameterError(f"unknown {what} '{name}'; choose one of: {', '.join(allowed)}")
    return key


def compile_look(look: Look | str, output_space: str = "srgb", size: int | None = None, *,
                 input_space: str = "vlog", search_dirs=(), disk_cache: bool | None = None) -> LookLUT:
    """The look as a 3D LUT (cached).  ``size`` defaults to the look's own (33, or 65 for
    looks that need it such as ``neutral``); ``look`` may be a name or path."""
    if isinstance(look, str):
        from .library import resolve_look
        look = resolve_look(look, search_dirs=search_dirs)
    output_space = _check_space(output_space, OUTPUT_SPACES, "output space")
    input_space = _check_space(input_space, INPUT_SPACES, "input space")
    size = look.size if size is None else int(size)
    if not 2 <= size <= MAX_SIZE:
        raise ParameterError(f"LUT size {size} is outside 2..{MAX_SIZE}")
    out_space = look.output.space or output_space
    key = (look.digest, out_space, input_space, size)
    with _LOCK:
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            return _MEMORY[key]
    use_disk = disk_cache if disk_cache is not None else os.environ.get("LSQUARED_LUT_CACHE", "1") != "0"
    table = _disk_load(key, size) if use_disk else None
    if table is None:
        table = sample_grid(look, size, out_space, input_space, extend=True).astype(np.float32)
        if use_disk:
            _disk_store(key, table)
    table.setflags(write=False)
    lut = LookLUT(table=table, output_space=out_space, input_space=input_space,
                  monochrome=look.monochrome_output, digest=look.digest, name=look.name)
    with _LOCK:
        _MEMORY[key] = lut
        while len(_MEMORY) > _MEMORY_MAX:
            _MEMORY.popitem(last=False)
    return lut


def cache_dir() -> Path:
    import platformdirs
    return Path(platformdirs.user_cache_dir("lsquared")) / "luts"


def _cache_path(key) -> Path:
    text = "|".join(map(str, key)) + "|" + CODE_VERSION
    return cache_dir() / (hashlib.sha256(text.encode()).hexdigest()[:32] + ".npy")


def _disk_load(key, size: int) -> np.ndarray | None:
    path = _cache_path(key)
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if table.shape != (size, size, size, 3) or table.dtype != np.float32 or not np.isfinite(table).all():
        return None
    return np.array(table)


def _disk_store(key, table: np.ndarray) -> None:
    """Best effort: a read-only or full cache folder only costs a recompile next time."""
    path = _cache_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".lut-", suffix=".npy", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            np.save(f, table, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass
