"""Start-up rule (issue 14): commands that run no kernel import no numba, kernels, PyAV or
service/batch libraries.  Every ``--help`` of the real app (commands and sub-commands, as
registered), ``info`` on a DNG and ``look list``/``look show``, in a fresh interpreter, with
the modules each one added to ``sys.modules`` recorded.  The help texts and ``look list``
import no numpy either (~0.1 s; their schema comes from ops/params.py and the look files).
Not timed: what is imported is the cause of a slow start, and it is exact."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from lsquared.io.dng import write_dng

FORBIDDEN = ("numba", "llvmlite", "av", "lsquared.kernels", "fastapi", "sqlalchemy", "dask", "distributed")

# Runs in the child: the real entry point for the first command (registration, the compile
# notice's hook), the same app for the rest; reports, per command, its exit status and the
# forbidden modules loaded so far.
CHILD = r"""
import json, sys
import typer
from lsquared.cli import main as cli

FORBIDDEN = tuple(sys.argv[1].split(","))
extra = json.loads(sys.argv[2])

def heavy():      # lsquared modules by name, libraries by package
    return sorted({m if m.startswith("lsquared.") else m.split(".")[0] for m in sys.modules
                   if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)})

def run(args, first=False):
    try:
        cli.main(args) if first else cli.app(args=args, prog_name="lsquared", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    return {"args": args, "code": code, "heavy": heavy(), "numpy": "numpy" in sys.modules}

report = [run(["--help"], first=True)]
report[0]["modules"] = sorted(m for m in sys.modules if m == "numpy" or m.startswith("lsquared.cli."))
cli._register_commands()          # every command, for their own --help below
root = typer.main.get_command(cli.app)
for name, command in sorted(root.commands.items()):
    report.append(run([name, "--help"]))
    for sub in sorted(getattr(command, "commands", {}) or {}):
        report.append(run([name, sub, "--help"]))
for args in extra:
    report.append(run(args))
print(json.dumps(report))
"""


def _run_child(extra: list[list[str]]) -> list[dict]:
    proc = subprocess.run([sys.executable, "-c", CHILD, ",".join(FORBIDDEN), json.dumps(extra)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_help_info_and_look_list_import_no_kernels(tmp_path):
    rng = np.random.default_rng(0)
    mosaic = rng.integers(500, 4000, size=(64, 96), dtype=np.uint16)
    dng = write_dng(tmp_path / "small.dng", mosaic, cfa="RGGB", bits=12, tile=32)
    # in this order: what runs before ``info`` (which reads the raw with numpy) must not need it
    report = _run_child([["look", "list"], ["info", str(dng)], ["info", "--json", str(dng)],
                         ["look", "show", "standard"]])
    names = {" ".join(r["args"]) for r in report}
    assert "--help" in names and "develop --help" in names and "look list --help" in names
    assert f"info {dng}" in names
    # the root help lists the commands from cli.main.COMMANDS without importing any of them
    assert report[0]["modules"] == ["lsquared.cli.common", "lsquared.cli.main"], report[0]["modules"]
    for row in report:
        assert row["code"] == 0, row
        assert row["heavy"] == [], f"lsquared {' '.join(row['args'])} imported {row['heavy']}"
        if row["args"][-1] == "--help" or row["args"] == ["look", "list"]:
            assert not row["numpy"], f"lsquared {' '.join(row['args'])} imported numpy"


def test_compile_notice_still_said_when_numba_comes_later():
    """The notice's listener is registered when numba is first imported, not at start-up: a
    kernel compiled afterwards is still announced (once), and nothing imported numba before."""
    code = (
        "import sys\n"
        "from lsquared.cli.common import announce_kernel_compilation_on_use\n"
        "announce_kernel_compilation_on_use()\n"
        "assert 'numba' not in sys.modules\n"
        "from numba import njit\n"
        "for name in ('lsquared.kernels.probe', 'lsquared.kernels.probe2'):\n"
        "    ns = {'__name__': name}\n"
        "    exec('def probe(x):\\n    return x * 2 + 1\\n', ns)\n"
        "    assert njit(cache=False)(ns['probe'])(3) == 7\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.count("compiling lsquared's kernels") == 1, proc.stderr


def test_root_help_lines_are_the_commands_own_help():
    """The root help's line for each command (cli.main.COMMANDS, listed without importing the
    command) is the first paragraph of the command's own help, and every module registers
    exactly the command it is named for."""
    import typer

    from lsquared.cli import main as cli

    cli._register_commands()
    root = typer.main.get_command(cli.app)
    assert sorted(root.commands) == sorted(cli.COMMANDS)
    for name, line in cli.COMMANDS.items():
        own = " ".join((root.commands[name].help or "").strip().split("\n\n")[0].split())
        assert line == own, name


HELP_CHILD = r"""
import json, sys
import typer
from lsquared.cli import main as cli

cli._register_commands()
lines = [["--help"]]
for name, command in sorted(typer.main.get_command(cli.app).commands.items()):
    lines.append([name, "--help"])
    lines += [[name, sub, "-h"] for sub in sorted(getattr(command, "commands", {}) or {})]
cli._state.pop("registered")
cli._state.pop("command", None)
report = []
for args in lines:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    report.append({"args": args, "code": code, "pydantic": "pydantic" in sys.modules})
print(json.dumps(report))
"""


def test_help_renders_without_pydantic(capfd):
    """Every ``--help`` through the real entry point is rendered by the command it names alone:
    typer (0.29) coerces an unset ``--help`` flag of each group on the way through a pydantic
    adapter, and importing pydantic was a fifth of ``lsquared develop --help``."""
    proc = subprocess.run([sys.executable, "-c", HELP_CHILD], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report) > 12
    for row in report:
        assert row["code"] == 0, row
        assert not row["pydantic"], f"lsquared {' '.join(row['args'])} imported pydantic"
    # each help is the named command's own, with its full path in the usage line
    assert "Usage: lsquared look list [OPTIONS]" in proc.stdout
    assert "Usage: lsquared develop [OPTIONS] INPUT..." in proc.stdout
