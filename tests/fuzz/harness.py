"""Run one fuzz case and judge it.

A case is a command line (``argv`` for ``lsquared``) and the input files it needs, written
into a fresh folder.  It runs either in this process (``cli.main.main(argv)`` with stdout and
stderr captured at the file-descriptor level, so LibRaw's C prints are caught too), or, where a
crash or a hang must be contained (raw decoders), in a worker subprocess that runs case after
case in-process under a memory limit (``resource.setrlimit``) and a per-case time limit
enforced from outside; a worker that dies or hangs is counted and replaced.

Verdicts (``Outcome.verdict``): "error" (a clean refusal: exit 1 or 2, one ``lsquared: error:``
line, no traceback) and "accepted" (exit 0 with a picture that is not all one value, or the
command's text) pass; everything else is a failure: "traceback", "crash" (killed by a signal),
"hang", "messy-error" (exit 1/2 without exactly one error line), "bad-exit", "degenerate"
(a blank picture), "no-output", "input-modified", "left-behind" (files a failing command left,
temporary files), "unexpected" (a regression case that must fail or must pass did not).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
TIME_LIMIT_S = 120.0                # per contained case (a hang is far longer than any real case)
MEMORY_LIMIT = 8 << 30              # address space of the worker (bytes)
PICTURE_SUFFIXES = (".jpg", ".png", ".tif", ".heic", ".avif")
PASSING = ("error", "accepted")
FAILURES = ("traceback", "crash", "hang", "messy-error", "bad-exit", "degenerate", "no-output",
            "input-modified", "left-behind", "unexpected")


@dataclass
class Case:
    name: str
    argv: list[str]                                   # lsquared arguments; files relative to the case folder
    files: dict[str, Callable[[], bytes]] = field(default_factory=dict)
    contained: bool = False                           # run in the worker subprocess
    expect: str = "any"                               # "any" | "error" | "accepted"
    mentions: str | None = None                       # regex the error line (or, accepted, the output) must match
    must_make: tuple[str, ...] = ()                   # files that must exist afterwards (relative paths)
    needs: str | None = None                          # a shared data file the case is built from


@dataclass
class Outcome:
    case: str
    verdict: str
    rc: object
    seconds: float
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict in PASSING


# ----------------------------------------------------------------------------- running


def run_in_process(argv: list[str], cwd: str) -> dict:
    """``lsquared argv`` in this process, in ``cwd``; stdout/stderr captured at fd level."""
    from lsquared.cli import main as cli

    old_cwd = os.getcwd()
    saved = os.dup(1), os.dup(2)
    sinks = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush(), sys.stderr.flush()
    os.dup2(sinks[0].fileno(), 1)
    os.dup2(sinks[1].fileno(), 2)
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(2), "wb"), write_through=True)
    rc: object = 0
    tb = ""
    start = time.perf_counter()
    try:
        os.chdir(cwd)
        cli._state["debug"] = False
        cli.main(list(argv))
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except BaseException:                 # noqa: BLE001 - the point: anything else is a traceback
        rc = "exception"
        tb = traceback.format_exc()
    finally:
        seconds = time.perf_counter() - start
        os.chdir(old_cwd)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
            stream.close()
        sys.stdout, sys.stderr = real_out, real_err
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
    out, err = [_read(s) for s in sinks]
    return {"rc": rc, "stdout": out, "stderr": err, "traceback": tb, "seconds": seconds}


def _read(sink) -> str:
    sink.flush()
    sink.seek(0)
    text = sink.read().decode("utf-8", "replace")
    sink.close()
    return text


class Worker:
    """A subprocess running cases in-process (``python -m tests.fuzz.worker``), restarted after
    a crash or a hang."""

    def __init__(self, time_limit: float = TIME_LIMIT_S, memory_limit: int = MEMORY_LIMIT):
        self.time_limit, self.memory_limit = time_limit, memory_limit
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        env = {**os.environ, "LSQUARED_FUZZ_MEMORY": str(self.memory_limit),
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.worker"], cwd=REPO, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1, start_new_session=True)

    def run(self, argv: list[str], cwd: str) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        start = time.perf_counter()
        try:
            self.proc.stdin.write(json.dumps({"argv": argv, "cwd": cwd}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        line = _readline_with_timeout(self.proc, self.time_limit)
        seconds = time.perf_counter() - start
        if line is None:                     # hung: kill it, a new worker takes the next case
            self.close()
            return {"rc": "hang", "stdout": "", "stderr": "", "traceback": "", "seconds": seconds}
        if not line:
            code = self.proc.wait()
            self.proc = None
            return {"rc": f"signal {-code}" if code < 0 else f"worker exit {code}", "stdout": "",
                    "stderr": "", "traceback": "", "seconds": seconds}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream:
                    stream.close()
            self.proc = None


def _readline_with_timeout(proc: subprocess.Popen, limit: float) -> str | None:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout=limit):
            return None
        return proc.stdout.readline()
    finally:
        sel.close()


# ----------------------------------------------------------------------------- judging


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _picture_spread(path: Path) -> float:
    """Max minus min over the picture, as a fraction of its range (0 = all one value)."""
    import numpy as np

    suffix = path.suffix.lower()
    if suffix == ".tif":
        import tifffile

        a = tifffile.imread(path)
    else:
        from PIL import Image

        with Image.open(path) as im:
            a = np.asarray(im.convert("RGB"))
    a = np.asarray(a)
    top = 65535.0 if a.dtype == np.uint16 else 255.0
    return float(a.max() - a.min()) / top if a.size else 0.0


def run_case(case: Case, root: Path, worker: Worker | None = None) -> Outcome:
    """Write the case's inputs into a fresh folder under ``root``, run it, judge it, remove the folder."""
    folder = Path(tempfile.mkdtemp(prefix="case-", dir=root))
    try:
        for name, make in case.files.items():
            (folder / name).write_bytes(make())
        before = {name: _digest(folder / name) for name in case.files}
        if case.contained and worker is not None:
            result = worker.run(case.argv, str(folder))
        else:
            result = run_in_process(case.argv, str(folder))
        verdict, detail = judge(case, result, folder, before)
        return Outcome(case.name, verdict, result["rc"], float(result["seconds"]), detail)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_ERROR_LINE = re.compile(r"^lsquared: error: \S")
