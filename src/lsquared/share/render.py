"""The renditions a worker makes of an upload, through lsquared's own develop and video paths.

- preview (raws): the camera's embedded preview where it is as large as a half-size develop
  (or the web size), else the mosaic binned 2x2 to half size (each 2x2 CFA cell one RGB pixel:
  R, the mean of the two greens, B) and developed through the album's look without noise
  reduction or sharpening: a quarter of the pixels and no demosaic; a 2048-pixel web size and
  a 400-pixel thumbnail.
- full develop (raws and images): the whole picture in the album's look: full-size JPEG, a
  2048-pixel web size and a 400-pixel thumbnail, each as JPEG and WebP, and a ThumbHash.
- video: graded with the album's look through lsquared.video's grader and written as a
  web-playable H.264 MP4 (yuv420p 8-bit, moov atom first), scaled to at most 1920 wide; the
  first frame is the poster.

Nothing here writes EXIF a viewer should not get: the serial number is dropped, and the
develop path carries no GPS at all.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..frame import Exif, Frame, SensorLayout

WEB_SIZE = 2048
THUMB_SIZE = 400
JPEG_QUALITY = 88
WEBP_QUALITY = 80
# libwebp's effort 0-6 (Pillow's default 4): 2 encodes a 2048-pixel web size in 0.14 s instead of
# 0.32 s for 2 % more bytes (24 MP develop, measured on this machine); renditions are made per upload
WEBP_METHOD = 2
# Pillow first shrinks by an integer factor with a box filter while the picture stays this many
# times the target, then resamples with Lanczos: for 6048 -> 2048 the default 3.0 does no box
# step (0.37 s); 1.4 box-halves first (0.17 s) and differs from the one-pass Lanczos by 42.6 dB PSNR
REDUCING_GAP = 1.4
VIDEO_MAX_WIDTH = 1920


@dataclass(frozen=True, slots=True)
class Rendered:
    width: int
    height: int
    placeholder: str
    exif: dict
    recipe: str | None = None


def half_size_frame(frame: Frame) -> Frame:
    """A Bayer frame binned 2x2 into three-sample data of half the size (other layouts are
    returned as they are).  Black levels follow the samples: R's, the greens' mean, B's."""
    meta = frame.meta
    if meta.layout is not SensorLayout.BAYER or frame.data.ndim != 2 or not meta.cfa:
        return frame
    d = frame.data
    h2, w2 = d.shape[0] // 2 * 2, d.shape[1] // 2 * 2
    cells = [d[0:h2:2, 0:w2:2], d[0:h2:2, 1:w2:2], d[1:h2:2, 0:w2:2], d[1:h2:2, 1:w2:2]]
    pattern = meta.cfa.upper()
    r, b = pattern.index("R"), pattern.index("B")
    g1, g2 = [i for i, c in enumerate(pattern) if c == "G"]
    rgb = np.empty((h2 // 2, w2 // 2, 3), np.float32)
    rgb[..., 0] = cells[r]
    np.add(cells[g1], cells[g2], out=rgb[..., 1])
    rgb[..., 1] *= 0.5
    rgb[..., 2] = cells[b]
    black = meta.black
    bg = (black[g1] + black[g2]) / 2
    return Frame(rgb, meta.replace(layout=SensorLayout.LINEAR_RGB, cfa=None,
                                   black=(black[r], bg, black[b], bg)))


def exif_summary(exif: Exif) -> dict:
    """The EXIF line of a photo page (stored as JSON with the photo)."""
    from ..cli.info import camera_name

    camera = camera_name(exif.make, exif.model) if (exif.make or exif.model) else None
    lens = exif.lens_model or None
    return {"camera": camera, "lens": lens, "exposure_time": exif.exposure_time, "f_number": exif.f_number,
            "iso": exif.iso, "focal_length": exif.focal_length, "datetime": exif.datetime_original,
            "artist": exif.artist}


def served_exif(exif: Exif | None) -> Exif | None:
    """What renditions carry: everything but the serial number (no GPS is ever kept)."""
    return dataclasses.replace(exif, serial_number=None) if exif is not None else None


def _fit(im, size: int):
    from PIL import Image

    if max(im.size) <= size:
        return im
    im = im.copy()
    im.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    return im


def write_sizes(pixels: np.ndarray, exif: Exif | None, space: str, out: Path, *, full: bool,
                webp: bool) -> tuple[int, int, str]:
    """Write web.jpg and thumb.jpg (and full.jpg, the WebP twins when asked) into ``out``;
    returns (width, height, placeholder) of the picture."""
    from PIL import Image

    from ..io.image import write_image

    exif = served_exif(exif)
    pixels = np.ascontiguousarray(pixels)
    if pixels.dtype != np.uint8:
        pixels = (pixels >> 8).astype(np.uint8) if pixels.dtype == np.uint16 else pixels.astype(np.uint8)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    if full:
        write_image(out / "full.jpg", pixels, format="jpeg", quality=JPEG_QUALITY, exif=exif, space=space)
    im = Image.fromarray(pixels)
    web = _fit(im, WEB_SIZE)
    thumb = _fit(web, THUMB_SIZE)
    for name, picture in (("web", web), ("thumb", thumb)):
        write_image(out / f"{name}.jpg", np.asarray(picture), format="jpeg", quality=JPEG_QUALITY,
                    exif=exif, space=space)
        if webp:
            picture.save(out / f"{name}.webp", "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    from .thumbhash import placeholder

    return pixels.shape[1], pixels.shape[0], placeholder(np.asarray(thumb))


def _recipe(look: str | Path, *, preview: bool = False):
    from ..pipeline.recipe import Recipe
    from ..pipeline.run import apply_overrides

    recipe = Recipe().with_overrides(look__name=str(look))
    # a preview is seen small and for a second: no noise reduction or capture sharpening
    return apply_overrides(recipe, denoise="off", sharpen="off") if preview else recipe


def render_preview(original: Path, kind: str, look: str | Path, out: Path) -> Rendered:
    """The fast first picture of a raw (half size, in the look) or of an image."""
    from ..pipeline.run import develop_frame, develop_image

    if kind == "raw":
        from ..io.raw import embedded_preview, open_raw

        embedded = embedded_preview(original, WEB_SIZE)
        if embedded is not None:          # the camera's own JPEG, as large: no decode at all
            from ..orientation import orient

            pixels, (w, h), orientation = embedded
            if orientation in (5, 6, 7, 8):
                w, h = h, w
            _, _, ph = write_sizes(orient(pixels, orientation), None, "srgb", out, full=False, webp=False)
            return Rendered(width=w, height=h, placeholder=ph, exif={})
        frame = open_raw(original)
        h, w = frame.data.shape[:2]           # the preview stands for the whole picture
        if frame.meta.orientation in (5, 6, 7, 8):
            h, w = w, h
        picture = develop_frame(half_size_frame(frame), _recipe(look, preview=True))
    else:
        picture = develop_image(original, _recipe(look, preview=True))
        h, w = picture.shape[:2]
    _, _, ph = write_sizes(np.asarray(picture), picture.exif, picture.space, out, full=False, webp=False)
    return Rendered(width=int(w), height=int(h), placeholder=ph, exif=exif_summary(picture.exif))


def render_full(original: Path, kind: str, look: str | Path, out: Path) -> Rendered:
    """The full develop in the look; the resolved recipe comes back as TOML text."""
    from ..pipeline.recipe import recipe_to_dict
    from ..pipeline.run import develop_frame, develop_image

    if kind == "raw":
        from ..io.raw import open_raw

        picture = develop_frame(open_raw(original), _recipe(look))
    else:
        picture = develop_image(original, _recipe(look))
    w, h, ph = write_sizes(np.asarray(picture), picture.exif, picture.space, out, full=True, webp=True)
    import tomli_w

    recipe = tomli_w.dumps(recipe_to_dict(picture.recipe))
    return Rendered(width=w, height=h, placeholder=ph, exif=exif_summary(picture.exif), recipe=recipe)


def render_video(original: Path, look: str | Path, out: Path) -> Rendered:
    """A graded, web-playable H.264 MP4 (video.mp4) with its poster (poster.jpg, web.jpg,
    thumb.jpg), built from lsquared.video's grader (the same LUT as the stills)."""
    from ..io.video import EncoderSettings, VideoReader, VideoWriter, plane_arrays
    from ..video import colorimetry as cm
    from ..video.grade import (FrameGrader, input_coding, output_coding, output_tags, prepare_look,
                               resolve_input_space, transcode)
    from ..video.preview import half_size

    target = out / "video.mp4"
    with VideoReader(original) as reader:
        info = reader.info
        space = resolve_input_space("auto", reader)
        prepared = prepare_look(str(look))
        w, h = half_size(info.width, info.height, 2 * VIDEO_MAX_WIDTH)
        scaled = (w, h) != (info.width, info.height)
        in_coding = input_coding(reader)
        out_coding = output_coding(in_coding, h, "yuv420p")
        out_coding = cm.YCbCrCoding(matrix=out_coding.matrix, full_range=False, bit_depth=8)
        grader = FrameGrader(prepared.table, input_space=space, in_coding=in_coding,
                             in_subsampling=info.subsampling, out_coding=out_coding, out_subsampling=(1, 1))
        dtype = np.uint8 if info.bit_depth <= 8 else np.uint16

        def grade(item, planes) -> None:
            source = item.planes
            if scaled:
                source = plane_arrays(item.frame.reformat(width=w, height=h, interpolation="AREA"), dtype)
            grader(source, planes, w, h)

        writer = VideoWriter(target, inputs=(original,))
        transcode(reader, writer, grade, settings=EncoderSettings(codec="h264", crf=21, preset="fast"),
                  width=w, height=h, pix_fmt="yuv420p", tags=output_tags(out_coding, prepared.output_space),
                  faststart=True)
    poster = first_frame_rgb(target)
    _, _, placeholder_ = write_sizes(poster, None, "srgb", out, full=False, webp=False)
    shutil.copyfile(out / "web.jpg", out / "poster.jpg")
    return Rendered(width=w, height=h, placeholder=placeholder_, exif={})


def first_frame_rgb(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            return frame.to_ndarray(format="rgb24")
    raise ValueError("the graded video has no frames")
