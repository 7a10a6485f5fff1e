"""Video front end: looks applied to footage (lsquared.video.grade), previews (preview).

    from lsquared.video import grade_video, GradeParams
    grade_video("clip.mov", "graded.mov", "standard", GradeParams(input_space="vlog"))
"""

from .grade import FrameGrader, GradeParams, GradeResult, grade_video

__all__ = ["FrameGrader", "GradeParams", "GradeResult", "grade_video"]
