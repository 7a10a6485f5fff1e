"""Grade a video with a look: decode, one fused kernel per frame, encode; the rest copied.

    source ──io.video──▶ Y'CbCr planes ──kernels.video_ycbcr (Y'CbCr → R'G'B' → LUT → Y'CbCr)──▶
    planes ──io.video──▶ encoder ──▶ output (audio, subtitles, chapters, rotation copied)

The LUT of a clip is prepared once (``FrameGrader``): the look's LUT is defined on V-Log
V-Gamut (the same table the stills path applies); for footage in another space the
conversion to V-Log is folded into it (``colorimetry.compose_lut``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LsquaredError, ParameterError
from ..io.atomic import refuse_input_as_output
from ..io.video import PLANAR_FORMATS, DecodedFrame, EncoderSettings, VideoReader, VideoWriter, output_format
from ..kernels.lut3d import pack_table
from ..kernels.video_ycbcr import grade_ycbcr_planes, grid_matrix
from . import colorimetry as cm
from .params import GradeParams

CODECS = ("h264", "hevc", "prores")
SOURCE_CODECS = {"h264": "h264", "hevc": "hevc", "prores": "prores"}

Progress = Callable[[int, int], None]          # (frames done, frames expected or 0)


@dataclass(frozen=True, slots=True)
class GradeResult:
    output: Path | None
    frames: int
    seconds: float
    input_space: str
    codec: str
    pix_fmt: str


@dataclass(frozen=True, slots=True)
class PreparedLook:
    """A look's LUT over V-Log/V-Gamut and the space its values are encoded in."""

    table: np.ndarray                # float32 (N, N, N, 3), [r, g, b] indexed
    output_space: str                # "rec709", or "vlog" for looks that output V-Log
    name: str = ""


def prepare_look(look) -> PreparedLook:
    """A look for video: a (N, N, N, 3) V-Log -> Rec.709 array is taken as is, a name or a
    look/LUT file is resolved and compiled by lsquared.looks for Rec.709 output."""
    if isinstance(look, PreparedLook):
        return look
    if isinstance(look, np.ndarray):
        table = np.ascontiguousarray(look, dtype=np.float32)
        n = table.shape[0]
        if table.shape != (n, n, n, 3) or n < 2:
            raise ParameterError(f"a look LUT must be (N, N, N, 3), got {table.shape}")
        return PreparedLook(table, "rec709", "lut")
    from ..looks import compile_look, resolve_look   # the looks room

    resolved = resolve_look(os.fspath(look) if isinstance(look, os.PathLike) else look)
    lut = compile_look(resolved, output_space="rec709")
    return PreparedLook(np.ascontiguousarray(lut.table), lut.output_space, resolved.name)


def resolve_input_space(name: str, reader: VideoReader) -> str:
    if name and name.lower() != "auto":
        return cm.validate_input_space(name)
    info = reader.info
    return cm.detect_input_space(transfer_code=info.color_trc, primaries_code=info.color_primaries,
                                 metadata=info.metadata)


def resolve_codec(name: str, reader: VideoReader) -> str:
    key = (name or "auto").lower()
    if key == "auto":
        return SOURCE_CODECS.get(reader.info.codec, "h264")
    if key not in CODECS:
        raise ParameterError(f"unknown codec '{name}'; choose one of: {', '.join(CODECS)}")
    return key


def input_coding(reader: VideoReader) -> cm.YCbCrCoding:
    info = reader.info
    return cm.coding_from_tags(colorspace=info.colorspace, color_range=info.color_range,
                               primaries=info.color_primaries, height=info.height,
                               bit_depth=info.bit_depth, jpeg_format=info.pix_fmt.startswith("yuvj"),
                               source=info.path)


def output_coding(in_coding: cm.YCbCrCoding, height: int, pix_fmt: str) -> cm.YCbCrCoding:
    """Rec.709 output: the BT.709 matrix (BT.601 below 720 lines, as players assume), the
    source's range, the output format's depth."""
    return cm.YCbCrCoding(matrix=cm.default_matrix(height, cm.REC709_PRIMARIES_TAG),
                          full_range=in_coding.full_range, bit_depth=PLANAR_FORMATS[pix_fmt][2])


