"""The parameters of the video front end (the schema: defaults live only here).

Apart from the code that uses them (grade.py, preview.py import PyAV and numba), so that the
command line can build its options and help from them without loading either.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import param

# x264's and x265's speed presets (the same names in both); ProRes has none
ENCODER_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                   "veryslow", "placebo")
CRF_RANGE = (0.0, 51.0)             # x264/x265 constant rate factor (8-bit scale), lower is better


@dataclass(frozen=True, slots=True, kw_only=True)
class GradeParams:
    """Everything ``grade_video`` can be told; the defaults are the schema."""

    input_space: str = "auto"        # auto (from the stream's tags) | one of colorimetry.INPUT_SPACES
    codec: str = "auto"              # auto (the source's if h264/hevc/prores, else h264) | h264 | hevc | prores
    crf: float | None = param(None, "h264/hevc quality, lower is better; None: 18 (h264), 20 (hevc)", *CRF_RANGE)
    bitrate: int | None = param(None, "bits per second, instead of crf", 1, 10**10)
    preset: str | None = param(None, "x264/x265 speed preset (None: the encoder's, medium)",
                               choices=ENCODER_PRESETS)
    start: float | None = None       # seconds from the start of the video
    duration: float | None = None    # seconds
    lut_size: int = 65               # grid of the LUT when the input conversion is folded in
    overwrite: bool = False
    keep_partial: bool = False       # on Ctrl-C or a decode error, finish what was graded


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewParams:
    """What ``preview_clip`` can be told; the defaults are the schema."""

    input_space: str = "auto"
    start: float | None = None
    duration: float | None = 10.0    # seconds of comparison (None: the whole video)
    max_width: int = 1920            # of the side-by-side frame
    crf: float = param(18.0, "quality of the side-by-side clip (h264), lower is better", *CRF_RANGE)
    overwrite: bool = False
