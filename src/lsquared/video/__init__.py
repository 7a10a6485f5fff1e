"""Video front end: looks applied to footage (lsquared.video.grade), previews (preview).

    from lsquared.video import grade_video, GradeParams
    grade_video("clip.mov", "graded.mov", "standard", GradeParams(input_space="vlog"))
"""

from .params import GradeParams

__all__ = ["FrameGrader", "GradeParams", "GradeResult", "grade_video"]


def __getattr__(name: str):
    """The grading code (PyAV, numba) is imported on first use, not with the package (PEP 562)."""
    if name in ("FrameGrader", "GradeResult", "grade_video"):
        from . import grade
        return getattr(grade, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
