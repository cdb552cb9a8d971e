"""Helper processes end with their parent, even when it is killed (kill -9) while the
helper is busy and not writing to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_PARENT = r"""
import sys, time
from annotator.services.background import from_subprocess
helper = from_subprocess(time.sleep, 120)  # the helper is busy for two minutes
print(helper._child.pid, flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state  # a zombie has ended, only its entry is left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_helper_process_dies_with_its_killed_parent():
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # the helper has started its work
    assert _running(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20  # a bound for a loaded machine, not a speed claim
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child)
