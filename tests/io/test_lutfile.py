"""LUT files: .cube / .vlt / HaldCLUT round trips, and malformed files refused by line."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lsquared.errors import LutFormatError
from lsquared.io.lutfile import (LutData, read_cube, read_haldclut, read_lut, read_vlt, vlt_nodes,
                                 write_cube, write_haldclut, write_vlt)


def _table(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random((n, n, n, 3)).astype(np.float32)


def test_cube_round_trip_3d(tmp_path):
    t = _table(9)
    p = tmp_path / "a.cube"
    write_cube(p, t, title="test", comments=("made by a test",))
    lut = read_cube(p)
    assert lut.table3d.shape == (9, 9, 9, 3) and lut.title == "test" and lut.unit_domain
    assert np.abs(lut.table3d - t).max() < 1e-6
    assert len(lut.sha256) == 64


def test_cube_red_fastest_on_disk(tmp_path):
    """Row 2 of the file is (r=1, g=0, b=0): the spec's red-fastest order."""
    n = 3
    axis = np.linspace(0, 1, n)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    ident = np.stack([r, g, b], -1).astype(np.float32)
    p = tmp_path / "id.cube"
    write_cube(p, ident)
    rows = [line for line in p.read_text().splitlines() if line[:1].isdigit()]
    assert rows[1].split() == ["0.500000", "0.000000", "0.000000"]
    assert rows[n].split() == ["0.000000", "0.500000", "0.000000"]
    assert np.array_equal(read_cube(p).table3d, ident)


def test_cube_1d_and_shaper_domain(tmp_path):
    p = tmp_path / "curve.cube"
    p.write_text('TITLE "gamma"\n# a 1D curve\nLUT_1D_SIZE 5\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n'
                 + "".join(f"{(i / 4) ** 0.5:.6f} {(i / 4) ** 0.5:.6f} {(i / 4):.6f}\n" for i in range(5)))
    lut = read_lut(p)
    assert lut.table3d is None and lut.table1d.shape == (5, 3)
    # domain 0..2: input 1.0 is node 2 (0.5 ** 0.5), 2.0 clamps to the top
    out = lut.sample(np.array([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]]))
    assert out[0] == pytest.approx([0.5 ** 0.5, 0.5 ** 0.5, 0.5])
    assert out[1] == pytest.approx([1, 1, 1])


def test_cube_resolve_input_range_keyword(tmp_path):
    p = tmp_path / "r.cube"
    p.write_text("LUT_3D_SIZE 2\nLUT_3D_INPUT_RANGE 0.0 4.0\n"
                 + "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n")
    lut = read_cube(p)
    assert lut.domain_max == (4.0, 4.0, 4.0)
    assert lut.sample(np.array([[2.0, 1.0, 0.0]]))[0] == pytest.approx([0.5, 0.25, 0.0])


def test_vlt_round_trip_and_layout(tmp_path):
    nodes = vlt_nodes(17)
    assert nodes[1] == pytest.approx(256 / 4095) and nodes[-1] == 1.0 and nodes[-2] == pytest.approx(3840 / 4095)
    t = _table(17)
    p = tmp_path / "a.vlt"
    write_vlt(p, t, source="a.cube")
    lines = p.read_text().split("\n")
    assert lines[0] == "# panasonic vlt file version 1.0"
    assert lines[1] == '# source vlt file "a.cube"'
    assert lines[2] == "LUT_3D_SIZE 17" and lines[3] == ""
    assert len([x for x in lines[4:] if x]) == 17 ** 3
    r, g, b = map(int, lines[5].split())              # second row: R index 1, G 0, B 0
    assert (r, g, b) == tuple(np.rint(t[1, 0, 0] * 4095).astype(int))
    lut = read_vlt(p)
    assert np.abs(lut.table3d - t).max() <= 0.5 / 4095 + 1e-7
    assert lut.domain_max[0] == pytest.approx(4096 / 4095)


def test_haldclut_round_trip(tmp_path):
    t = _table(16)                                  # level 4: a 64 x 64 image
    p = tmp_path / "h.png"
    write_haldclut(p, t)
    from PIL import Image
    with Image.open(p) as im:
        assert im.size == (64, 64)
    lut = read_haldclut(p)
    assert np.abs(lut.table3d - t).max() <= 0.5 / 65535 + 1e-7


