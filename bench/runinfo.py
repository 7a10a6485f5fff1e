"""The line every benchmark prints first and last: when, on what code, on how busy a machine.

    from runinfo import header, footer      # bench scripts run as ``python bench/NAME.py``

Figures on a shared machine only mean something beside the date, the commit they measure
(``+dirty`` when the working tree differs from it) and the load average during the run.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def commit() -> str:
    def git(*args: str) -> str:
        r = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""

    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "bench")
    return rev + ("+dirty" if dirty else "")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def header(script: str, kind: str) -> str:
    """``kind``: what the timings include, "whole-process" or "in-process" (and how)."""
    return (f"# {script}: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load()} (1/5/15 min)\n"
            f"# timings: {kind}")


def footer() -> str:
    return f"# load average at the end {load()}"