def output_tags(coding: cm.YCbCrCoding, output_space: str = "rec709") -> dict[str, int]:
    """H.273 tags of graded output; V-Log has no code point, so it is left unspecified."""
    rec709 = output_space == "rec709"
    return {"colorspace": cm.MATRIX_TAG[coding.matrix],
            "color_range": cm.RANGE_FULL if coding.full_range else cm.RANGE_LIMITED,
            "color_primaries": cm.REC709_PRIMARIES_TAG if rec709 else cm.UNSPECIFIED,
            "color_trc": cm.REC709_TRANSFER_TAG if rec709 else cm.UNSPECIFIED}


class FrameGrader:
    """A clip's prepared LUT and matrices; calling it grades one frame's planes."""

    def __init__(self, table: np.ndarray, *, input_space: str, in_coding: cm.YCbCrCoding,
                 in_subsampling: tuple[int, int], out_coding: cm.YCbCrCoding,
                 out_subsampling: tuple[int, int], lut_size: int = 65):
        composed = cm.compose_lut(table, input_space, lut_size)
        self.n = composed.shape[0]
        m_in, off_in = in_coding.ycbcr_to_rgb()
        m_out, off_out = out_coding.rgb_to_ycbcr()
        self.m_in = grid_matrix(m_in, self.n)
        self.off_in = off_in.astype(np.float32)
        self.m_out = m_out.astype(np.float32)
        self.off_out = off_out.astype(np.float32)
        self.packed = pack_table(composed)
        self.sub_in = in_subsampling
        self.sub_out = out_subsampling
        self.code_max = float((1 << out_coding.bit_depth) - 1)

    def __call__(self, planes_in, planes_out, width: int, height: int) -> None:
        grade_ycbcr_planes(planes_in[0], planes_in[1], planes_in[2],
                           planes_out[0], planes_out[1], planes_out[2], width, height,
                           self.sub_in[0], self.sub_in[1], self.sub_out[0], self.sub_out[1],
                           self.m_in, self.off_in, self.packed, self.n, self.m_out, self.off_out,
                           self.code_max)


# A frame function fills the planes of an output frame from a decoded one.
FrameFunction = Callable[[DecodedFrame, tuple], None]


def transcode(reader: VideoReader, writer: VideoWriter, frame_fn: FrameFunction, *,
              settings: EncoderSettings, width: int, height: int, pix_fmt: str,
              tags: dict[str, int], start: float | None = None, duration: float | None = None,
              keep_partial: bool = False, progress: Progress | None = None,
              faststart: bool = False) -> int:
    """Run every frame of ``reader`` through ``frame_fn`` into ``writer``, copying the other
    streams; returns the number of frames.  On an error or Ctrl-C the output is removed, or
    with ``keep_partial`` finished with what was done (and the error still raised)."""
    info = reader.info
    chapters = _trimmed_chapters(reader.chapters(), start, duration)
    meta = {k: v for k, v in info.metadata.items()
            if not k.startswith("video:") and k not in ("major_brand", "minor_version",
                                                        "compatible_brands", "encoder")}
    stream_meta = {k[6:]: v for k, v in info.metadata.items()
                   if k.startswith("video:") and k[6:] in ("language", "handler_name", "title", "timecode")}
    if start and "timecode" in stream_meta and info.frame_rate:
        stream_meta["timecode"] = shift_timecode(stream_meta["timecode"], start, info.frame_rate)
    expected = info.expected_frames
    if duration is not None and info.frame_rate:
        expected = int(round(duration * float(info.frame_rate)))
    elif start and info.frame_rate and expected:
        expected = max(expected - int(start * float(info.frame_rate)), 0)
    pending = []
    count = 0
    last_pts = None
    try:
        for kind, item in reader.items(start, duration):
            if kind == "packet":
                if writer.video is None:
                    pending.append(item)
                else:
                    writer.write_packet(item)
                continue
            if writer.video is None:
                writer.open(settings=settings, width=width, height=height, pix_fmt=pix_fmt,
                            rate=info.frame_rate, time_base=info.time_base, tags=tags,
                            display_matrix=item.display_matrix, copy_streams=reader.copy_streams,
                            chapters=chapters, metadata=meta, stream_metadata=stream_meta,
                            faststart=faststart)
                for packet in pending:
                    writer.write_packet(packet)
                pending.clear()
            frame, planes = writer.new_frame(width, height, pix_fmt)
            frame_fn(item, planes)
            pts = item.pts if last_pts is None or item.pts > last_pts else last_pts + 1
            writer.write_frame(frame, pts, item.duration)
            last_pts = pts
            count += 1
            if progress is not None:
                progress(count, expected)
        writer.finish()
    except KeyboardInterrupt:
        writer.abort(keep=keep_partial)
        raise
    except LsquaredError as exc:
        kept = writer.abort(keep=keep_partial)
        if kept is not None:
            exc.hint = ((exc.hint + "; ") if exc.hint else "") + f"kept the {count} frames graded before, in {kept}"
        raise
    except BaseException:
        writer.abort()
        raise
    return count


