"""lsquared: an open picture engine.

The small public API: ``open_raw``, ``develop``, ``save``, ``demosaic``, ``Recipe``, ``Look``.
Heavy modules are imported lazily so that ``import lsquared`` stays quick.
"""

from __future__ import annotations

import importlib
import os
import warnings

# Idle OpenMP workers (numba's parallel loops) otherwise spin for a while after each loop,
# taking a core from the codecs and decoders that run between our kernels (measured: video
# end to end 7-10 % slower).  Must be set before the OpenMP runtime starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

# colour-science warns at import that matplotlib is absent; we never plot through it.
warnings.filterwarnings("ignore", message='.*"Matplotlib" related API features are not available.*')

_LAZY = {
    "open_raw": ("lsquared.io.raw", "open_raw"),
    "develop": ("lsquared.pipeline.run", "develop"),
    "save": ("lsquared.pipeline.run", "save"),
    "demosaic": ("lsquared.ops.demosaic", "demosaic_array"),
    "Recipe": ("lsquared.pipeline.recipe", "Recipe"),
    "Look": ("lsquared.looks", "Look"),
    "Frame": ("lsquared.frame", "Frame"),
    "LsquaredError": ("lsquared.errors", "LsquaredError"),
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lsquared' has no attribute {name!r}")
