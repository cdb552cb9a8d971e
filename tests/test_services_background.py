from __future__ import annotations

import os
import time

import pytest

from annotator.services.background import ChildFailed, ChildWorker


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
