"""Reading input files safely (UTF-8 only, no binary data, errors that name file and line),
and writing outputs atomically under temporary names the next run can find and remove."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO

from annotator.domain.errors import InputError


def _decode(data: bytes, path: Path, first_line: int = 1) -> str:
    if b"\x00" in data:
        line = first_line + data.count(b"\n", 0, data.index(b"\x00"))
        raise InputError("binary data (NUL byte), not a text file", path=path, line=line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(f"not UTF-8 text (byte 0x{bad})", path=path, line=line) from None


def read_text(path: Path) -> str:
    """The whole file as text (a UTF-8 BOM dropped); binary or non-UTF-8 data is an InputError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=path) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return _decode(data, path)


def iter_lines(path: Path) -> Iterator[tuple[int, str | InputError]]:
    """(line number, text without its line end) for each line, streamed; a line that is
    not UTF-8 text comes as the InputError naming it, so that callers may skip it."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=path) from None
    with handle:
        number = 0
        for raw in handle:
            number += 1
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if b"\x00" not in raw:
                try:
                    yield number, raw.decode("utf-8").rstrip("\r\n")
                    continue
                except UnicodeDecodeError:
                    pass
            try:
                _decode(raw, path, number)
            except InputError as exc:
                yield number, exc


def default_mode(directory: bool = False) -> int:
    """The permissions a new file (or folder) gets under the process's umask, the way
    open() would create it; temporary files otherwise stay private (0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


# Temporary outputs are named ``.<final name>.annotator-<pid>-<random>.tmp`` (or ``.old``
# for a replaced folder on its way out), so that a later run can tell them from the user's
# files and, when the process that made them is gone (kill -9), remove them.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.annotator-(?P<pid>\d+)-[^.]+\.(tmp|old)$")

# A temporary folder being filled (see unsynced_folder): files inside it are written in
# place, without a rename or an fsync of their own.
_UNSYNCED: ContextVar[tuple[str, list[Path]] | None] = ContextVar("unsynced", default=None)


def temporary_prefix(name: str) -> str:
    """The prefix of a temporary file or folder standing in for ``name`` (see above)."""
    return f".{name}.annotator-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files and folders in ``folder`` left by runs that died before
    renaming or removing them (their process is gone); returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or _alive(int(match["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextmanager
def unsynced_folder(folder: Path) -> Iterator[None]:
    """While the block runs, atomic_output() writes files inside ``folder`` (a temporary
    folder that is renamed into place as a whole afterwards) directly, without a rename
    and an fsync per file; when the block succeeds, everything written is flushed to disk
    at once (one syncfs on Linux, else an fsync per file). Measured: a brat export of
    30,000 annotations spent most of its time in 60,000 fsyncs."""
    written: list[Path] = []
    token = _UNSYNCED.set((os.path.join(os.path.abspath(folder), ""), written))
    try:
        yield
    finally:
        _UNSYNCED.reset(token)
    _sync(folder, written)


def _sync(folder: Path, written: list[Path]) -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    for path in written:
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


# Kernel and pseudo filesystems: nothing written there is a file a user can keep.
SPECIAL_FILESYSTEMS = frozenset(
    {
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "debugfs",
        "tracefs",
        "securityfs",
        "pstore",
        "bpf",
        "configfs",
        "fusectl",
        "mqueue",
        "binfmt_misc",
        "autofs",
        "efivarfs",
        "hugetlbfs",
        "rpc_pipefs",
        "nsfs",
    }
)


def _filesystem_of(path: Path) -> tuple[str, str] | None:
    """(mount point, filesystem type) holding ``path``, from /proc/mounts; None when
    that cannot be read (not Linux)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target = str(path)
    best: tuple[str, str] | None = None
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > len(best[0])):
            best = (point, fields[2])
    return best


def check_destination(path: Path) -> None:
    """Raise InputError naming ``path`` when an output cannot be written there: a device
    or pipe in its place, a kernel filesystem (/proc, /sys, ...), or a folder this process
    may not write to (permissions, a read-only mount). The folder that would hold it is
    the nearest one that exists (missing ones are created on writing)."""
    if path.exists() and not (path.is_file() or path.is_dir()):
        raise InputError(
            "is not a regular file or folder (a device or a pipe); choose another", path=path
        )
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    found = _filesystem_of(folder.resolve())
    if found is not None and found[1] in SPECIAL_FILESYSTEMS:
        raise InputError(
            f"is on the {found[1]} filesystem ({found[0]}), which holds no files; choose another",
            path=path,
        )
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder", path=path)
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot write in {folder} (not permitted, or read-only)", path=path)


@contextmanager
def atomic_output(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write ``path`` through a temporary file in the same folder, renamed into place only
    when the block succeeds; on any error the temporary file is removed and ``path`` is
    untouched. The file gets the permissions of the file it replaces, or the usual ones
    for a new file. Inside an unsynced_folder() the file is written in place instead. A
    destination that cannot be written (see check_destination) raises InputError before
    anything is created."""
    unsynced = _UNSYNCED.get()
    if unsynced is not None and os.path.abspath(path).startswith(unsynced[0]):
        # Inside a temporary folder this process made (and checked): no check per file.
        path.parent.mkdir(parents=True, exist_ok=True)
        unsynced[1].append(path)
        with path.open(mode, encoding=encoding if "b" not in mode else None) as handle:
            yield handle
        return
    check_destination(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=temporary_prefix(path.name), suffix=".tmp", dir=path.parent
    )
    tmp = Path(tmp_name)
    try:
        try:
            permissions = path.stat().st_mode & 0o7777
        except OSError:
            permissions = default_mode()
        os.chmod(fd, permissions)
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
