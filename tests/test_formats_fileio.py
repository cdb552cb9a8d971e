from __future__ import annotations

import os
import stat

import pytest

from annotator.formats.fileio import atomic_output


def test_fileio_atomic_output_new_file_gets_usual_permissions(tmp_path):
    target = tmp_path / "out" / "report.txt"
    with atomic_output(target) as handle:
        handle.write("done")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert target.read_text() == "done"


def test_fileio_atomic_output_keeps_permissions_of_replaced_file(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_output(target) as handle:
        handle.write("new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "new"


def test_fileio_atomic_output_failure_leaves_nothing(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as handle:
        handle.write("half")
        raise RuntimeError("stop")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
