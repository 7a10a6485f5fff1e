"""io.video pieces that need no clip: output formats, plane views, timestamps in messages."""

from __future__ import annotations

import numpy as np
import pytest
from videoclips import av

from lsquared.errors import OutputError
from lsquared.io.video import VideoWriter, _ts, output_format, plane_arrays


@pytest.mark.parametrize("codec,sub,bits,want", [
    ("h264", (1, 1), 8, "yuv420p"),
    ("h264", (1, 0), 10, "yuv422p10le"),
    ("h264", (0, 0), 12, "yuv444p10le"),        # x264 has no 12-bit: the nearest
    ("hevc", (1, 1), 12, "yuv420p12le"),
    ("hevc", (1, 1), 10, "yuv420p10le"),
    ("prores", (1, 1), 8, "yuv422p10le"),       # ProRes is 4:2:2 or 4:4:4, 10-bit
    ("prores", (0, 0), 10, "yuv444p10le"),
])
def test_output_format_keeps_layout_and_depth_where_the_encoder_can(codec, sub, bits, want):
    assert output_format(codec, sub, bits) == want


def test_plane_views_share_the_frame_buffers():
    frame = av.VideoFrame(36, 10, "yuv420p10le")
    y, cb, cr = plane_arrays(frame, np.uint16)
    assert y.dtype == np.uint16 and y.shape[0] == 10 and y.shape[1] >= 36 and cb.shape[0] == 5
    y[:, :36] = 1000
    again = plane_arrays(frame, np.uint16)[0]
    assert (again[:, :36] == 1000).all()


def test_timestamps_in_messages():
    assert _ts(3723.5) == "01:02:03.500" and _ts(None) == "?"


def test_writer_refuses_before_touching_anything(tmp_path):
    with pytest.raises(OutputError, match="unknown video container"):
        VideoWriter(tmp_path / "x.avi")
    with pytest.raises(OutputError, match="folder does not exist"):
        VideoWriter(tmp_path / "missing" / "x.mp4")
    (tmp_path / "d.mp4").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        VideoWriter(tmp_path / "d.mp4", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["d.mp4"]
