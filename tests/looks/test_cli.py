"""``lsquared look ...`` end to end through the real command line entry point."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.cli.main import main


@pytest.fixture(autouse=True)
def _isolated_dirs(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "200")


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_and_show(capsys):
    code, out, _ = run(capsys, "look", "list")
    assert code == 0
    for name in ("standard", "selenium", "cinema-flat", "neutral", "vlog"):
        assert name in out
    code, out, _ = run(capsys, "look", "show", "classic", "--no-swatch")
    assert code == 0 and "split_tone" in out and "digest" in out and "contrast=1.2" in out


def test_export_import_round_trip(capsys, tmp_path):
    cube = tmp_path / "v.cube"
    assert run(capsys, "look", "export", "vivid", "--format", "cube", "-o", str(cube))[0] == 0
    assert cube.read_text().count("\n") > 33 ** 3
    code, _, err = run(capsys, "look", "export", "vivid", "--format", "cube", "-o", str(cube))
    assert code == 1 and "--overwrite" in err and "Traceback" not in err
    assert run(capsys, "look", "import", str(cube), "--name", "mine")[0] == 0
    code, out, _ = run(capsys, "look", "list")
    assert "mine" in out
    vlt = tmp_path / "v.vlt"
    assert run(capsys, "look", "export", "mine", "--format", "vlt", "-o", str(vlt))[0] == 0
    assert vlt.read_text().startswith("# panasonic vlt file version 1.0\n")
    hald = tmp_path / "v.png"
    assert run(capsys, "look", "export", "mine", "--format", "haldclut", "-o", str(hald))[0] == 0


def test_errors_are_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "look", "show", "nope")
    assert code == 1 and "unknown look 'nope'" in err and "standard" in err
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 3\n0 0 0\n")
    code, _, err = run(capsys, "look", "import", str(bad), "--name", "bad")
    assert code == 1 and "bad.cube" in err and "line" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "look", "export", "standard", "--format", "3dl", "-o", str(tmp_path / "x"))
    assert code == 1 and "cube, vlt, haldclut" in err


def test_preview_contact_sheet(capsys, tmp_path):
    from PIL import Image

    from lsquared.looks import compile_look
    from lsquared.looks.preview import analytic_scene

    # an sRGB picture of the test scene through neutral: a rendered image as input
    img = (np.clip(compile_look("neutral").apply(analytic_scene(90, 160)), 0, 1) * 255 + 0.5).astype(np.uint8)
    src = tmp_path / "in.png"
    Image.fromarray(img).save(src)
    sheet = tmp_path / "sheet.jpg"
    code, out, err = run(capsys, "look", "preview", str(src), "-o", str(sheet), "--width", "160",
                         "--looks", "standard,monochrome,neutral")
    assert code == 0, err
    with Image.open(sheet) as im:
        assert im.width >= 3 * 160 and im.height > 90
        px = np.asarray(im.convert("RGB")).astype(int)
    # the monochrome tile (second) is grey, the first is not
    tile2 = px[8:98, 8 + 168:8 + 168 + 160]
    tile1 = px[8:98, 8:168]
    assert np.abs(tile2[..., 0] - tile2[..., 2]).mean() < 3
    assert np.abs(tile1[..., 0] - tile1[..., 2]).mean() > 10