_NOTICE = re.compile(r"^compiling lsquared's kernels")
_BATCH_LINE = re.compile(r"^(failed |note |  \S)")


def judge(case: Case, result: dict, folder: Path, before: dict[str, str]) -> tuple[str, str]:
    rc, err = result["rc"], result["stderr"]
    for name, digest in before.items():
        path = folder / name
        if not path.exists() or _digest(path) != digest:
            return "input-modified", name
    made = sorted(p.name for p in folder.iterdir() if p.name not in before)
    missing = [name for name in case.must_make if not (folder / name).is_file()]
    if missing:
        return "unexpected", f"not written: {', '.join(missing)}"
    if rc == "exception" or "Traceback (most recent call last)" in err or "internal error (" in err:
        return "traceback", (result.get("traceback") or err).strip().splitlines()[-1][:300]
    if rc == "hang":
        return "hang", f"no answer in {TIME_LIMIT_S:g} s"
    if isinstance(rc, str):
        return "crash", rc
    if rc == 2 and not err.strip() and "Usage:" in result["stdout"]:
        return "error", "a bare command: its help shown"      # click's no_args_is_help
    if rc in (1, 2):
        lines = [ln for ln in err.splitlines() if ln.strip() and not _NOTICE.match(ln)]
        errors = [ln for ln in lines if _ERROR_LINE.match(ln)]
        # several inputs: the per-file "failed"/"note" lines and the indented summary may go with it
        others = [ln for ln in lines if not _ERROR_LINE.match(ln) and not _BATCH_LINE.match(ln)]
        if len(errors) != 1 or others or (len(lines) > 1 and "inputs failed" not in errors[0]):
            return "messy-error", " | ".join(lines)[:300]
        if made and "inputs failed" not in errors[0]:       # several inputs: the good ones are written
            return "left-behind", ", ".join(made)
        if case.expect == "accepted":
            return "unexpected", errors[0][:300]
        if case.mentions and not re.search(case.mentions, errors[0], re.IGNORECASE):
            return "unexpected", f"error does not mention /{case.mentions}/: {errors[0][:300]}"
        return "error", errors[0][:300]
    if rc != 0:
        return "bad-exit", f"exit status {rc}"
    if case.expect == "error":
        return "unexpected", f"accepted: {(result['stdout'] + err).strip()[:300]}"
    if case.mentions and not re.search(case.mentions, result["stdout"] + err, re.IGNORECASE):
        return "unexpected", f"output does not mention /{case.mentions}/"
    if any(n.startswith(".") or ".tmp" in n or n.endswith("~") for n in made):
        return "left-behind", ", ".join(made)
    pictures = [folder / n for n in made if Path(n).suffix.lower() in PICTURE_SUFFIXES]
    for picture in pictures:
        spread = _picture_spread(picture)
        if spread < 4 / 255:
            return "degenerate", f"{picture.name}: max - min = {spread * 255:.1f}/255"
    if not pictures and not result["stdout"].strip() and not made:
        return "no-output", "exit 0 and nothing written or printed"
    return "accepted", ", ".join(made)[:300]


def tally(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"runs": len(outcomes), "clean errors": 0, "accepted": 0}
    for kind in FAILURES:
        counts[kind] = 0
    for o in outcomes:
        key = {"error": "clean errors"}.get(o.verdict, o.verdict)
        counts[key] = counts.get(key, 0) + 1
    return counts
