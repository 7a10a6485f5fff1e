"""Judge a look on footage: the original and the graded video side by side.

``preview_clip`` writes a short clip whose left half is the source and right half the same
frames graded (H.264 4:2:0 8-bit with the moov atom first, which every browser plays);
``serve_preview`` makes that clip and serves it on localhost with a page that plays it
either side by side or as a wipe (one video stream, so both sides are always in sync).

The left half is the source's own codes where its coding is the preview's (8-bit 4:2:0, same
matrix and range), else the source through the same kernel with an identity LUT, so that
only the Y'CbCr coding changes (matrix, range, depth, subsampling), not the picture.  Scaling, when the pair
would be wider than ``max_width``, is done by swscale within the source's own pixel format
(no colour conversion there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from ..errors import OutputError
from ..io.atomic import refuse_input_as_output
from ..io.video import EncoderSettings, VideoReader, VideoWriter, plane_arrays
from . import colorimetry as cm
from .grade import (FrameGrader, GradeResult, Progress, input_coding, output_coding, output_tags,
                    prepare_look, resolve_input_space, transcode)
from .params import PreviewParams

PREVIEW_FORMAT = "yuv420p"


def half_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    """Each half's size: the source's, scaled down so that two fit in ``max_width``, even."""
    scale = min(1.0, max_width / (2.0 * width))
    return max(2, int(width * scale) // 2 * 2), max(2, int(round(height * scale)) // 2 * 2)


def preview_clip(src: str | os.PathLike, dst: str | os.PathLike, look,
                 params: PreviewParams = PreviewParams(), progress: Progress | None = None) -> GradeResult:
    """Write ``dst``: original on the left, ``look`` applied on the right."""
    import time

    refuse_input_as_output(dst, [src])          # before any work: never over the source
    t0 = time.perf_counter()
    with VideoReader(src) as reader:
        info = reader.info
        space = resolve_input_space(params.input_space, reader)
        prepared = prepare_look(look)
        w, h = half_size(info.width, info.height, params.max_width)
        scaled = (w, h) != (info.width, info.height)
        in_coding = input_coding(reader)
        out_coding = output_coding(in_coding, h, PREVIEW_FORMAT)
        out_coding = cm.YCbCrCoding(matrix=out_coding.matrix, full_range=False, bit_depth=8)
        common = dict(in_coding=in_coding, in_subsampling=info.subsampling, out_coding=out_coding,
                      out_subsampling=(1, 1))
        original = FrameGrader(cm.identity_lut(2), input_space="vlog", **common)
        # the same coding in and out: the original's codes are copied as they are
        verbatim = in_coding == out_coding and tuple(info.subsampling) == (1, 1)
        graded = FrameGrader(prepared.table, input_space=space, **common)
        scratch = (np.empty((h, w), np.uint8), np.empty((h // 2, w // 2), np.uint8),
                   np.empty((h // 2, w // 2), np.uint8))
        dtype = np.uint8 if info.bit_depth <= 8 else np.uint16

        def side_by_side(item, planes) -> None:
            source = item.planes
            if scaled:
                source = plane_arrays(item.frame.reformat(width=w, height=h, interpolation="AREA"), dtype)
            if verbatim:
                planes[0][:h, :w] = source[0][:h, :w]
                planes[1][:h // 2, :w // 2] = source[1][:h // 2, :w // 2]
                planes[2][:h // 2, :w // 2] = source[2][:h // 2, :w // 2]
            else:
                original(source, planes, w, h)              # left half, in place
            graded(source, scratch, w, h)
            planes[0][:h, w:2 * w] = scratch[0]
            planes[1][:h // 2, w // 2:w] = scratch[1]
            planes[2][:h // 2, w // 2:w] = scratch[2]

        writer = VideoWriter(dst, overwrite=params.overwrite, inputs=(src,))
        count = transcode(reader, writer, side_by_side,
                          settings=EncoderSettings(codec="h264", crf=params.crf, preset="fast"),
                          width=2 * w, height=h, pix_fmt=PREVIEW_FORMAT,
                          tags=output_tags(out_coding, "rec709"), start=params.start,
                          duration=params.duration, progress=progress, faststart=True)
    return GradeResult(output=Path(dst), frames=count, seconds=time.perf_counter() - t0,
                       input_space=space, codec="h264", pix_fmt=PREVIEW_FORMAT)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>lsquared preview: {title}</title>
<style>
body {{ background: #181818; color: #ddd; font: 14px sans-serif; margin: 1em; }}
.labels {{ display: flex; }} .labels div {{ flex: 1; text-align: center; }}
video, canvas {{ width: 100%; max-width: {width}px; display: block; }}
#wipe {{ display: none; }} input[type=range] {{ width: 100%; max-width: {width}px; }}
</style></head><body>
<h3>{title}: original (left) and look <b>{look}</b> (right)</h3>
<p><label><input type="checkbox" id="mode"> wipe</label></p>
<div id="pair"><div class="labels" style="max-width:{width}px"><div>original</div><div>{look}</div></div>
<video id="v" src="compare.mp4" controls loop muted playsinline></video></div>
<div id="wipe"><canvas id="c" width="{half}" height="{height}"></canvas>
<input type="range" id="pos" min="0" max="1000" value="500"></div>
<script>
const v = document.getElementById('v'), c = document.getElementById('c'), g = c.getContext('2d');
const pos = document.getElementById('pos'), half = {half}, height = {height};
function draw() {{
  const x = Math.round(half * pos.value / 1000);
  g.drawImage(v, half, 0, half, height, 0, 0, half, height);          // graded, whole frame
  if (x > 0) g.drawImage(v, 0, 0, x, height, 0, 0, x, height);          // original, up to the wipe
  g.fillStyle = '#fff'; g.fillRect(x, 0, 1, height);
  if (document.getElementById('mode').checked) requestAnimationFrame(draw);
}}
document.getElementById('mode').onchange = e => {{
  const wipe = e.target.checked;
  document.getElementById('wipe').style.display = wipe ? 'block' : 'none';
  v.style.maxHeight = wipe ? '6em' : '';
  if (wipe) draw();
}};
pos.oninput = draw;
</script></body></html>
"""


