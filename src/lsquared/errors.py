"""The few exceptions lsquared raises on purpose.

Every error a user can cause (a bad file, an unknown name, an unwritable folder) is an
``LsquaredError`` whose message is one line saying what is wrong and what to do.  The CLI
prints that line and exits non-zero; anything else is a bug and shows a traceback.
"""

from __future__ import annotations


class LsquaredError(Exception):
    """Base class: a user-facing problem, described in one line."""

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None):
        self.path = str(path) if path is not None else None
        self.hint = hint
        super().__init__(message)

    def one_line(self) -> str:
        parts = []
        if self.path:
            parts.append(f"{self.path}: ")
        parts.append(str(self))
        if self.hint:
            parts.append(f" ({self.hint})")
        return "".join(parts).replace("\n", " ")


class InputError(LsquaredError):
    """An input file is missing, unreadable, truncated, corrupt or of the wrong kind."""


class UnsupportedError(InputError):
    """The input is a valid file of a kind lsquared (or LibRaw) cannot decode."""


class OutputError(LsquaredError):
    """An output cannot be written (exists, unwritable folder, encoder failure)."""


class ParameterError(LsquaredError):
    """An option or recipe value is unknown or out of range."""


class LutFormatError(InputError):
    """A LUT file (.cube, .vlt, HaldCLUT) is malformed; the message names the line."""


class VideoError(LsquaredError):
    """A video cannot be decoded, graded or encoded."""
