"""Video files through PyAV (FFmpeg's libraries): probe, read frames as planes, write.

Only this module touches containers and codecs.  Frames leave it as integer Y'CbCr planes
(numpy views of FFmpeg's buffers, never converted by swscale) and enter it the same way, so
the colour math and its precision stay in lsquared.video.

What a graded file keeps from its source: every audio and subtitle stream (packets copied,
not re-encoded), the chapters, the container and stream metadata, the frame timestamps
(variable frame rate too) and durations, and the display matrix (rotation).  Output goes to
a temporary file beside the target that is renamed over it only once it is complete.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError, OutputError, UnsupportedError, VideoError
from .atomic import check_writable, current_umask

try:
    import av
    import av.error
except ImportError:  # pragma: no cover - the video extra is optional
    av = None

# planar Y'CbCr formats read directly: name -> (log2 chroma subsampling x, y, bits)
PLANAR_FORMATS = {
    "yuv420p": (1, 1, 8), "yuvj420p": (1, 1, 8), "yuv422p": (1, 0, 8), "yuvj422p": (1, 0, 8),
    "yuv444p": (0, 0, 8), "yuvj444p": (0, 0, 8), "yuv440p": (0, 1, 8), "yuvj440p": (0, 1, 8),
    "yuv420p10le": (1, 1, 10), "yuv422p10le": (1, 0, 10), "yuv444p10le": (0, 0, 10),
    "yuv420p12le": (1, 1, 12), "yuv422p12le": (1, 0, 12), "yuv444p12le": (0, 0, 12),
    "yuv420p16le": (1, 1, 16), "yuv422p16le": (1, 0, 16), "yuv444p16le": (0, 0, 16),
}
# interleaved layouts of the same samples, unpacked losslessly to their planar form
REPACK_FORMATS = {
    "nv12": "yuv420p", "nv21": "yuv420p", "p010le": "yuv420p10le", "p016le": "yuv420p16le",
    "nv16": "yuv422p", "nv20le": "yuv422p10le", "p210le": "yuv422p10le", "yuyv422": "yuv422p",
    "uyvy422": "yuv422p", "nv24": "yuv444p", "p410le": "yuv444p10le",
}
INTERLEAVE_SLACK = 2.0     # seconds that audio may trail video in a file's packet order
ENCODERS = {"h264": "libx264", "hevc": "libx265", "prores": "prores_ks"}
CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


def _require_av():
    if av is None:
        raise VideoError("video support needs PyAV", hint="pip install 'lsquared[video]'")


def _ts(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(seconds, 0.0)
    return f"{int(seconds // 3600):02d}:{int(seconds // 60 % 60):02d}:{seconds % 60:06.3f}"


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoInfo:
    """What a graded copy needs to know about a source's video stream."""

    path: str
    codec: str
    width: int
    height: int
    pix_fmt: str                 # as decoded (before any lossless repack)
    planar_fmt: str              # the planar Y'CbCr format the frames are given in
    subsampling: tuple[int, int]  # log2 (x, y)
    bit_depth: int
    colorspace: int              # H.273 code points (FFmpeg enums)
    color_range: int
    color_primaries: int
    color_trc: int
    frame_rate: Fraction | None
    time_base: Fraction
    frames: int                  # as the container says (0: unknown)
    duration: float | None       # seconds
    start_time: float
    metadata: dict = field(default_factory=dict)   # container and video stream tags

    @property
    def expected_frames(self) -> int:
        if self.frames > 0:
            return self.frames
        if self.duration and self.frame_rate:
            return int(round(self.duration * float(self.frame_rate)))
        return 0


@dataclass(slots=True)
class DecodedFrame:
    """One decoded frame: Y'CbCr planes as (rows, line) arrays, and its timing."""

    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    pts: int                     # in the video stream's time base, trimmed start removed
    duration: int
    time: float                  # seconds in the source
    display_matrix: tuple[int, ...] | None   # rotation/flip side data (first frame only)
    frame: object                # the av.VideoFrame, kept alive with its buffers


