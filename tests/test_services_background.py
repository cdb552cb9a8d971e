from __future__ import annotations

import time

import pytest

from annotator.services.background import from_subprocess


def test_background_child_starts_before_anyone_asks_for_items(tmp_path):
    mark = tmp_path / "started"
    with from_subprocess(_touch_then_count, str(mark), 3) as helper:
        deadline = time.monotonic() + 30
        while not mark.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mark.exists()  # working while this process does something else
        assert list(helper) == [0, 1, 2]


def test_background_error_in_child_is_raised_here():
    with pytest.raises(ValueError, match="bad input 2"), from_subprocess(_fail_at, 2) as helper:
        list(helper)


def test_background_close_stops_a_child_that_is_still_running():
    helper = from_subprocess(_count, 10**9)
    assert next(helper) == 0
    helper.close()
    assert helper._child.poll() is not None  # the child process has ended
    with pytest.raises(StopIteration):
        next(helper)


def _touch_then_count(path: str, n: int):
    open(path, "w").close()
    yield from range(n)


def _count(n: int):
    yield from range(n)


def _fail_at(n: int):
    yield from range(n)
    raise ValueError(f"bad input {n}")


def test_background_child_never_reruns_the_callers_main_script(tmp_path):
    """A script without a __main__ guard may use it (multiprocessing's spawn re-ran it)."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "from annotator.services.background import from_subprocess\n"
        "from annotator.services.reading import row_batches\n"
        "print('run', flush=True)\n"
        "print(sum(1 for _ in from_subprocess(row_batches, [], False, 'sqlite')))\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["run", "0"]
