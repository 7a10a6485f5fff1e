"""The fuzz worker: reads one case per line ({"argv": [...], "cwd": "..."}) on stdin, runs it
in-process and answers one JSON line on stdout.  Its address space is limited
(LSQUARED_FUZZ_MEMORY bytes), so a file that asks for absurd memory fails here instead of
taking the machine; the parent kills it if a case does not answer in time."""

from __future__ import annotations

import json
import os
import resource
import sys


def main() -> None:
    limit = int(os.environ.get("LSQUARED_FUZZ_MEMORY", "0"))
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    channel = os.fdopen(os.dup(1), "w")       # answers go here; fd 1 itself is captured per case
    from tests.fuzz.harness import run_in_process

    for line in sys.stdin:
        case = json.loads(line)
        result = run_in_process(case["argv"], case["cwd"])
        channel.write(json.dumps(result) + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
