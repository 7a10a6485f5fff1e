"""``lsquared info``: every shared raw file, JSON for machines, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from shared_data import raw_files
from lsquared.cli.info import format_exposure_time, format_f_number, register

SHARED = [p for p in raw_files() if p.suffix.lower() != ".md"]
CM_D65 = np.array([[0.9, -0.34, -0.05], [-0.4, 1.18, 0.23], [-0.06, 0.15, 0.62]])


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()

    @app.callback()
    def _root() -> None:          # keeps 'info' a sub-command, as in the real app
        pass

    register(app)
    return app


@pytest.mark.parametrize("path", SHARED + [p for p in (SHARED[0].parent / "unsupported").iterdir()]
                         if SHARED else [], ids=lambda p: p.name)
def test_info_on_every_file(app, path):
    runner = CliRunner()
    result = runner.invoke(app, ["info", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    data = json.loads(runner.invoke(app, ["info", "--json", str(path)]).output)
    assert data["make"] and data["model"]
    assert data["make"] in result.output and data["model"] in result.output
    assert "Raw size" in result.output and "Levels" in result.output and "Orientation" in result.output
    h, w = data["raw_size"]
    assert f"{w} x {h}" in result.output
    assert data["layout"] in ("bayer", "mono", "linear_rgb", "fallback")


def test_info_json_on_the_benchmark_file(app, raw_dir):
    out = CliRunner().invoke(app, ["info", "--json", str(raw_dir / "synthetic-fullframe-24mp.dng")]).output
    data = json.loads(out)
    assert data["cfa"] == "RGGB" and data["black"] == [512.0] * 4 and data["white"] == 16383.0
    assert data["raw_size"] == [4032, 6048] and data["visible_size"] == [4032, 6048]
    np.testing.assert_allclose(data["camera_color"]["color_matrix"][0], CM_D65)
    np.testing.assert_allclose(data["white_balance"]["multipliers"], [1 / 0.4389, 1, 1 / 0.7314], rtol=1e-6)


@pytest.mark.parametrize("white, kelvin", [((0.31271, 0.32902), 6504), ((0.44757, 0.40745), 2856)])
def test_as_shot_temperature(app, tmp_path, white, kelvin):
    """A camera neutral made from a known white through the file's own matrix reads back as that white."""
    from lsquared.io.dng import write_dng

    x, y = white
    xyz = np.array([x / y, 1.0, (1 - x - y) / y])
    neutral = CM_D65 @ xyz
    path = write_dng(tmp_path / "t.dng", np.zeros((16, 16), np.uint16), color_matrix1=CM_D65,
                     calibration_illuminant1=21, as_shot_neutral=neutral / neutral[1], tile=16)
    data = json.loads(CliRunner().invoke(app, ["info", "--json", str(path)]).output)
    import colour

    wb = data["white_balance"]
    np.testing.assert_allclose(wb["white_xy"], white, atol=1e-5)
    assert wb["kelvin"] == pytest.approx(kelvin, rel=0.005)
    # tint: the distance from the Planckian locus as the DNG SDK reports it (D65 reads about +10)
    cct, duv = colour.temperature.uv_to_CCT(colour.xy_to_UCS_uv(np.array(white)), method="Ohno 2013")
    assert wb["kelvin"] == pytest.approx(cct, rel=0.005)
    assert wb["tint"] == pytest.approx(3000 * duv, abs=0.5)


def test_formats():
    assert format_exposure_time(1 / 250) == "1/250 s"
    assert format_exposure_time(0.00435) == "1/230 s"
    assert format_exposure_time(0.8) == "0.8 s" and format_exposure_time(30) == "30 s"
    assert format_exposure_time(None) is None
    assert format_f_number(2.8) == "f/2.8" and format_f_number(8.0) == "f/8" and format_f_number(None) is None


@pytest.mark.parametrize("what", ["text", "missing", "folder"])
def test_bad_input_is_one_line(tmp_path, what):
    target = {"text": tmp_path / "notes.txt", "missing": tmp_path / "nope.rw2", "folder": tmp_path}[what]
    if what == "text":
        target.write_text("not a raw file\n")
    proc = subprocess.run([sys.executable, "-m", "lsquared.cli.main", "info", str(target)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lsquared: error: ") and str(target) in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