def shift_timecode(tc: str, seconds: float, rate) -> str:
    """A non-drop-frame SMPTE timecode "hh:mm:ss:ff" moved on by ``seconds`` (drop-frame
    timecodes, with ';', are returned unchanged)."""
    parts = tc.split(":")
    fps = round(float(rate))
    if len(parts) != 4 or not all(p.isdigit() for p in parts) or fps <= 0:
        return tc
    h, m, sec, f = (int(p) for p in parts)
    total = ((h * 60 + m) * 60 + sec) * fps + f + int(round(seconds * float(rate)))
    f, total = total % fps, total // fps
    return f"{total // 3600 % 24:02d}:{total // 60 % 60:02d}:{total % 60:02d}:{f:02d}"


def _trimmed_chapters(chapters: list[dict], start: float | None, duration: float | None) -> list[dict]:
    """Chapters moved with a trimmed range and cut to it (those outside it dropped)."""
    if not start and duration is None:
        return chapters
    out = []
    for ch in chapters:
        tb = ch["time_base"]
        lo = int(round((start or 0.0) / tb))
        hi = int(round(((start or 0.0) + duration) / tb)) if duration is not None else None
        s, e = ch["start"], ch["end"]
        if e <= lo or (hi is not None and s >= hi):
            continue
        s, e = max(s, lo) - lo, (min(e, hi) if hi is not None else e) - lo
        out.append({**ch, "id": len(out), "start": s, "end": e})
    return out


def grade_video(src: str | os.PathLike, dst: str | os.PathLike, look,
                params: GradeParams = GradeParams(), progress: Progress | None = None) -> GradeResult:
    """Apply ``look`` (a name, a look or LUT file, or a V-Log -> Rec.709 LUT array) to every
    frame of ``src`` and write ``dst``; see the module docstring for what is kept."""
    refuse_input_as_output(dst, [src])          # before any work: never over the source
    t_start = time.perf_counter()
    with VideoReader(src) as reader:
        info = reader.info
        space = resolve_input_space(params.input_space, reader)
        codec = resolve_codec(params.codec, reader)
        in_coding = input_coding(reader)
        prepared = prepare_look(look)
        pix_fmt = output_format(codec, info.subsampling, info.bit_depth)
        out_coding = output_coding(in_coding, info.height, pix_fmt)
        sub_out = PLANAR_FORMATS[pix_fmt][:2]
        grader = FrameGrader(prepared.table, input_space=space, in_coding=in_coding,
                             in_subsampling=info.subsampling, out_coding=out_coding,
                             out_subsampling=sub_out, lut_size=params.lut_size)
        settings = EncoderSettings(codec=codec, crf=params.crf, bitrate=params.bitrate,
                                   preset=params.preset)
        writer = VideoWriter(dst, overwrite=params.overwrite, inputs=(src,))
        w, h = info.width, info.height

        def grade_frame(item: DecodedFrame, planes) -> None:
            grader(item.planes, planes, w, h)

        count = transcode(reader, writer, grade_frame, settings=settings, width=w, height=h,
                          pix_fmt=pix_fmt, tags=output_tags(out_coding, prepared.output_space), start=params.start,
                          duration=params.duration, keep_partial=params.keep_partial,
                          progress=progress)
    return GradeResult(output=Path(dst), frames=count, seconds=time.perf_counter() - t_start,
                       input_space=space, codec=codec, pix_fmt=pix_fmt)
