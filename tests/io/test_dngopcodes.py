"""OpcodeList2 maps (DNG 1.6 ch. 7) applied by io.raw, against the specification's formulas."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import rawpy
from dngmaker import area_params, opcode_list, write_dng

from lsquared.io.dngopcodes import parse_opcode_list
from lsquared.io.raw import open_raw, read_metadata

RNG = np.random.default_rng(5)


def _poly(coefficients):
    return struct.pack(">I", len(coefficients) - 1) + struct.pack(f">{len(coefficients)}d", *coefficients)


def test_map_polynomial_per_plane(tmp_path):
    rgb = RNG.integers(0, 256, (30, 40, 3)).astype(np.uint16)
    coefficients = {0: (0.0, 0.1, 0.0, 0.4), 1: (0.01, 0.0, 0.9), 2: (0.0, 1.2)}    # plane 2 clips above 1/1.2
    ops = opcode_list(*[(8, area_params(0, 0, 30, 40, plane=p) + _poly(c)) for p, c in coefficients.items()])
    path = write_dng(tmp_path / "p.dng", rgb, photometric="linear", black=(5, 5, 5), white=(255,), bits=8,
                     opcode_list2=ops)
    frame = open_raw(path)
    for plane, c in coefficients.items():
        x = (rgb[..., plane] - 5.0) / 250.0
        y = np.clip(np.polynomial.polynomial.polyval(x, c), 0, 1)
        np.testing.assert_allclose(frame.data[..., plane], 5 + 250 * y, atol=1e-3)
    assert frame.meta.extra["opcodes_applied"] == ["MapPolynomial"] * 3 and frame.meta.warnings == ()


def test_delta_and_scale_on_a_mosaic_area_with_pitch(tmp_path):
    mosaic = RNG.integers(1000, 15000, (32, 48)).astype(np.uint16)
    deltas = np.linspace(-0.01, 0.01, 11).astype(">f4")               # rows 8, 10, ..., 28 of the active area
    scales = np.linspace(0.9, 1.1, 24).astype(">f4")                  # every column of plane 0 from 0 to 47, pitch 2
    ops = opcode_list(
        (10, area_params(8, 0, 30, 48, row_pitch=2) + struct.pack(">I", 11) + deltas.tobytes()),
        (13, area_params(0, 0, 32, 48, col_pitch=2) + struct.pack(">I", 24) + scales.tobytes()),
    )
    path = write_dng(tmp_path / "d.dng", mosaic, black=(200,), white=(16000,), active_area=(2, 0, 32, 48),
                     opcode_list2=ops)
    frame = open_raw(path)
    x = (mosaic[2:].astype(np.float64) - 200) / 15800            # data row i is active-area row i
    x[8::2] += deltas.astype(np.float64)[:, None]
    x[:, ::2] *= scales.astype(np.float64)[None, :]
    np.testing.assert_allclose(frame.data, 200 + 15800 * x, atol=2e-2)


def test_unknown_opcodes_are_reported_not_applied(tmp_path):
    mosaic = RNG.integers(1000, 15000, (32, 32)).astype(np.uint16)      # LibRaw wants 22 pixels or more
    ops = opcode_list((9, area_params(0, 0, 32, 32) + bytes(48)), (8, area_params(0, 0, 32, 32) + _poly((0, 1))))
    path = write_dng(tmp_path / "g.dng", mosaic, opcode_list2=ops)
    frame = open_raw(path)
    np.testing.assert_array_equal(frame.data, mosaic)               # identity polynomial, gain map skipped
    assert frame.meta.warnings == ("OpcodeList2 (GainMap) is not applied",)
    assert read_metadata(path).warnings == frame.meta.warnings


def test_sony_linear_raw_is_made_linear(raw_dir):
    """Adobe's 8-bit LinearRaw sample stores gamma-like values that its MapPolynomials undo."""
    path = raw_dir / "sony-a7r4-linear-lossy-6mp.dng"
    frame = open_raw(path)
    stored = rawpy.imread(str(path)).raw_image[..., :3].astype(np.float64)
    ops = parse_opcode_list(__import__("lsquared.io.dngtags", fromlist=["x"]).read_dng_tags(path)
                            .opcode_lists["OpcodeList2"])
    for plane, op in enumerate(ops):
        degree = struct.unpack(">I", op.params[32:36])[0]
        c = struct.unpack(f">{degree + 1}d", op.params[36:36 + 8 * (degree + 1)])
        expected = 255 * np.clip(np.polynomial.polynomial.polyval(stored[..., plane] / 255, c), 0, 1)
        np.testing.assert_allclose(frame.data[..., plane], expected, atol=1e-3)
    assert frame.meta.extra["opcodes_applied"] == ["MapPolynomial"] * 3


def test_area_seen_through_a_default_crop(tmp_path):
    """The data start inside the opcode's area (crop origin 3, 1): rows and columns stay aligned."""
    mosaic = RNG.integers(1000, 15000, (40, 48)).astype(np.uint16)
    scales = np.linspace(0.8, 1.2, 15).astype(">f4")                  # columns 1, 4, 7, ... (pitch 3)
    ops = opcode_list((13, area_params(0, 1, 40, 45, col_pitch=3) + struct.pack(">I", 15) + scales.tobytes()))
    path = write_dng(tmp_path / "c.dng", mosaic, black=(0,), white=(16000,), default_crop=((3, 1), (40, 36)),
                     opcode_list2=ops)
    frame = open_raw(path)
    x = mosaic[1:37, 3:43].astype(np.float64) / 16000
    cols = np.arange(1, 45, 3)                                       # active-area columns the opcode touches
    for k, col in enumerate(cols):
        if 3 <= col < 43:
            x[:, col - 3] *= scales[k]
    np.testing.assert_allclose(frame.data, 16000 * x, atol=1e-2)