def plane_arrays(frame, dtype) -> tuple[np.ndarray, ...]:
    """Numpy views (rows, line_size / itemsize) of an av.VideoFrame's three planes."""
    size = np.dtype(dtype).itemsize
    out = []
    for plane in frame.planes[:3]:
        rows, line = plane.height, plane.line_size // size
        out.append(np.frombuffer(plane, dtype=dtype, count=rows * line).reshape(rows, line))
    return tuple(out)


def _display_matrix(frame) -> tuple[int, ...] | None:
    for sd in frame.side_data:
        if sd.type.name == "DISPLAYMATRIX":
            return struct.unpack("<9i", bytes(sd)[:36])
    return None


class VideoReader:
    """Opens a video file; ``items`` yields decoded frames and packets of copied streams."""

    def __init__(self, path: str | os.PathLike):
        _require_av()
        self.path = Path(path)
        if not self.path.exists():
            raise InputError("file not found", path=self.path)
        if self.path.is_dir():
            raise InputError("is a folder, not a video file", path=self.path)
        try:
            self.container = av.open(str(self.path), "r")
        except av.error.FFmpegError as exc:
            raise InputError(f"not a readable video file ({exc.strerror or exc})", path=self.path) from None
        try:
            self.stream = self._video_stream()
            self.info = self._probe()
        except Exception:
            self.container.close()
            raise
        self.copy_streams = [s for s in self.container.streams
                             if s.type in ("audio", "subtitle") and s.discard == 0]

    def _video_stream(self):
        streams = [s for s in self.container.streams.video
                   if not (s.disposition & av.stream.Disposition.attached_pic)]
        if not streams:
            raise InputError("has no video stream", path=self.path)
        stream = streams[0]
        if stream.codec_context is None:
            raise UnsupportedError("its video codec is unknown to this FFmpeg", path=self.path)
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = 0
        return stream

    def _probe(self) -> VideoInfo:
        s, cc = self.stream, self.stream.codec_context
        fmt = cc.format.name if cc.format is not None else None
        if fmt is None:
            raise UnsupportedError(f"cannot decode its {cc.name} video (no pixel format)", path=self.path)
        planar = fmt if fmt in PLANAR_FORMATS else REPACK_FORMATS.get(fmt)
        if planar is None:
            raise UnsupportedError(f"pixel format {fmt} is not supported",
                                   path=self.path, hint="supported: planar Y'CbCr 4:2:0/4:2:2/4:4:4, 8-16 bit")
        sx, sy, bits = PLANAR_FORMATS[planar]
        meta = dict(self.container.metadata)
        meta.update({f"video:{k}": v for k, v in s.metadata.items()})
        duration = None
        if s.duration is not None and s.time_base:
            duration = float(s.duration * s.time_base)
        elif self.container.duration:
            duration = self.container.duration / 1e6
        start = float(s.start_time * s.time_base) if s.start_time is not None else 0.0
        return VideoInfo(
            path=str(self.path), codec=cc.name, width=cc.width, height=cc.height, pix_fmt=fmt,
            planar_fmt=planar, subsampling=(sx, sy), bit_depth=bits,
            colorspace=int(cc.colorspace), color_range=int(cc.color_range),
            color_primaries=int(cc.color_primaries), color_trc=int(cc.color_trc),
            frame_rate=s.average_rate or s.guessed_rate, time_base=s.time_base,
            frames=int(s.frames or 0), duration=duration, start_time=start, metadata=meta)

    def chapters(self) -> list[dict]:
        return list(self.container.chapters())

    def close(self) -> None:
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reading ------------------------------------------------------------------------
    def items(self, start: float | None = None, duration: float | None = None
              ) -> Iterator[tuple[str, object]]:
        """Yield ("frame", DecodedFrame) and ("packet", av.Packet) in file order.

        With ``start``/``duration`` (seconds from the stream's start) only that range is
        given, and all timestamps are moved so that the range starts where the file did.
        A decode error, a corrupt frame or a stream that ends early raises VideoError
        naming the time it happened at."""
        s = self.stream
        tb = s.time_base
        t0 = self.info.start_time
        lo = t0 + (start or 0.0)
        hi = lo + duration if duration is not None else None
        shift = start or 0.0               # seconds removed from every timestamp
        trimmed = bool(start) or duration is not None
        if start:
            self.container.seek(int((lo - t0) / tb) + (s.start_time or 0), stream=s, backward=True)
        dtype = np.uint8 if self.info.bit_depth <= 8 else np.uint16
        repack = self.info.planar_fmt if self.info.pix_fmt != self.info.planar_fmt else None
        copies = {c.index for c in self.copy_streams}
        last_time = None
        count = 0
        video_done = False                 # past the range: only late audio/subtitles still come
        streams = [s] + self.copy_streams
        try:
            for packet in self.container.demux(streams):
                if packet.stream.index in copies:
                    if packet.dts is None or packet.pts is None:
                        continue
                    if trimmed:
                        t = float(packet.pts * packet.time_base)
                        if video_done and t >= hi + INTERLEAVE_SLACK:
                            break
                        if t < lo - 1e-6 or (hi is not None and t >= hi):
                            continue
                    if shift:
                        delta = int(round(shift / packet.time_base))
                        packet.pts -= delta
                        packet.dts -= delta
                    yield "packet", packet
                    continue
                if video_done:
                    if not copies or (packet.dts is not None and float(packet.dts * tb) >= hi + INTERLEAVE_SLACK):
                        break
                    continue
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    at = float(packet.pts * tb) if packet.pts is not None else (last_time or t0)
                    raise VideoError(f"decoding failed at {_ts(at - t0)} after {count} frames: "
                                     f"{exc.strerror or exc}", path=self.path) from None
                for frame in frames:
                    item = self._frame(frame, lo, hi, shift, tb, repack, dtype, count, last_time)
                    if item is None:
                        continue
                    if item == "end":
                        video_done = True
                        break
                    last_time = item.time
                    count += 1
                    yield "frame", item
        except av.error.FFmpegError as exc:
            raise VideoError(f"reading failed at {_ts((last_time or t0) - t0)} after {count} frames: "
                             f"{exc.strerror or exc}", path=self.path) from None
        self._check_complete(count, last_time, start, duration)

    def _frame(self, frame, lo, hi, shift, tb, repack, dtype, count, last_time):
        t0 = self.info.start_time
        if frame.pts is None:       # elementary streams: number the frames at the frame rate
            rate = self.info.frame_rate or Fraction(25)
            frame.pts = int(round((count / rate) / tb))
        t = float(frame.pts * tb)
        if frame.is_corrupt:
            raise VideoError(f"corrupt frame at {_ts(t - t0)} (frame {count + 1})", path=self.path)
        if t < lo - 1e-6:
            return None
        if (frame.width, frame.height, frame.format.name) != (self.info.width, self.info.height, self.info.pix_fmt):
            raise UnsupportedError(f"the picture changes to {frame.width}x{frame.height} {frame.format.name} "
                                   f"at {_ts(t - t0)}; split the file there", path=self.path)
        if hi is not None and t >= hi - 1e-6:
            return "end"
        if repack is not None:
            frame = frame.reformat(format=repack)
        dur = frame.duration or 0
        if not dur and self.info.frame_rate:
            dur = int(round(1 / (self.info.frame_rate * tb)))
        # only the first frame's display matrix is used, and reading side data ties the frame
        # into a reference cycle (PyAV) that keeps its buffers until the garbage collector runs
        matrix = _display_matrix(frame) if count == 0 else None
        return DecodedFrame(planes=plane_arrays(frame, dtype), pts=frame.pts - int(round(shift / tb)),
                            duration=int(dur), time=t, display_matrix=matrix, frame=frame)

    def _check_complete(self, count, last_time, start, duration):
        """A stream whose frames stop well before its stated duration was cut short."""
        info = self.info
        if count == 0:
            raise VideoError("no video frame could be decoded"
                             + (f" in {_ts(start)}..{_ts((start or 0) + duration)}" if duration else ""),
                             path=self.path)
        if start or duration is not None or not info.duration or not info.frame_rate:
            return
        end = (last_time - info.start_time) + 1 / float(info.frame_rate)
        if info.frames and count < info.frames and end < info.duration - 1.5 / float(info.frame_rate):
            raise VideoError(f"truncated: the video stops at {_ts(end)} of {_ts(info.duration)} "
                             f"({count} of {info.frames} frames)", path=self.path)


