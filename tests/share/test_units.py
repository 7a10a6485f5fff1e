"""Pieces of the share service on their own: ThumbHash against the published decoder, the
metadata redaction on TIFF/DNG/PNG, the streamed ZIP, durations and sizes."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from lsquared.share.privacy import redacted_stream, redaction_patches
from lsquared.share.thumbhash import rgb_to_thumbhash, thumbhash_average_rgb


def decode_thumbhash(h: bytes, w: int, hgt: int) -> np.ndarray:
    """The reference decoder (evanw/thumbhash thumbHashToRGBA), for opaque hashes, at w x hgt."""
    header24 = h[0] | (h[1] << 8) | (h[2] << 16)
    header16 = h[3] | (h[4] << 8)
    l_dc, p_dc, q_dc = (header24 & 63) / 63, ((header24 >> 6) & 63) / 31.5 - 1, ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    p_scale, q_scale = ((header16 >> 3) & 63) / 63, ((header16 >> 9) & 63) / 63
    landscape = header16 >> 15
    lx = max(3, 7 if landscape else header16 & 7)
    ly = max(3, header16 & 7 if landscape else 7)
    index = 0

    def channel(nx, ny, scale):
        nonlocal index
        ac = []
        for cy in range(ny):
            cx = 0 if cy else 1
            while cx * ny < nx * (ny - cy):
                data = h[5 + (index >> 1)] >> ((index & 1) << 2)
                ac.append(((data & 15) / 7.5 - 1) * scale)
                index += 1
                cx += 1
        return ac

    l_ac, p_ac, q_ac = channel(lx, ly, l_scale), channel(3, 3, p_scale * 1.25), channel(3, 3, q_scale * 1.25)
    out = np.zeros((hgt, w, 3))
    for y in range(hgt):
        for x in range(w):
            fx = [np.cos(np.pi / w * (x + 0.5) * c) for c in range(max(lx, 3))]
            fy = [np.cos(np.pi / hgt * (y + 0.5) * c) for c in range(max(ly, 3))]
            lum, p, q, j = l_dc, p_dc, q_dc, 0
            for cy in range(ly):
                cx = 0 if cy else 1
                while cx * ly < lx * (ly - cy):
                    lum += l_ac[j] * fx[cx] * fy[cy] * 2
                    j, cx = j + 1, cx + 1
            j = 0
            for cy in range(3):
                for cx in range(0 if cy else 1, 3 - cy):
                    p += p_ac[j] * fx[cx] * fy[cy] * 2
                    q += q_ac[j] * fx[cx] * fy[cy] * 2
                    j += 1
            b = lum - 2 / 3 * p
            r = (3 * lum - b + q) / 2
            out[y, x] = (r, r - q, b)
    return np.clip(out, 0, 1)


def test_thumbhash_round_trip_through_the_reference_decoder():
    yy, xx = np.mgrid[0:60, 0:90] / np.array([60.0, 90.0])[:, None, None]
    rgb = np.stack([xx, yy, 1 - xx], -1)                    # smooth: what 7x3 DCT terms can hold
    pixels = np.round(rgb * 255).astype(np.uint8)
    hash_ = rgb_to_thumbhash(pixels)
    assert len(hash_) <= 25
    assert np.abs(np.array(thumbhash_average_rgb(hash_)) - rgb.reshape(-1, 3).mean(0)).max() < 0.02
    decoded = decode_thumbhash(hash_, 9, 6)
    small = np.asarray(Image.fromarray(pixels).resize((9, 6), Image.Resampling.BOX)) / 255
    # the decoder boosts saturation by 1.25 (to make up for quantization): same picture, not same values
    assert np.abs(decoded - small).mean() < 0.1
    for c in range(3):
        assert np.corrcoef(decoded[..., c].ravel(), small[..., c].ravel())[0, 1] > 0.95
    with pytest.raises(ValueError):
        rgb_to_thumbhash(np.zeros((101, 10, 3), np.uint8))


def _patched(path) -> bytes:
    return b"".join(redacted_stream(path))


def test_redaction_of_a_tiff_keeps_pixels_and_drops_gps_and_serials(tmp_path):
    im = Image.fromarray(np.arange(48 * 32 * 3, dtype=np.uint8).reshape(32, 48, 3))
    exif = Image.Exif()
    exif[0x010F] = "Maker"
    exif[0xC62F] = "DNG-SERIAL-123"                     # CameraSerialNumber in IFD0
    exif.get_ifd(0x8769)[0xA431] = "BODY-SERIAL-456"
    exif.get_ifd(0x8825).update({1: "S", 2: (33.0, 51.0, 54.0), 3: "E", 4: (151.0, 12.0, 36.0)})
    path = tmp_path / "t.tif"
    im.save(path, "TIFF", exif=exif)
    before = path.read_bytes()
    out = _patched(path)
    assert len(out) == len(before) and path.read_bytes() == before          # the file itself untouched
    assert b"DNG-SERIAL-123" not in out and b"BODY-SERIAL-456" not in out
    red = Image.open(io.BytesIO(out))
    assert not red.getexif().get_ifd(0x8825) and red.getexif()[0x010F] == "Maker"
    assert np.array_equal(np.asarray(red), np.asarray(im))
    assert _patched(path) == out and b"".join(redacted_stream(path, keep_location=True)) == before


def test_redaction_of_a_png_recomputes_crcs(tmp_path):
    im = Image.new("RGB", (16, 8), (10, 200, 30))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (1.0, 2.0, 3.0)})
    exif.get_ifd(0x8769)[0xA431] = "PNG-SERIAL"
    path = tmp_path / "p.png"
    im.save(path, "PNG", exif=exif.tobytes())
    out = _patched(path)
    assert b"PNG-SERIAL" not in out and redaction_patches(path)
    pos = 8
    while pos < len(out):                                          # every chunk's CRC is right
        length, kind = struct.unpack(">I4s", out[pos:pos + 8])
        data = out[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", out[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + data)
        pos += 12 + length
    red = Image.open(io.BytesIO(out))
    red.load()
    assert not red.getexif().get_ifd(0x8825)


def test_redaction_of_a_dng_original(tmp_path, demo_raws):
    from lsquared.io.raw import open_raw

    path = demo_raws[0]
    out = tmp_path / "served.dng"
    out.write_bytes(_patched(path))
    assert np.array_equal(open_raw(out).data, open_raw(path).data)          # still the same raw


def test_streamed_zip_of_large_members_is_readable(tmp_path):
    from lsquared.share.zipstream import album_zip

    a = tmp_path / "a.bin"
    a.write_bytes(np.random.default_rng(0).bytes(3 << 20))
    b = tmp_path / "b.bin"
    b.write_bytes(b"x" * 10)
    blocks = list(album_zip([("same.jpg", a, False), ("same.jpg", b, False), ("gone.jpg", tmp_path / "no", False)]))
    assert max(len(x) for x in blocks) <= (1 << 20) + 4096                    # never the whole file at once
    zf = zipfile.ZipFile(io.BytesIO(b"".join(blocks)))
    assert zf.namelist() == ["same.jpg", "same-2.jpg"]
    assert zf.read("same.jpg") == a.read_bytes() and zf.read("same-2.jpg") == b"x" * 10


def test_durations_and_sizes():
    from lsquared.errors import ParameterError
    from lsquared.share.service import Refused, parse_duration
    from lsquared.share.settings import parse_size

    assert parse_duration("7d") == 7 * 86400 and parse_duration("12h") == 43200 and parse_duration("never") is None
    with pytest.raises(Refused):
        parse_duration("soon")
    assert parse_size("2G") == 2 << 30 and parse_size("500M") == 500 << 20 and parse_size("1024") == 1024
    with pytest.raises(ParameterError):
        parse_size("lots")


def test_redaction_of_a_quicktime_location(tmp_path):
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    av = pytest.importorskip("av")
    src = tmp_path / "clip.mov"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=25:duration=0.2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-metadata", "location=+48.8577+002.2950/", str(src)], check=True)
    assert b"+48.8577+002.2950/" in src.read_bytes()
    served = tmp_path / "served.mov"
    served.write_bytes(_patched(src))
    assert b"48.8577" not in served.read_bytes() and served.stat().st_size == src.stat().st_size
    with av.open(str(served)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 5


def test_sniffing_refuses_a_raw_no_decoder_reads(raw_dir):
    from lsquared.share.sniff import NotMedia, sniff

    with pytest.raises(NotMedia):
        sniff(raw_dir / "unsupported" / "gopro-hero6-12mp.gpr")
    assert sniff(raw_dir / "kodak-dc50-0.4mp.kdc").kind == "raw"
    assert sniff(raw_dir / "canon-550d-magiclantern-2mp.dng").media_type == "image/x-adobe-dng"