def test_haldclut_identity_layout(tmp_path):
    """An identity HaldCLUT made by hand (red fastest across the rows) reads as identity."""
    import imagecodecs

    level, n = 2, 4
    i = np.arange(n ** 3)
    r, g, b = i % n, (i // n) % n, i // (n * n)
    img = (np.stack([r, g, b], -1) * 255 // (n - 1)).astype(np.uint8).reshape(level ** 3, level ** 3, 3)
    p = tmp_path / "id.png"
    p.write_bytes(imagecodecs.png_encode(img))
    lut = read_haldclut(p)
    axis = np.linspace(0, 1, n)
    rr, gg, bb = np.meshgrid(axis, axis, axis, indexing="ij")
    assert np.abs(lut.table3d - np.stack([rr, gg, bb], -1)).max() < 1e-6


def test_writers_are_atomic_and_leave_nothing_on_error(tmp_path):
    from lsquared.errors import OutputError

    with pytest.raises(OutputError):
        write_cube(tmp_path / "missing" / "a.cube", _table(3))
    with pytest.raises(ValueError):
        write_haldclut(tmp_path / "b.png", _table(5))            # 5 is not a square
    assert list(tmp_path.iterdir()) == []


# --- malformed files --------------------------------------------------------------------

GOOD_HEAD = "TITLE \"x\"\nLUT_3D_SIZE 2\n"
GOOD_ROWS = "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n"


@pytest.mark.parametrize("text,match", [
    ("LUT_3D_SIZE two\n" + GOOD_ROWS, r"line 1: bad size line"),
    ("LUT_3D_SIZE 1\n" + GOOD_ROWS, r"line 1: LUT_3D_SIZE 1 is outside 2\.\.256"),
    ("LUT_3D_SIZE 100000\n" + GOOD_ROWS, r"line 1: .*outside"),
    (GOOD_HEAD + GOOD_ROWS.rsplit("\n", 3)[0] + "\n", r"line \d+: file ends after 6 of 8 rows"),
    (GOOD_HEAD + GOOD_ROWS.replace("1 1 0", "1 x 0"), r"line 6: row: not a number"),
    (GOOD_HEAD + GOOD_ROWS.replace("1 1 0", "1 1"), r"line 6: row: expected 3 numbers"),
    (GOOD_HEAD + GOOD_ROWS.replace("1 1 0", "1 1e9 0"), r"line 6: value out of range"),
    (GOOD_HEAD + GOOD_ROWS.replace("1 1 0", "nan 1 0"), r"line 6: row: values must be finite"),
    (GOOD_HEAD + GOOD_ROWS + "0.5 0.5 0.5\n", r"line 11: extra data"),
    ("DOMAIN_MIN 1 1 1\nDOMAIN_MAX 0 0 0\nLUT_3D_SIZE 2\n" + GOOD_ROWS, r"DOMAIN_MIN .* below DOMAIN_MAX"),
    (GOOD_ROWS, r"no LUT_1D_SIZE or LUT_3D_SIZE"),
    ("LUT_3D_SIZE 2\nFOO 1\n" + GOOD_ROWS, r"line 2: unknown keyword 'FOO'"),
    ("LUT_3D_SIZE 2\n", r"no data rows"),
])
def test_malformed_cube_refused_naming_the_line(tmp_path, text, match):
    p = tmp_path / "bad.cube"
    p.write_text(text)
    with pytest.raises(LutFormatError, match=match) as info:
        read_cube(p)
    assert "bad.cube" in info.value.one_line()


def test_binary_junk_and_long_lines_refused(tmp_path):
    p = tmp_path / "junk.cube"
    p.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(LutFormatError, match="line 1"):
        read_cube(p)
    p.write_bytes(b"LUT_3D_SIZE 2\n" + b"0" * 100_000)
    with pytest.raises(LutFormatError, match="line 2: line longer"):
        read_cube(p)
    p.write_bytes(b"LUT_3D_SIZE 2\n0 0 \x00\n")
    with pytest.raises(LutFormatError, match="line 2"):
        read_cube(p)
    (tmp_path / "empty.cube").write_bytes(b"")
    with pytest.raises(LutFormatError, match="empty"):
        read_cube(tmp_path / "empty.cube")


def _sparse(path, header: bytes, size: int):
    """A file of ``size`` bytes that takes no disk: the header, then a hole of NUL bytes."""
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(size)
    return path


def test_huge_file_refused_before_reading(tmp_path):
    """A 2 GB sparse file: refused by its size at once, never read."""
    p = _sparse(tmp_path / "huge.cube", b"LUT_3D_SIZE 33\n", 2 * 1024 ** 3)
    t0 = time.perf_counter()
    with pytest.raises(LutFormatError, match="MiB"):
        read_cube(p)
    with pytest.raises(LutFormatError, match="MiB"):
        read_vlt(p.rename(tmp_path / "huge.vlt"))
    assert time.perf_counter() - t0 < 1.0


def test_sparse_file_just_under_the_limit_fails_fast(tmp_path):
    """A header then a 300 MB hole of NUL bytes: stopped at the first bad line."""
    p = _sparse(tmp_path / "holes.cube", b"LUT_3D_SIZE 65\n", 300 * 1024 ** 2)
    t0 = time.perf_counter()
    with pytest.raises(LutFormatError, match="line 2"):
        read_cube(p)
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("text,match", [
    ("# some other file\n", "line 1: expected the header"),
    ('# panasonic vlt file version 1.0\n# source vlt file ""\nLUT_3D_SIZE 2\n\n0 0 0\n4096 0 0\n',
     "line 6: value out of range 0..4095"),
    ('# panasonic vlt file version 1.0\n# source vlt file ""\nLUT_3D_SIZE 2\n\n0 0 0\n0.5 0 0\n',
     "line 6: row must be three integers"),
    ('# panasonic vlt file version 1.0\n# source vlt file ""\nLUT_3D_SIZE 2\n\n0 0 0\n',
     "file ends after 1 of 8 rows"),
])
def test_malformed_vlt_refused(tmp_path, text, match):
    p = tmp_path / "bad.vlt"
    p.write_text(text)
    with pytest.raises(LutFormatError, match=match):
        read_vlt(p)


def test_bad_haldclut_refused(tmp_path):
    from PIL import Image

    p = tmp_path / "h.png"
    Image.new("RGB", (60, 60)).save(p)
    with pytest.raises(LutFormatError, match="not a HaldCLUT size"):
        read_haldclut(p)
    p.write_bytes(b"not a png at all")
    with pytest.raises(LutFormatError):
        read_haldclut(p)
    with pytest.raises(LutFormatError, match="unknown LUT file type"):
        read_lut(tmp_path / "x.3dl")


def test_lutdata_sample_matches_kernel_and_keeps_values_beyond_one():
    t = _table(5)
    d = LutData(table3d=t)
    pts = np.random.default_rng(3).random((1000, 3))
    pts[:50] = np.round(pts[:50] * 4) / 4                     # on nodes, edges and ties
    from lsquared.kernels.lut3d import apply_lut3d
    assert np.allclose(d.sample(pts), apply_lut3d(pts[None].astype(np.float32), t)[0], atol=1e-6)
    big = LutData(table3d=t * 2 - 0.5)                         # values in -0.5..1.5: kept
    assert big.sample(pts).min() < 0 and big.sample(pts).max() > 1


def test_cube_1d_write_round_trip(tmp_path):
    curve = np.stack([np.linspace(0, 1, 1024) ** g for g in (0.5, 1.0, 2.0)], axis=1)
    p = tmp_path / "c.cube"
    write_cube(p, None, table1d=curve, title="curves")
    lut = read_cube(p)
    assert lut.table3d is None and lut.table1d.shape == (1024, 3)
    assert np.abs(lut.table1d - curve).max() < 1e-6


def test_cube_with_bom_or_latin1_title_is_read(tmp_path):
    """Real-world .cube files: a UTF-8 byte-order mark (Windows editors) and a Latin-1 title
    (Resolve exports, older tools) are read, with the same table as the plain file."""
    t = _table(5)
    plain = tmp_path / "plain.cube"
    write_cube(plain, t, title="plain")
    body = plain.read_bytes()
    for name, data in [("bom.cube", b"\xef\xbb\xbf" + body),
                       ("latin1.cube", body.replace(b'TITLE "plain"', b'TITLE "Caf\xe9 cr\xe8me \xa9"'))]:
        (tmp_path / name).write_bytes(data)
        lut = read_cube(tmp_path / name)
        np.testing.assert_array_equal(lut.table3d, read_cube(plain).table3d)
    assert read_cube(tmp_path / "latin1.cube").title == "Café crème ©"
    (tmp_path / "bin.cube").write_bytes(body.replace(b'TITLE "plain"', b'TITLE "\x01\x02\xff"'))
    with pytest.raises(LutFormatError, match="line 1: not text"):
        read_cube(tmp_path / "bin.cube")