# -- writing ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class EncoderSettings:
    codec: str = "h264"            # h264 | hevc | prores
    crf: float | None = None       # quality (h264/hevc); None -> the codec's default below
    bitrate: int | None = None     # bits per second, instead of crf
    preset: str | None = None      # x264/x265 preset
    gop: int | None = None         # keyframe interval (frames)


DEFAULT_CRF = {"h264": 18, "hevc": 20}


def output_format(codec: str, subsampling: tuple[int, int], bits: int) -> str:
    """The output pixel format: the input's chroma layout and depth where the encoder can
    (10-bit sources stay 10-bit), else the nearest it offers (ProRes: 4:2:2 or 4:4:4 10-bit)."""
    _require_av()
    formats = {f.name for f in (av.codec.Codec(ENCODERS[codec], "w").video_formats or [])}
    layout = {(1, 1): "420", (1, 0): "422", (0, 0): "444", (0, 1): "444"}[subsampling]
    depths = [8, 10, 12] if bits <= 8 else ([10, 12] if bits <= 10 else [12, 10])
    if codec == "prores":
        layout = "444" if layout == "444" else "422"
        depths = [10]
    for depth in depths:
        name = f"yuv{layout}p" + ("" if depth == 8 else f"{depth}le")
        if name in formats:
            return name
    raise UnsupportedError(f"{codec} encoder offers no {layout} format for {bits}-bit video")


