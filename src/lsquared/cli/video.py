"""``lsquared video``: apply a look to a video file (or preview it side by side)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Optional

import typer

from ..errors import ParameterError
from ..schema import check_params
from ..video.params import GradeParams, PreviewParams
from .common import DEBUG_OPTION, choices_text, console, default_of, err_console, shown_default

_TIME = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?)$")
_RATE = re.compile(r"^(\d+(?:\.\d*)?)\s*([kKmMgG]?)(?:b/?s|bps)?$")


def parse_time(text: Optional[str], what: str) -> Optional[float]:
    """Seconds from "90", "1:30", "00:01:30.5"."""
    if text is None:
        return None
    m = _TIME.match(text.strip())
    if not m:
        raise ParameterError(f"{what} '{text}' is not a time; write seconds (90.5) or [hh:]mm:ss(.ms)")
    a, b, c = m.groups()
    hours, minutes = (int(a), int(b)) if b is not None else (0, int(a or 0))
    return hours * 3600 + minutes * 60 + float(c)


def parse_bitrate(text: Optional[str]) -> Optional[int]:
    """Bits per second from "8M", "2500k", "8000000"."""
    if text is None:
        return None
    m = _RATE.match(text.strip())
    if not m or float(m.group(1)) <= 0:
        raise ParameterError(f"bitrate '{text}' is not a rate; write e.g. 8M, 2500k or 8000000")
    return int(float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2).lower()])


def _progress_bar():
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeRemainingColumn)
    from rich.text import Text

    class FpsColumn(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed or 0:5.1f} fps")

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    FpsColumn(), TimeRemainingColumn(), console=err_console, transient=True)


def video_command(
    source: Path = typer.Argument(..., metavar="INPUT", help="Video file (MP4, MOV, MKV ...)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output video (.mp4, .mov, .mkv). With --preview: the side-by-side clip; without -o, --preview serves a page on localhost."),
    look: str = typer.Option("standard", "--look", help="Look name, or a look/LUT file (.toml, .cube, .vlt)."),
    input_space: str = typer.Option(default_of(GradeParams, "input_space"), "--input-space", help="Colour space of the footage: auto (from the file's tags and metadata), vlog, rec709, srgb, rec2020, hlg, pq."),
    codec: str = typer.Option(default_of(GradeParams, "codec"), "--codec", help="h264, hevc or prores; auto keeps the source's codec where it is one of these, else h264."),
    crf: Optional[float] = typer.Option(None, "--crf", metavar="CRF", help=f"Quality for h264/hevc, {choices_text(GradeParams, 'crf')}, lower is better." + shown_default("18 for h264, 20 for hevc")),
    bitrate: Optional[str] = typer.Option(None, "--bitrate", help="Target bitrate instead of --crf, e.g. 20M."),
    preset: Optional[str] = typer.Option(None, "--preset", metavar="PRESET", help=f"x264/x265 speed preset: {choices_text(GradeParams, 'preset')}." + shown_default("medium")),
    start: Optional[str] = typer.Option(None, "--start", help="Start at this time: seconds, mm:ss or hh:mm:ss."),
    duration: Optional[str] = typer.Option(None, "--duration", help="Grade this long: seconds, mm:ss or hh:mm:ss."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    keep_partial: bool = typer.Option(False, "--keep-partial", help="On Ctrl-C or a damaged input, keep what was graded so far."),
    preview: bool = typer.Option(False, "--preview", help="Original and graded side by side: a clip with -o, else a page on localhost."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, metavar="PORT", help="Port of the --preview page, 0..65535 (0: any free port)."),
    open_browser: bool = typer.Option(True, "--browser/--no-browser", help="Open the --preview page in a browser."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Apply a look to a video: every frame through the look's LUT, 8 and 10 bit, audio,
    subtitles, chapters, timestamps and rotation kept."""
    from ..video import grade_video

    _terminate_like_interrupt()
    if crf is not None and bitrate is not None:
        raise ParameterError("give --crf or --bitrate, not both")
    # the encoder's own message for a bad value is "Invalid argument": say which option and what it takes
    check_params(GradeParams(crf=crf, preset=preset), "", label=lambda name: f"--{name}")
    if preset is not None and codec.lower() == "prores":
        raise ParameterError("--preset applies to h264 and hevc; ProRes has no speed presets")
    t_start, t_len = parse_time(start, "--start"), parse_time(duration, "--duration")
    if t_len is not None and t_len <= 0:
        raise ParameterError("--duration must be positive")
    if preview:
        _preview(source, output, look, input_space, t_start, t_len, overwrite, port, open_browser)
        return
    if output is None:
        raise ParameterError("give an output file with -o (or use --preview)")
    params = GradeParams(input_space=input_space, codec=codec, crf=crf, bitrate=parse_bitrate(bitrate),
                         preset=preset, start=t_start, duration=t_len, overwrite=overwrite,
                         keep_partial=keep_partial)
    existed = output.exists()
    with _progress_bar() as bar:
        task = bar.add_task(source.name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done) if total else None)

        try:
            result = grade_video(source, output, look, params, progress)
        except KeyboardInterrupt:
            kept = keep_partial and output.exists() and (not existed or overwrite)
            _interrupted(f"kept what was graded before it in {output}" if kept else "nothing written")
    fps = result.frames / result.seconds if result.seconds else 0.0
    console.print(f"{result.output}: {result.frames} frames in {result.seconds:.1f} s ({fps:.1f} fps); "
                  f"{result.input_space} in, {result.codec} {result.pix_fmt} out", soft_wrap=True)


def _terminate_like_interrupt() -> None:
    """SIGTERM (a process manager, ``kill``) cleans up as Ctrl-C does: no partial output."""
    import signal
    import threading

    def raise_interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_interrupt)


def _interrupted(what: str) -> None:
    """Ctrl-C: one line and exit status 130 (raised here, since typer turns a
    KeyboardInterrupt into a return value that the entry point does not pass on)."""
    from .main import debug_enabled

    if debug_enabled():
        raise KeyboardInterrupt
    err_console.print(f"lsquared: interrupted; {what}", highlight=False, markup=False, soft_wrap=True)
    raise SystemExit(130)


def _preview(source, output, look, input_space, start, duration, overwrite, port, open_browser) -> None:
    from ..video.preview import PreviewServer, preview_clip

    params = PreviewParams(input_space=input_space, start=start,
                           duration=duration if duration is not None else default_of(PreviewParams, "duration"),
                           overwrite=overwrite)
    with _progress_bar() as bar:
        task = bar.add_task(f"preview {source.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done) if total else None)

        try:
            if output is not None:
                result = preview_clip(source, output, look, params, progress)
            else:
                server = PreviewServer(source, look, params, port=port, progress=progress)
        except KeyboardInterrupt:
            _interrupted("nothing written")
    if output is not None:
        console.print(f"{result.output}: original | {look}, {result.frames} frames", soft_wrap=True)
        return
    with server:
        url = server.start()
        console.print(f"preview of {source.name} with look {look} at {url} (Ctrl-C to stop)", soft_wrap=True)
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def register(app: typer.Typer) -> None:
    app.command("video", no_args_is_help=True)(video_command)
