"""The workers' buffer pool (lsquared.pipeline.buffers): outputs bit-identical with and without
it, and the second develop of a file really reuses memory (few page faults) with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json, resource, sys
import numpy as np
from lsquared.pipeline.buffers import buffers_retained, release_buffers, retain_buffers
from lsquared.pipeline.run import develop

first, second = sys.argv[1], sys.argv[2]

def faults_and_pixels(path):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    pixels = np.array(develop(path))
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, pixels

develop(first)                                     # imports, kernel loads
plain_faults, plain = faults_and_pixels(first)
plain_other = np.array(develop(second))
assert retain_buffers() and buffers_retained()
develop(second)                                    # the heap now holds the other file's data
faults_and_pixels(first)
pooled_faults, pooled = faults_and_pixels(first)
pooled_other = np.array(develop(second))
release_buffers()
print(json.dumps({"same": bool(np.array_equal(plain, pooled)), "same_other": bool(np.array_equal(plain_other, pooled_other)),
                  "plain_faults": plain_faults, "pooled_faults": pooled_faults, "retained_after": buffers_retained()}))
"""


def test_pool_is_bit_identical_and_reuses_memory(raw_dir):
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(raw_dir / "sony-a7r4-linear-lossy-6mp.dng"),
                          str(raw_dir / "canon-550d-magiclantern-2mp.dng")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["same"] and result["same_other"]
    assert not result["retained_after"]
    # without the pool every develop faults its large intermediates in again; with it, the
    # second develop of the same file finds them in the heap
    assert result["pooled_faults"] < 0.2 * result["plain_faults"], result
