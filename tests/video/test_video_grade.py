"""End to end: grade real clips made by ffmpeg and check what must survive, with ffprobe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsquared.errors import InputError, OutputError, UnsupportedError, VideoError
from lsquared.video import GradeParams, grade_video

from videoclips import av, clips, colorimetric_table, ffprobe_json, packets, rgb_frames, video_pts  # noqa: F401

pytestmark = pytest.mark.slow


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".partial" in p.name]


def stream_times(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [round(float(p * s.time_base), 6) for p in video_pts(path)]


def test_graded_copy_keeps_streams_timestamps_chapters_rotation(clips, tmp_path, colorimetric_table):
    src = clips["full.mp4"]
    out = tmp_path / "graded.mp4"
    result = grade_video(src, out, colorimetric_table)
    assert result.frames == len(video_pts(src)) == len(video_pts(out)) == 30
    # variable frame rate: the same presentation times, gap included
    assert stream_times(out) == stream_times(src)
    assert max(np.diff(stream_times(out))) > 0.25 > 0.05 > min(np.diff(stream_times(out)))
    # audio and subtitle packets copied byte for byte, at the same times
    assert packets(out, "audio") == packets(src, "audio")
    assert packets(out, "subtitle") == packets(src, "subtitle")
    probe = ffprobe_json(out, "-show_chapters", "-show_streams", "-show_format")
    src_probe = ffprobe_json(src, "-show_chapters", "-show_streams", "-show_format")
    assert [(c["start_time"], c["end_time"], c["tags"]["title"]) for c in probe["chapters"]] == \
        [(c["start_time"], c["end_time"], c["tags"]["title"]) for c in src_probe["chapters"]]
    assert probe["format"]["tags"]["title"] == "lsquared test"
    video = [s for s in probe["streams"] if s["codec_type"] == "video"][0]
    rotation = [sd.get("rotation") for sd in video.get("side_data_list", []) if "rotation" in sd]
    assert rotation == [90]
    assert (video["color_primaries"], video["color_transfer"], video["color_range"]) == ("bt709", "bt709", "tv")
    assert video["color_space"] == "smpte170m"          # 240 lines: the SD matrix, and tagged so
    assert float(video["duration"]) == pytest.approx(
        float([s for s in src_probe["streams"] if s["codec_type"] == "video"][0]["duration"]), abs=0.041)
    assert leftovers(tmp_path) == []


def test_ten_bit_source_stays_ten_bit(clips, tmp_path, colorimetric_table):
    """A lossless 10-bit ramp through rec709 -> V-Log -> colorimetric Rec.709 (near identity)
    keeps more than 900 of its 1024 levels: no 8-bit step anywhere."""
    out = tmp_path / "gradient.mkv"
    result = grade_video(clips["gradient10.mkv"], out, colorimetric_table,
                         GradeParams(input_space="rec709", codec="h264", crf=4))
    assert result.pix_fmt == "yuv420p10le"
    with av.open(str(out)) as c:
        frame = next(c.decode(video=0))
        assert frame.format.name == "yuv420p10le" and frame.color_range == 2
        y = np.frombuffer(frame.planes[0], np.uint16).reshape(frame.height, -1)[:, :frame.width]
    assert len(np.unique(y)) > 900


def test_first_frame_equals_develop_of_that_frame(clips, tmp_path):
    """The same look on the first frame of a clip and, through lsquared.develop, on that frame
    exported as an image: PSNR >= 40 dB (lossless intra 4:4:4 in and out)."""
    tifffile = pytest.importorskip("tifffile")
    import lsquared

    src = clips["intra444.mp4"]
    out = tmp_path / "graded.mp4"
    grade_video(src, out, "standard", GradeParams(input_space="rec709", codec="h264", crf=0))
    frame = rgb_frames(src)[0]                          # exported by ffmpeg/zimg, not by us
    still = tmp_path / "frame.tif"
    tifffile.imwrite(still, np.round(np.clip(frame, 0, 1) * 65535).astype(np.uint16), photometric="rgb")
    developed = lsquared.develop(still, look="standard", input_space="rec709", output_space="rec709",
                                 bit_depth=16)
    want = np.asarray(developed) / 65535.0
    got = np.clip(rgb_frames(out)[0], 0, 1)
    mse = np.mean((got - want) ** 2)
    psnr = 10 * np.log10(1.0 / mse)
    assert psnr >= 40.0, psnr


def test_trim_start_and_duration(clips, tmp_path, colorimetric_table):
    out = tmp_path / "trim.mp4"
    result = grade_video(clips["long.mp4"], out, colorimetric_table, GradeParams(start=1.0, duration=1.5))
    times = stream_times(out)
    assert result.frames == len(times) == 38           # frames at 1.00 .. 2.48 s
    assert times[0] == pytest.approx(0.0, abs=1e-6)


def test_trim_keeps_the_audio_and_subtitles_of_the_range(clips, tmp_path, colorimetric_table):
    out = tmp_path / "trim.mp4"
    grade_video(clips["full.mp4"], out, colorimetric_table, GradeParams(start=0.2, duration=0.8))
    audio = packets(out, "audio")
    src = [(t - 0.2, data) for t, data in packets(clips["full.mp4"], "audio") if 0.2 - 1e-6 <= t < 1.0]
    assert [d for _, d in audio] == [d for _, d in src]              # the same packets, unchanged
    assert audio[0][0] == pytest.approx(src[0][0], abs=1e-3) and audio[-1][0] < 0.8
    subs = packets(out, "subtitle")
    assert any(b"World" in d for _, d in subs) and not any(b"Hello" in d for _, d in subs)


def test_prores_needs_mov_and_gets_422_10_bit(clips, tmp_path, colorimetric_table):
    with pytest.raises(OutputError, match="prores cannot be stored in .mp4"):
        grade_video(clips["long.mp4"], tmp_path / "x.mp4", colorimetric_table,
                    GradeParams(codec="prores", duration=0.2))
    out = tmp_path / "x.mov"
    result = grade_video(clips["long.mp4"], out, colorimetric_table, GradeParams(codec="prores", duration=0.2))
    video = ffprobe_json(out, "-show_streams")["streams"][0]
    assert (video["codec_name"], video["pix_fmt"], result.frames) == ("prores", "yuv422p10le", 5)
    assert leftovers(tmp_path) == []


def test_hlg_hevc_ten_bit_is_detected_and_kept_ten_bit(clips, tmp_path, colorimetric_table):
    out = tmp_path / "hlg.mp4"
    result = grade_video(clips["hlg10.mp4"], out, colorimetric_table)
    assert (result.input_space, result.codec, result.pix_fmt) == ("hlg", "hevc", "yuv420p10le")
    video = ffprobe_json(out, "-show_streams")["streams"][0]
    assert (video["codec_tag_string"], video["color_transfer"], video["color_space"]) == ("hvc1", "bt709", "smpte170m")


def test_422_ten_bit_h264_keeps_its_layout_and_timecode(clips, tmp_path, colorimetric_table):
    out = tmp_path / "422.mov"
    result = grade_video(clips["h264_422p10.mov"], out, colorimetric_table)
    assert result.pix_fmt == "yuv422p10le" and result.frames == 10
    tags = [s.get("tags", {}).get("timecode") for s in ffprobe_json(out, "-show_streams")["streams"]]
    assert "01:02:03:04" in tags
    trimmed = tmp_path / "trim.mov"
    grade_video(clips["h264_422p10.mov"], trimmed, colorimetric_table, GradeParams(start=0.2))
    tags = [s.get("tags", {}).get("timecode") for s in ffprobe_json(trimmed, "-show_streams")["streams"]]
    assert "01:02:03:09" in tags                        # 0.2 s = 5 frames at 25 fps later


def test_shift_timecode():
    from lsquared.video.grade import shift_timecode

    assert shift_timecode("00:59:59:24", 1 / 25, 25) == "01:00:00:00"
    assert shift_timecode("10:00:00;00", 5, 29.97) == "10:00:00;00"      # drop frame: unchanged


@pytest.mark.parametrize("name,error,match", [
    ("audio_only.m4a", InputError, "no video stream"),
    ("rgb.mov", UnsupportedError, "pixel format rgb24"),
])
def test_bad_inputs(clips, tmp_path, colorimetric_table, name, error, match):
    with pytest.raises(error, match=match):
        grade_video(clips[name], tmp_path / "out.mp4", colorimetric_table)
    assert list(tmp_path.iterdir()) == []


def test_unknown_codec(clips, tmp_path, colorimetric_table):
    data = bytearray(clips["long.mp4"].read_bytes())
    at = data.find(b"avc1", data.find(b"stsd"))           # the sample entry's codec fourcc
    data[at:at + 4] = b"zzzz"
    src = tmp_path / "unknown.mp4"
    src.write_bytes(bytes(data))
    with pytest.raises(UnsupportedError, match="video codec is unknown"):
        grade_video(src, tmp_path / "out.mp4", colorimetric_table)
    assert [p.name for p in tmp_path.iterdir()] == ["unknown.mp4"]


def test_not_a_video(tmp_path, colorimetric_table):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(InputError, match="not a readable video"):
        grade_video(bad, tmp_path / "out.mp4", colorimetric_table)
    with pytest.raises(InputError, match="not found"):
        grade_video(tmp_path / "missing.mp4", tmp_path / "out.mp4", colorimetric_table)


def _damaged(src: Path, tmp_path: Path, how: str) -> Path:
    data = bytearray(src.read_bytes())
    n = len(data)
    if how == "corrupt":
        for off in range(n // 2, n // 2 + 4000, 7):
            data[off] ^= 0x5A
    else:
        data = data[: int(n * 0.6)]
    path = tmp_path / f"{how}.mp4"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("how", ["corrupt", "truncated"])
def test_damaged_input_is_reported_with_its_time_and_leaves_nothing(clips, tmp_path, how, colorimetric_table):
    src = _damaged(clips["long.mp4"], tmp_path, how)
    out = tmp_path / "out.mp4"
    with pytest.raises(VideoError, match=r"at 00:00:0\d\.\d{3}") as info:
        grade_video(src, out, colorimetric_table)
    assert info.value.path == str(src)
    assert not out.exists() and leftovers(tmp_path) == []
    # with keep_partial what was graded before the damage is finished and kept
    with pytest.raises(VideoError) as info:
        grade_video(src, out, colorimetric_table, GradeParams(keep_partial=True))
    assert f"frames graded before, in {out}" in info.value.one_line()
    assert 0 < len(video_pts(out)) < 100 and leftovers(tmp_path) == []


def test_unwritable_or_existing_output(clips, tmp_path, colorimetric_table):
    with pytest.raises(OutputError, match="folder does not exist"):
        grade_video(clips["long.mp4"], tmp_path / "no" / "out.mp4", colorimetric_table)
    existing = tmp_path / "exists.mp4"
    existing.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        grade_video(clips["long.mp4"], existing, colorimetric_table)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(OutputError, match="unknown video container"):
        grade_video(clips["long.mp4"], tmp_path / "out.avi", colorimetric_table)


@pytest.mark.parametrize("keep", [False, True])
def test_interrupt_leaves_no_broken_file(clips, tmp_path, colorimetric_table, keep):
    out = tmp_path / "out.mp4"

    def progress(done, total):
        assert total == 100
        if done == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_video(clips["long.mp4"], out, colorimetric_table, GradeParams(keep_partial=keep), progress)
    assert leftovers(tmp_path) == []
    if keep:
        assert len(video_pts(out)) == 20
    else:
        assert not out.exists()


def test_frames_do_not_pile_up_in_memory(tmp_path):
    """Reading a clip keeps no decoded frame alive (PyAV's side data would tie each frame into
    a reference cycle; with the collector off, 100 such frames of 640x360 hold 35 MB)."""
    import gc

    from videoclips import ffmpeg

    from lsquared.io.video import VideoReader

    src = tmp_path / "mem.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=4", "-c:v", "libx264",
           "-preset", "ultrafast", "-metadata:s:v:0", "rotate=90", str(src))

    def rss_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

    marks = {}
    gc.disable()
    try:
        with VideoReader(src) as reader:
            for i, (kind, item) in enumerate(reader.items()):
                if i in (20, 99):
                    marks[i] = rss_mb()
                    if i == 20:
                        assert item.display_matrix is None      # read from the first frame only
    finally:
        gc.enable()
    assert marks[99] - marks[20] < 10, marks
