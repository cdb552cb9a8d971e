from __future__ import annotations

import os
import time

import pytest

from annotator.services.background import ChildFailed, ChildWorker, from_subprocess


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
        "from annotator.services.background import ChildFailed, ChildWorker, from_subprocess\n"
        "from annotator.services.reading import row_batches\n"
        "print('run', flush=True)\n"
        "print(sum(1 for _ in from_subprocess(row_batches, [], False, 'sqlite')))\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["run", "0"]


def _times(factor: int):
    def job(numbers: list[int]) -> list[int]:
        if numbers == [-1]:
            raise ValueError("negative job")
        return [n * factor for n in numbers]

    return job


def _broken_setup(factor: int):
    raise RuntimeError(f"cannot set up with {factor}")


def _wait_ready(worker: ChildWorker, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not worker.ready:
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_background_child_answers_jobs_in_order(method):
    with ChildWorker(_times, 3, method=method) as worker:
        _wait_ready(worker)
        for job in ([1, 2], [3], list(range(10_000))):
            worker.submit(job)
        assert worker.result() == [3, 6]
        assert worker.result() == [9]
        assert worker.result() == [n * 3 for n in range(10_000)]
        assert worker.submitted == 0


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_background_child_failure_is_reported(method):
    with (
        ChildWorker(_broken_setup, 7, method=method) as worker,
        pytest.raises(ChildFailed) as caught,
    ):
        _wait_ready(worker)
    assert "RuntimeError: cannot set up with 7" in str(caught.value)
    with ChildWorker(_times, 2, method=method) as worker:
        _wait_ready(worker)
        worker.submit([-1])
        with pytest.raises(ChildFailed, match="ValueError: negative job"):
            worker.result()


def test_background_killed_child_is_reported_not_waited_for():
    with ChildWorker(_times, 2, method="fork") as worker:
        _wait_ready(worker)
        os.kill(worker.pid, 9)
        with pytest.raises(ChildFailed, match="stopped"):
            worker.result()


def test_background_close_ends_the_child():
    worker = ChildWorker(_times, 2, method="fork")
    _wait_ready(worker)
    worker.close()
    assert not os.path.exists(f"/proc/{worker.pid}") or _zombie(worker.pid)


def _zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
