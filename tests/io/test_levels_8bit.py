"""8-bit DNGs that need a linearisation develop like their high-bit-depth equivalent.

Issue 15: an 8-bit DNG whose samples are made linear by a LinearizationTable or by OpcodeList2
(MapPolynomial, MapTable), stored plain or as lossy-JPEG tiles (as Adobe's converter writes
lossy DNGs), developed almost white: the levels the frame recorded (WhiteLevel 255) did not
describe the data it held.  Each case here is written from the simulated camera's chart (its
sensor signal, known exactly), encoded to 8 bits through the inverse of a known curve, and
developed end to end next to the 16-bit DNG of the same data and tags: the chart's patches
must agree within 1 CIEDE2000 on average.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from dngmaker import area_params, opcode_list, write_dng

import lsquared
from lsquared.io import dngtags
from lsquared.synth.demo import make_demo_raw
from lsquared.synth.truth import delta_e_2000, picture_to_xyz, xyz_to_lab

SIZE = (480, 320)
# the decoding curve written into the files: P(t) = 0.1 t + 0.5 t^2 + 0.4 t^3, monotonic on
# [0, 1] with P(0) = 0, P(1) = 1; the 8-bit samples are round(255 * P^-1(linear))
CURVE = (0.0, 0.1, 0.5, 0.4)


def _curve(t):
    return np.polynomial.polynomial.polyval(t, CURVE)


def _encode_8bit(linear: np.ndarray) -> np.ndarray:
    grid = np.linspace(0.0, 1.0, 1 << 16)
    return np.rint(255 * np.interp(np.clip(linear, 0, 1), _curve(grid), grid)).astype(np.uint16)


def _poly_ops(planes: int) -> bytes:
    params = struct.pack(">I", len(CURVE) - 1) + struct.pack(f">{len(CURVE)}d", *CURVE)
    return opcode_list(*[(8, area_params(0, 0, 1 << 20, 1 << 20, plane=p) + params) for p in range(planes)])


def _table_ops(planes: int) -> bytes:
    table = np.rint(65535 * _curve(np.arange(1 << 16) / 65535)).astype(">u2")
    params = struct.pack(">I", table.size) + table.tobytes()
    return opcode_list(*[(7, area_params(0, 0, 1 << 20, 1 << 20, plane=p) + params) for p in range(planes)])


def _lin_table() -> np.ndarray:
    return np.rint(65535 * _curve(np.arange(256) / 255)).astype(np.uint16)


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    """The 14-bit reference DNG, its linear mosaic in [0, 1], colour tags and developed chart."""
    folder = tmp_path_factory.mktemp("levels")
    info = make_demo_raw(folder / "reference.dng", size=SIZE, noise=False, preview=False)
    frame = lsquared.open_raw(info.path)
    black = np.asarray(frame.meta.black, np.float64).reshape(2, 2)
    linear = (frame.data - np.tile(black, (frame.data.shape[0] // 2, frame.data.shape[1] // 2))) \
        / (frame.meta.white - black.max())
    tags = dngtags.read_dng_tags(info.path)
    colour = dict(color_matrix1=tags.color_matrix[0], illuminant1=tags.calibration_illuminant[0],
                  as_shot_neutral=tuple(tags.as_shot_neutral), baseline_exposure=tags.baseline_exposure)
    return folder, info, np.clip(linear, 0, 1), frame.meta.cfa, colour


def _chart_lab(picture: np.ndarray, patches, scale: int = 1) -> np.ndarray:
    xyz = picture_to_xyz(picture)
    boxes = [tuple(v // scale for v in p.box) for p in patches if p.kind == "patch"]
    return xyz_to_lab(np.array([xyz[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0) for x0, y0, x1, y1 in boxes]))


def _half_rgb(linear: np.ndarray, cfa: str) -> np.ndarray:
    """The mosaic binned 2x2 into linear camera RGB: three-sample LinearRaw data."""
    planes = {c: [] for c in "RGB"}
    for i, c in enumerate(cfa):
        planes[c].append(linear[i // 2::2, i % 2::2])
    return np.stack([np.mean(planes[c], axis=0) for c in "RGB"], axis=-1)


CASES = {
    # name: (layout, compression, opcodes, linearization table, WhiteLevel)
    "cfa-mappolynomial": ("cfa", "none", _poly_ops, None, (255,)),
    "cfa-maptable": ("cfa", "none", _table_ops, None, (255,)),
    "cfa-linearizationtable": ("cfa", "none", None, _lin_table, None),
    "cfa-linearizationtable-white255": ("cfa", "none", None, _lin_table, (255,)),
    "linear-lossy-mappolynomial": ("linear", "jpeg", _poly_ops, None, (255,)),
    "linear-lossy-maptable": ("linear", "jpeg", _table_ops, None, (255,)),
    "linear-lossy-linearizationtable": ("linear", "jpeg", None, _lin_table, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_8bit_linearised_dng_develops_like_its_high_bit_equivalent(shot, case):
    folder, info, linear, cfa, colour = shot
    layout, compression, ops, table, white = CASES[case]
    # the 16-bit equivalent: the same linear data and tags, 16-bit samples, no linearisation
    data, scale, planes = (linear, 1, 1) if layout == "cfa" else (_half_rgb(linear, cfa), 2, 3)
    ref_path = write_dng(folder / f"{case}-16bit.dng", np.rint(data * 65535).astype(np.uint16),
                         photometric=layout, cfa=cfa, bits=16, black=(0,), white=(65535,), **colour)
    reference = lsquared.develop(lsquared.open_raw(ref_path), look="neutral")
    # linearisation tables map the stored samples themselves; the opcodes work on them with
    # the levels (black 0) in place
    path = write_dng(folder / f"{case}.dng", _encode_8bit(data), photometric=layout, cfa=cfa, bits=8,
                     compression=compression, tile=(64, 64) if compression == "jpeg" else None,
                     black=(0,), white=white, linearization=table() if table else None,
                     opcode_list2=ops(planes) if ops else None, jpeg_quality=97, **colour)
    frame = lsquared.open_raw(path)
    assert frame.data.max() <= frame.meta.white * 1.001
    picture = lsquared.develop(frame, look="neutral")
    de = delta_e_2000(_chart_lab(picture, info.patches, scale), _chart_lab(reference, info.patches, scale))
    print(f"{case}: dE2000 mean {de.mean():.3f} p95 {np.percentile(de, 95):.3f} max {de.max():.3f}")
    assert de.mean() <= 1.0, de
    assert de.max() <= 3.0, de


def test_black_deltas_in_stored_units_go_through_the_linearization_table(shot):
    """BlackLevel, WhiteLevel and BlackLevelDeltaV all written in stored 8-bit units beside a
    LinearizationTable: the deltas must be mapped through the table like the levels (a row
    whose stored black is b + d has the linearised black T(b + d)), or every row keeps a black
    error of T(b + d) - T(b) - d.  Developed against the 16-bit DNG of the same signal."""
    folder, info, linear, cfa, colour = shot
    table = _lin_table()
    index = np.arange(table.size, dtype=np.float64)
    stored_black, rows = 16.0, linear.shape[0]
    delta_v = np.round(12.0 * (np.arange(rows) % 16) / 15.0)          # 0..12 stored codes, row by row
    black_rows = np.interp(stored_black + delta_v, index, table)    # linearised black of each row
    white = float(table[-1])
    # the mean black the frame's levels divide by: T(b) plus the mean of the mapped deltas
    mean_black = float(np.interp(stored_black, index, table)) + float(np.mean(black_rows - np.interp(
        stored_black, index, table)))
    values = black_rows[:, None] + linear * (white - mean_black)        # linearised samples
    stored = np.rint(np.interp(values, table.astype(np.float64), index)).astype(np.uint16)
    path = write_dng(folder / "black-deltas.dng", stored, cfa=cfa, bits=8, black=(stored_black,),
                     white=(255,), black_delta_v=tuple(float(d) for d in delta_v),
                     linearization=table, **colour)
    ref_path = write_dng(folder / "black-deltas-16bit.dng", np.rint(linear * 65535).astype(np.uint16), cfa=cfa,
                         bits=16, black=(0,), white=(65535,), **colour)
    tags = dngtags.read_dng_tags(path)
    np.testing.assert_allclose(tags.black_delta_v, black_rows - np.interp(stored_black, index, table))
    reference = lsquared.develop(lsquared.open_raw(ref_path), look="neutral")
    picture = lsquared.develop(lsquared.open_raw(path), look="neutral")
    de = delta_e_2000(_chart_lab(picture, info.patches), _chart_lab(reference, info.patches))
    print(f"black deltas in stored units: dE2000 mean {de.mean():.3f} max {de.max():.3f}")
    assert de.mean() <= 1.0, de
    assert de.max() <= 3.0, de