class VideoWriter:
    """Writes a graded video: one encoded video stream plus copied packets.

    The header is written on the first frame or packet; everything goes to a temporary file
    beside ``path`` which ``finish`` renames over ``path``, ``abort`` deletes (or, asked to
    keep what was done, finishes)."""

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False, inputs=()):
        _require_av()
        self.path = Path(path)
        fmt = CONTAINERS.get(self.path.suffix.lower())
        if fmt is None:
            raise OutputError(f"unknown video container '{self.path.suffix}'", path=self.path,
                              hint=f"use one of {', '.join(CONTAINERS)}")
        check_writable(self.path, overwrite, inputs)
        folder = self.path.parent if str(self.path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=f".partial{self.path.suffix}",
                                       dir=folder)
            os.close(fd)
        except OSError as exc:
            raise OutputError(f"cannot write here ({exc.strerror})", path=folder) from None
        self.tmp = Path(tmp)
        self.format = fmt
        self.container = None
        self.video = None
        self.copies: dict[int, object] = {}
        self.frames_written = 0
        self._durations: dict[int, int] = {}

    def open(self, *, settings: EncoderSettings, width: int, height: int, pix_fmt: str,
             rate: Fraction | None, time_base: Fraction, tags: dict[str, int],
             display_matrix=None, copy_streams=(), chapters=(), metadata=None,
             stream_metadata=None, faststart: bool = False) -> None:
        """Set up the streams (before the first frame)."""
        try:
            opts = {"movflags": "+faststart"} if faststart and self.format in ("mp4", "mov") else {}
            self.container = av.open(str(self.tmp), "w", format=self.format, options=opts)
            supported = self.container.supported_codecs
            enc = ENCODERS[settings.codec]
            if settings.codec not in supported and enc not in supported:
                raise OutputError(f"{settings.codec} cannot be stored in {self.path.suffix}",
                                  path=self.path, hint="ProRes needs .mov or .mkv")
            self.video = self._add_video(settings, width, height, pix_fmt, rate, time_base, tags)
            if display_matrix is not None:
                self.video.set_display_matrix(list(display_matrix))
            for k, v in (stream_metadata or {}).items():
                self.video.metadata[k] = v
            for src in copy_streams:
                codec = src.codec_context.name if src.codec_context else src.codec.name
                if codec not in supported:
                    raise OutputError(f"its {src.type} stream #{src.index} ({codec}) cannot be copied "
                                      f"into {self.path.suffix}", path=self.path,
                                      hint="write .mkv or .mov instead")
                self.copies[src.index] = self.container.add_stream_from_template(src)
            if chapters:
                self.container.set_chapters(list(chapters))
            for k, v in (metadata or {}).items():
                self.container.metadata[k] = v
        except av.error.FFmpegError as exc:
            self.abort()
            raise OutputError(f"cannot set up the encoder ({exc.strerror or exc})", path=self.path) from None
        except Exception:
            self.abort()
            raise

    def _add_video(self, settings, width, height, pix_fmt, rate, time_base, tags):
        codec = settings.codec
        options = {}
        if codec in ("h264", "hevc"):
            if settings.bitrate is None:
                options["crf"] = str(settings.crf if settings.crf is not None else DEFAULT_CRF[codec])
            if settings.preset:
                options["preset"] = settings.preset
            if codec == "hevc":
                options["x265-params"] = "log-level=error"
        elif codec == "prores":
            options["profile"] = "4" if pix_fmt.startswith("yuv444") else "3"   # 4444 / HQ
            options["vendor"] = "apl0"
        stream = self.container.add_stream(ENCODERS[codec], rate=rate, options=options)
        stream.width = width
        stream.height = height
        stream.pix_fmt = pix_fmt
        stream.time_base = time_base
        cc = stream.codec_context
        cc.time_base = time_base
        cc.thread_count = 0
        if settings.bitrate is not None:
            cc.bit_rate = int(settings.bitrate)
        if settings.gop is not None:
            cc.gop_size = int(settings.gop)
        cc.colorspace = tags["colorspace"]
        cc.color_range = tags["color_range"]
        cc.color_primaries = tags["color_primaries"]
        cc.color_trc = tags["color_trc"]
        if codec == "hevc" and self.format in ("mp4", "mov"):
            cc.codec_tag = "hvc1"          # what Apple players expect for HEVC in MP4/MOV
        self._tags = tags
        return stream

    def new_frame(self, width: int, height: int, pix_fmt: str):
        """A fresh output frame and numpy views of its planes."""
        frame = av.VideoFrame(width, height, pix_fmt)
        dtype = np.uint8 if PLANAR_FORMATS[pix_fmt][2] <= 8 else np.uint16
        return frame, plane_arrays(frame, dtype)

    def write_frame(self, frame, pts: int, duration: int) -> None:
        frame.pts = pts
        frame.time_base = self.video.codec_context.time_base
        frame.duration = duration
        frame.colorspace = self._tags["colorspace"]
        frame.color_range = self._tags["color_range"]
        frame.color_primaries = self._tags["color_primaries"]
        frame.color_trc = self._tags["color_trc"]
        self._durations[pts] = duration
        self._mux(self.video.encode(frame))
        self.frames_written += 1

    def write_packet(self, packet) -> None:
        packet.stream = self.copies[packet.stream.index]
        self._mux_one(packet)

    def _mux(self, packets) -> None:
        for p in packets:
            if not p.duration and p.pts in self._durations:
                p.duration = self._durations.pop(p.pts)
            else:
                self._durations.pop(p.pts, None)
            self._mux_one(p)

    def _mux_one(self, packet) -> None:
        try:
            self.container.mux_one(packet)
        except av.error.FFmpegError as exc:
            raise OutputError(f"writing failed ({exc.strerror or exc})", path=self.path) from None

    def finish(self) -> Path:
        """Flush the encoder, close the file and move it into place."""
        try:
            if self.video is not None:
                self._mux(self.video.encode(None))
            if self.container is not None:
                self.container.close()
                self.container = None
            os.chmod(self.tmp, 0o666 & ~current_umask())      # mkstemp made it private
            os.replace(self.tmp, self.path)
        except av.error.FFmpegError as exc:
            self.abort()
            raise OutputError(f"finishing the file failed ({exc.strerror or exc})", path=self.path) from None
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write ({exc.strerror})", path=self.path) from None
        return self.path

    def abort(self, keep: bool = False) -> Path | None:
        """Stop: with ``keep`` finish what was encoded (if anything), else remove it all."""
        if keep and self.container is not None and self.frames_written:
            try:
                return self.finish()
            except Exception:
                pass
        try:
            if self.container is not None:
                self.container.close()
        except Exception:
            pass
        self.container = None
        self.tmp.unlink(missing_ok=True)
        return None
