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
    assert not helper._process.is_alive()
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
