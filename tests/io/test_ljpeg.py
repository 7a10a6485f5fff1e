"""The lossless-JPEG tile decoder: exact against libjpeg-turbo and liblj92, strict on damage."""

from __future__ import annotations

import imagecodecs
import numpy as np
import pytest

from lsquared.io.ljpeg import (
    LJ92Corrupt,
    LJ92Unsupported,
    decode_lj92,
    decode_lj92_tiles,
    huffman_lookup,
    parse_lj92_header,
)


def _image(shape, bits, seed=0):
    """A smooth ramp plus noise: realistic differences, touching 0 and the top of the range."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    ramp = np.linspace(0, 2 ** bits - 1, w)[None, :] * np.linspace(0.2, 1.0, h)[:, None]
    if len(shape) == 3:
        ramp = ramp[..., None] * np.linspace(0.5, 1.0, shape[2])
    noisy = ramp + rng.normal(0, 2 ** (bits - 6), shape)
    img = np.clip(np.rint(noisy), 0, 2 ** bits - 1).astype(np.uint16)
    img.flat[0], img.flat[-1] = 0, 2 ** bits - 1
    return img


@pytest.mark.parametrize("predictor", range(1, 8))
@pytest.mark.parametrize("bits", [8, 12, 14, 16])
def test_every_predictor_and_precision_round_trips(predictor, bits):
    img = _image((37, 53), bits, seed=predictor)
    if bits == 8:
        img = img.astype(np.uint8)       # libjpeg-turbo takes 8-bit samples as uint8
    stream = imagecodecs.jpeg8_encode(img, lossless=True, predictor=predictor, bitspersample=bits)
    out = decode_lj92(stream)
    assert out.shape == (37, 53, 1)
    np.testing.assert_array_equal(out[..., 0], img)
    np.testing.assert_array_equal(out[..., 0], imagecodecs.jpeg8_decode(stream))


@pytest.mark.parametrize("components", [2, 3, 4])
def test_interleaved_components(components):
    img = _image((24, 40, components), 14, seed=components)
    stream = imagecodecs.jpeg8_encode(img, lossless=True, predictor=1, bitspersample=14)
    np.testing.assert_array_equal(decode_lj92(stream), img)


def test_matches_liblj92_on_its_own_streams():
    img = _image((64, 96), 14)
    stream = imagecodecs.ljpeg_encode(img, bitspersample=14)
    np.testing.assert_array_equal(decode_lj92(stream)[..., 0], imagecodecs.ljpeg_decode(stream))


def _tiled(img, tile, components=1):
    """Encode ``img`` as padded lossless-JPEG tiles in one buffer (offsets, counts, buffer)."""
    th, tw = tile
    h, w = img.shape[:2]
    streams = []
    for y in range(0, h, th):
        for x in range(0, w, tw):
            block = np.zeros((th, tw) + img.shape[2:], np.uint16)
            part = img[y:y + th, x:x + tw]
            block[:part.shape[0], :part.shape[1]] = part
            if components > 1:
                block = block.reshape(th, tw // components, components)
            streams.append(imagecodecs.jpeg8_encode(block, lossless=True, predictor=1, bitspersample=14))
    offsets = np.cumsum([0] + [len(s) for s in streams[:-1]])
    return np.frombuffer(b"".join(streams), np.uint8), offsets, np.array([len(s) for s in streams])


@pytest.mark.parametrize("components", [1, 2])
def test_tiles_window_and_value_table(components):
    img = _image((70, 100), 14)
    buf, offsets, counts = _tiled(img, (32, 48), components)
    values = (np.arange(65536, dtype=np.float32) * 0.5 + 3).astype(np.float32)
    window = (5, 7, 60, 81)          # odd origin, crossing tile borders, inside the padded edge
    out = decode_lj92_tiles(buf, offsets, counts, image_size=(70, 100), tile_size=(32, 48), samples_per_pixel=1,
                            window=window, values=values)
    top, left, h, w = window
    expected = values[img[top:top + h, left:left + w]]
    np.testing.assert_array_equal(out[..., 0], expected)


def test_three_sample_tiles():
    img = _image((40, 50, 3), 12)
    buf, offsets, counts = _tiled(img, (16, 32))
    out = decode_lj92_tiles(buf, offsets, counts, image_size=(40, 50), tile_size=(16, 32), samples_per_pixel=3,
                            window=(0, 0, 40, 50))
    np.testing.assert_array_equal(out, img.astype(np.float32))


# ----------------------------------------------------------------------------- damage


def _stream():
    img = _image((128, 128), 14, seed=3)
    return img, imagecodecs.jpeg8_encode(img, lossless=True, predictor=1, bitspersample=14)


def _scan_range(stream):
    header = parse_lj92_header(np.frombuffer(stream, np.uint8), 0, len(stream))
    return header.scan_start, len(stream) - 2


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_stream_is_reported(keep):
    _, stream = _stream()
    start, end = _scan_range(stream)
    cut = stream[:start + int((end - start) * keep)]
    with pytest.raises(LJ92Corrupt, match="end before the last sample|left over|outside|Huffman"):
        decode_lj92(cut)


@pytest.mark.parametrize("kind", ["zeros", "random", "ones"])
def test_damaged_middle_is_reported(kind):
    _, stream = _stream()
    start, end = _scan_range(stream)
    data = bytearray(stream)
    mid = (start + end) // 2
    patch = {"zeros": bytes(300), "ones": b"\x55" * 300,
             "random": np.random.default_rng(7).integers(0, 256, 300, dtype=np.uint8).tobytes()}[kind]
    data[mid:mid + 300] = patch
    with pytest.raises(LJ92Corrupt):
        decode_lj92(bytes(data))


def test_leftover_data_goes_to_libraw():
    """Samples that decode cleanly followed by more data than padding explains: not proof of
    damage (an encoder we have not met), so the fast path declines and LibRaw decodes."""
    img, stream = _stream()
    small = imagecodecs.jpeg8_encode(img[:64], lossless=True, predictor=1, bitspersample=14)
    # claim 32 rows in the frame header of a 64-row scan: half the data is never used
    data = bytearray(small)
    sof = data.index(b"\xff\xc3")
    data[sof + 5:sof + 7] = (32).to_bytes(2, "big")
    with pytest.raises(LJ92Unsupported, match="padding"):
        decode_lj92(bytes(data))


def test_marker_inside_data_is_reported():
    _, stream = _stream()
    start, end = _scan_range(stream)
    data = bytearray(stream)
    data[(start + end) // 2:(start + end) // 2 + 2] = b"\xff\xd0"      # a restart marker without DRI
    with pytest.raises(LJ92Corrupt):
        decode_lj92(bytes(data))


def test_not_a_jpeg():
    with pytest.raises(LJ92Corrupt, match="SOI"):
        decode_lj92(b"\x00" * 100)


def test_unsupported_features_are_left_to_libraw():
    _, stream = _stream()
    with_dri = stream[:2] + b"\xff\xdd\x00\x04\x00\x10" + stream[2:]
    with pytest.raises(LJ92Unsupported, match="restart"):
        decode_lj92(with_dri)
    baseline = imagecodecs.jpeg8_encode(np.zeros((16, 16), np.uint8))     # lossy baseline JPEG
    with pytest.raises(LJ92Unsupported, match="not lossless"):
        decode_lj92(baseline)


def test_huffman_table_codes():
    # T.81 table K.3 (luminance DC): lengths 2,3,3,3,3,3,4,5,6,7,8,9 for categories 0..11
    counts = bytes([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    lut = huffman_lookup(counts + bytes(range(12)))
    assert lut[0b00 << 14] == (2 << 8) | 0               # '00' -> category 0
    assert lut[0b010 << 13] == (3 << 8) | 1              # '010' -> category 1
    assert lut[0b110 << 13] == (3 << 8) | 5
    assert lut[0b111111110 << 7] == (9 << 8) | 11
    assert lut[0xFFFF] == 0                               # all ones: no such code
    with pytest.raises(LJ92Corrupt, match="over-subscribed"):
        huffman_lookup(bytes([3] + [0] * 15) + bytes(3))


def test_codes_longer_than_the_short_table_decode_exactly():
    """The kernel looks codes of up to SHORT_BITS bits up in a small table and falls back to
    the full one for longer codes: a 16-bit stream whose optimized table has longer codes
    (the rare large differences of a ramp with noise and two extreme samples) decodes exactly."""
    from lsquared.kernels.lj92 import SHORT_BITS

    img = _image((64, 80), 16, seed=3)
    stream = imagecodecs.jpeg8_encode(img, lossless=True, predictor=1, bitspersample=16)
    header = parse_lj92_header(np.frombuffer(stream, np.uint8), 0, len(stream))
    longest = max(i + 1 for table in header.tables.values() for i, n in enumerate(table[:16]) if n)
    assert longest > SHORT_BITS          # the fallback is exercised
    np.testing.assert_array_equal(decode_lj92(stream)[..., 0], img)