class _RangeHandler(SimpleHTTPRequestHandler):
    """Static files with byte ranges (Safari will not play a video without them)."""

    def log_message(self, *args) -> None:      # keep the terminal for the progress and URL
        pass

    def send_head(self):
        rng = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not rng or not rng.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first, _, last = rng[6:].split(",")[0].partition("-")
        try:
            start = int(first) if first else max(size - int(last), 0)
            end = min(int(last), size - 1) if first and last else size - 1
        except ValueError:
            start, end = size, size
        if start >= size or start > end:
            self.send_error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            return None
        f = open(path, "rb")
        f.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile) -> None:
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0:
            chunk = source.read(min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


class PreviewServer:
    """A comparison clip and its page, served on 127.0.0.1 from a temporary folder."""

    def __init__(self, src, look, params: PreviewParams = PreviewParams(), *, port: int = 8765,
                 progress: Progress | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix="lsquared-preview-"))
        try:
            result = preview_clip(src, self.folder / "compare.mp4", look, params, progress)
            with VideoReader(self.folder / "compare.mp4") as r:
                width, height = r.info.width, r.info.height
            name = look if isinstance(look, str) else getattr(look, "name", "") or "look"
            (self.folder / "index.html").write_text(PAGE.format(
                title=Path(src).name, look=Path(str(name)).name, width=width, half=width // 2,
                height=height), encoding="utf-8")
            handler = lambda *a, **k: _RangeHandler(*a, directory=str(self.folder), **k)  # noqa: E731
            try:
                self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
            except OSError as exc:
                raise OutputError(f"cannot serve on 127.0.0.1:{port} ({exc.strerror})",
                                  hint="choose another --port") from None
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self.result = result
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve in a background thread; returns the page's URL."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
