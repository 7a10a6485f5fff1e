"""Looks: a picture-making style as data, compiled to a 3D LUT from V-Log/V-Gamut.

    from lsquared.looks import resolve_look, compile_look
    look = resolve_look("standard")               # a name, or a .toml/.cube/.vlt path
    lut = compile_look(look, output_space="srgb")  # cached; lut.table float32 (N, N, N, 3)
    picture = lut.apply(vlog_image)               # float, uint8 or uint16 (H, W, 3)
    picture = apply_spatial(picture, look, seed=0)  # grain and vignette, if the look has them

See docs/looks.md for the model, the steps and the built-in looks.
"""

from __future__ import annotations

from .library import LOOKS, available_looks, resolve_look, user_looks_dir
from .model import Look

__all__ = ["LOOKS", "INPUT_SPACES", "OUTPUT_SPACES", "Look", "LookLUT", "apply_spatial",
           "available_looks", "compile_look", "resolve_look", "sample_look", "user_looks_dir"]


_COMPILE = ("INPUT_SPACES", "OUTPUT_SPACES", "LookLUT", "compile_look", "sample_look")


def __getattr__(name: str):
    """The compiler (numpy, the colour maths) and ``apply_spatial`` (numba kernels) are imported
    on first use, so listing looks or reading a look file imports neither (PEP 562)."""
    if name in _COMPILE:
        from . import compile as compiler
        return getattr(compiler, name)
    if name == "apply_spatial":
        from .spatial import apply_spatial
        return apply_spatial
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
