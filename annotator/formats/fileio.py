"""Reading input files safely: UTF-8 only, no binary data, bounded sizes (lines, whole
files, JSON nesting, compressed streams), and errors that name file and line; and writing
outputs atomically under temporary names the next run can find and remove."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from annotator.domain.errors import InputError
from annotator.domain.text import visible

MiB = 1024 * 1024
# The longest line any line-based reader (JSONL, CoNLL, brat .ann) takes: one record of a
# very long article with its tokens is a few MiB; a line past this is not data we can use
# (or the input is /dev/zero), and reading it whole would exhaust memory.
MAX_LINE_BYTES = 32 * MiB
# The largest file read as one piece (a .txt article, a brat .txt, a Label Studio .json).
MAX_FILE_BYTES = 256 * MiB
# The deepest JSON nesting a record may have (Label Studio tasks need about 8 levels). The
# limit keeps every later step (json.dumps of meta, pickling) far from Python's recursion limit.
MAX_JSON_DEPTH = 100
_CHUNK = MiB


def size_text(size: int) -> str:
    """A byte count as messages show it: ``32 MiB``, ``250 KiB``, ``17 bytes``."""
    if size >= MiB:
        return f"{size / MiB:.0f} MiB" if size % MiB == 0 else f"{size / MiB:.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size} bytes"


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


def _cannot_read(path: Path, exc: OSError) -> InputError:
    return InputError(f"cannot read ({exc.strerror or type(exc).__name__})", path=path)


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The whole file as text (a UTF-8 BOM dropped); binary or non-UTF-8 data, or more than
    ``limit`` bytes, is an InputError. Read a chunk at a time, so that a device such as
    /dev/zero is refused at its first NUL byte instead of filling memory."""
    chunks: list[bytes] = []
    size = newlines = 0
    try:
        with path.open("rb") as handle:
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    break
                if b"\x00" in chunk:
                    _decode(chunk, path, 1 + newlines)  # raises, naming the line
                size += len(chunk)
                if size > limit:
                    raise InputError(
                        f"file is larger than {size_text(limit)}, the most annotator reads as "
                        "one file; split it into smaller files",
                        path=path,
                    )
                newlines += chunk.count(b"\n")
                chunks.append(chunk)
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    data = b"".join(chunks)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return _decode(data, path)


def iter_lines(path: Path, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str | InputError]]:
    """(line number, text without its line end) for each line, streamed; a line that is
    not UTF-8 text comes as the InputError naming it, so that callers may skip it.

    A line longer than ``limit`` bytes ends the file: its InputError comes last, as nothing
    after it can be read without holding that line (for /dev/zero, without end) in memory.
    The file is read a MiB at a time and split into lines here, which holds at most one
    MiB and one line.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    with handle:
        number = 0
        start: list[bytes] = []  # pieces of a line that no block has ended yet
        started = 0  # their length
        while True:
            try:
                block = handle.read(_CHUNK)
            except OSError as exc:
                raise _cannot_read(path, exc) from None
            if not block:
                lines = [b"".join(start)] if start else []
            else:
                lines = block.split(b"\n")
                tail = lines.pop()  # what follows the block's last line end
                if not lines:  # no line end in this block: the line goes on
                    start.append(tail)
                    started += len(tail)
                    if started > limit:
                        yield number + 1, _too_long(b"".join(start), path, number + 1, limit)
                        return
                    continue
                if start:
                    start.append(lines[0])
                    lines[0] = b"".join(start)
                start, started = ([tail], len(tail)) if tail else ([], 0)
            for raw in lines:
                number += 1
                if len(raw) > limit:
                    yield number, _too_long(raw, path, number, limit)
                    return
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if b"\x00" not in raw:
                    try:
                        yield number, raw.decode("utf-8").rstrip("\r")
                        continue
                    except UnicodeDecodeError:
                        pass
                try:
                    _decode(raw, path, number)
                except InputError as exc:
                    yield number, exc
            if not block:
                return


def _too_long(raw: bytes, path: Path, number: int, limit: int) -> InputError:
    reason = (
        "binary data (NUL byte), not a text file"
        if b"\x00" in raw
        else f"line is longer than {size_text(limit)}, the most annotator reads as one line"
    )
    return InputError(f"{reason}; the rest of the file is not read", path=path, line=number)


# --- JSON -----------------------------------------------------------------------------


class _NotStandard(ValueError):
    """A number standard JSON cannot hold (NaN, Infinity, or one too large for a float)."""

    def __init__(self, token: str):
        super().__init__(token)
        self.token = token


def _refuse_constant(token: str) -> Any:
    raise _NotStandard(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _NotStandard(token)
    return value


# NaN and Infinity (which Python's json accepts by default) are refused at import, so that
# nothing stored can make an export non-standard JSON; so is 1e999, which would be infinity.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
# A JSON escape that can decode to a lone surrogate or to NUL: only then are strings checked.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels in ``value`` (level by level, no
    recursion)."""
    if type(value) is not dict and type(value) is not list:
        return False
    level = [value]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for item in level:
            below += [
                child
                for child in (item.values() if type(item) is dict else item)
                if type(child) is dict or type(child) is list
            ]
        level = below
    return False


def character_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as text (a NUL character or a lone surrogate), or None."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "holds a NUL character (\\u0000), which is not text"
    return f"holds a lone surrogate (\\u{ord(char):04x}), which is not a character"


def _field(where: str, key: Any) -> str:
    name = visible(str(key))[:40]
    return f"{where}.{name}" if where else name


def value_problem(value: Any, where: str = "") -> str | None:
    """Why a decoded value cannot be stored and exported as standard JSON, naming the field:
    a NUL character or lone surrogate in a string or key, a NaN or infinite number, a value
    that is not a JSON type, or nesting deeper than MAX_JSON_DEPTH; None when it is fine."""
    if _deeper_than(value, MAX_JSON_DEPTH):
        return f"{where or 'value'}: JSON nested deeper than {MAX_JSON_DEPTH} levels"
    return _walk(value, where)


def _walk(value: Any, where: str) -> str | None:
    kind = type(value)
    if kind is str:
        problem = character_problem(value)
        return f"'{where or 'value'}' {problem}" if problem else None
    if kind is float:
        if math.isfinite(value):
            return None
        return f"'{where or 'value'}' is {value!r}, which standard JSON cannot hold"
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return f"'{where or 'value'}' has a key that is not a string ({key!r})"
            problem = character_problem(key)
            if problem:
                return f"a key in '{where or 'the object'}' {problem}"
            problem = _walk(item, _field(where, key))
            if problem:
                return problem
        return None
    if kind is list or kind is tuple:
        for index, item in enumerate(value):
            problem = _walk(item, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if value is None or kind is bool or kind is int:
        return None
    return f"'{where or 'value'}' is a {kind.__name__}, not a JSON value"


def _decoding_error(exc: Exception, text: str, path: Path, line: int, start: int) -> InputError:
    if isinstance(exc, json.JSONDecodeError):
        error_line = line + text.count("\n", start, exc.pos)
        return InputError(
            f"invalid JSON ({exc.msg} at column {exc.colno})", path=path, line=error_line
        )
    if isinstance(exc, RecursionError):
        return InputError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", path=path, line=line)
    assert isinstance(exc, _NotStandard)
    return InputError(
        f"{visible(exc.token)[:40]} is not a standard JSON number (JSON has no NaN or "
        "Infinity); write null or a finite number",
        path=path,
        line=line,
    )


def _check_decoded(value: Any, span: str, path: Path, line: int) -> None:
    # Nesting deeper than the limit needs more brackets than the limit: counting them (in C)
    # spares most records the walk.
    if span.count("[") + span.count("{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise InputError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", path=path, line=line)
    if "\\u" in span and _SUSPECT_ESCAPE.search(span):
        problem = _walk(value, "")
        if problem:
            raise InputError(problem, path=path, line=line)


def parse_json(text: str, path: Path, line: int) -> Any:
    """The one JSON value ``text`` holds (whitespace around it allowed), read on line
    ``line`` of ``path``.

    Anything but standard JSON within our bounds is an InputError naming the line: invalid
    JSON, NaN or Infinity, nesting deeper than MAX_JSON_DEPTH (JSON nested 100,000 deep
    would otherwise be a RecursionError), and strings holding NUL or a lone surrogate
    (escaped as ``\\u0000``, ``\\ud800``), which no database stores as text.
    """
    try:
        value = _DECODER.decode(text)
    except (json.JSONDecodeError, RecursionError, _NotStandard) as exc:
        raise _decoding_error(exc, text, path, line, 0) from None
    _check_decoded(value, text, path, line)
    return value


def iter_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of a JSON-lines file, each value read
    as parse_json reads it; a bad line comes as (its number, the InputError naming it)."""
    decode = _DECODER.decode
    for number, line in iter_lines(path):
        if type(line) is not str:
            yield number, line  # the InputError of a line that is not text
            continue
        try:
            value = decode(line)
        except (json.JSONDecodeError, RecursionError, _NotStandard) as exc:
            if line.strip():
                yield number, _decoding_error(exc, line, path, number, 0)
            continue
        try:
            _check_decoded(value, line, path, number)
        except InputError as exc:
            yield number, exc
            continue
        yield number, value


def decode_json(text: str, path: Path, *, line: int, start: int) -> tuple[Any, int]:
    """The JSON value that starts at index ``start`` of ``text``, and the index where it
    ends, for a file of several values; ``line`` is the file's line at ``start``. The same
    checks as parse_json."""
    try:
        value, end = _DECODER.raw_decode(text, start)
    except (json.JSONDecodeError, RecursionError, _NotStandard) as exc:
        raise _decoding_error(exc, text, path, line, start) from None
    _check_decoded(value, text[start:end], path, line)
    return value, end


# --- compressed input -------------------------------------------------------------------

# A compressed input may expand to at most RATIO times its size, but always to the FLOOR
# (small files of short, repetitive docs compress 300x) and never past the CAP. Real spaCy
# DocBins measured here expand 7x (annotator's exports) to 16x (spaCy's default columns).
EXPANSION_RATIO = 100
EXPANSION_FLOOR = 64 * MiB
EXPANSION_CAP = 2048 * MiB


def expansion_limit(compressed_size: int) -> int:
    """How many bytes a compressed input of ``compressed_size`` bytes may expand to."""
    return min(EXPANSION_CAP, max(EXPANSION_FLOOR, EXPANSION_RATIO * compressed_size))


def expansion_rule(compressed_size: int) -> str:
    """The limit of expansion_limit as messages state it."""
    return (
        f"{size_text(expansion_limit(compressed_size))} for a file of "
        f"{size_text(compressed_size)}: {EXPANSION_RATIO}x its size, at least "
        f"{size_text(EXPANSION_FLOOR)}, at most {size_text(EXPANSION_CAP)}"
    )


class ExpansionError(Exception):
    """Raised by BoundedInflater when a stream would expand past its limit."""


class BoundedInflater:
    """Decompress a zlib stream read from ``source`` (an open binary file) a piece at a time
    with zlib.decompressobj and max_length, never holding more than a piece of its output
    and never expanding past ``limit`` bytes in all: a decompression bomb is refused after
    at most ``limit`` bytes of work, with no more memory than a piece, and a device such as
    /dev/zero at its first piece. ``compressed()`` gives back what was read, for a library
    that wants the compressed bytes whole.

    ``take`` and ``skip`` raise ExpansionError past the limit (or when the compressed input
    is larger than EXPANSION_CAP), zlib.error for data that is not zlib, and EOFError when
    the stream ends early."""

    def __init__(self, source: IO[bytes], limit: int, piece: int = _CHUNK):
        self._source = source
        self._inflater = zlib.decompressobj()
        self._read: list[bytes] = []  # every compressed piece read so far
        self._read_size = 0
        self._pending = b""  # compressed input not yet given to zlib
        self._buffer = b""
        self._position = 0
        self.limit = limit
        self.produced = 0  # bytes decompressed so far
        self.consumed = 0  # bytes handed out (or skipped) so far
        self._piece = piece

    def _more(self) -> None:
        if self._inflater.eof:
            raise EOFError("the compressed stream ends early")
        if self.produced >= self.limit:
            raise ExpansionError(self.limit)
        if not self._pending:
            self._pending = self._source.read(self._piece)
            if not self._pending:
                raise EOFError("the compressed stream is truncated")
            self._read.append(self._pending)
            self._read_size += len(self._pending)
            if self._read_size > EXPANSION_CAP:
                raise ExpansionError(self.limit)
        room = min(self._piece, self.limit - self.produced + 1)
        out = self._inflater.decompress(self._pending, room)
        self._pending = self._inflater.unconsumed_tail
        self.produced += len(out)
        if self.produced > self.limit:
            raise ExpansionError(self.limit)
        self._buffer = self._buffer[self._position :] + out
        self._position = 0

    def take(self, size: int) -> bytes:
        """The next ``size`` decompressed bytes (keep ``size`` small: it is held whole)."""
        while len(self._buffer) - self._position < size:
            self._more()
        start = self._position
        self._position += size
        self.consumed += size
        return self._buffer[start : self._position]

    def skip(self, size: int) -> None:
        """Pass over the next ``size`` decompressed bytes, holding one piece at a time."""
        while size > 0:
            available = len(self._buffer) - self._position
            if available == 0:
                self._more()
                continue
            step = min(available, size)
            self._position += step
            self.consumed += step
            size -= step

    def at_end(self) -> bool:
        """Whether the data ends exactly here: no decompressed bytes left, the zlib stream
        closed, and nothing in the file after it."""
        while len(self._buffer) == self._position and not self._inflater.eof:
            try:
                self._more()
            except EOFError:
                return False  # the stream stops before its end
        if len(self._buffer) > self._position:
            return False
        return not self._inflater.unused_data and not self._source.read(1)

    def compressed(self) -> bytes:
        """Every compressed byte read so far, joined."""
        return b"".join(self._read)


# --- output -----------------------------------------------------------------------------


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
# (the folder's path with a trailing separator, the files written, the folders made)
_UNSYNCED: ContextVar[tuple[str, list[str], set[str]] | None] = ContextVar("unsynced", default=None)


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
    # The files' names as strings: a list of 60,000 Path objects was walked again by every
    # full collection of the garbage collector while the export ran.
    written: list[str] = []
    token = _UNSYNCED.set((os.path.join(os.path.abspath(folder), ""), written, set()))
    try:
        yield
    finally:
        _UNSYNCED.reset(token)
    _sync(folder, written)


def _sync(folder: Path, written: list[str]) -> None:
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
    for name in written:
        with open(name, "rb") as handle:
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


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` as the whole content of ``path``. Inside an unsynced_folder() that is
    three system calls (open, write, close: Python's open() adds a stat, a terminal check
    and a seek, and an export writes tens of thousands of small files); elsewhere it goes
    through atomic_output(). An OSError names ``path`` (see _folder_in_place for how an
    export names it to the user)."""
    unsynced = _UNSYNCED.get()
    name = os.path.abspath(path)
    if unsynced is None or not name.startswith(unsynced[0]):
        with atomic_output(path, mode="wb") as handle:
            handle.write(data)
        return
    parent = os.path.dirname(name)
    if parent not in unsynced[2]:
        os.makedirs(parent, exist_ok=True)
        unsynced[2].add(parent)
    unsynced[1].append(name)
    try:
        fd = os.open(name, _CREATE, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, name) from None


@contextmanager
def atomic_output(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write ``path`` through a temporary file in the same folder, renamed into place only
    when the block succeeds; on any error the temporary file is removed and ``path`` is
    untouched. The file gets the permissions of the file it replaces, or the usual ones
    for a new file. Inside an unsynced_folder() the file is written in place instead. A
    destination that cannot be written (see check_destination) raises InputError before
    anything is created; an OSError on the way (a full disk, a read-only folder) is raised
    again naming ``path``, as a write() error does not name its file."""
    unsynced = _UNSYNCED.get()
    if unsynced is not None:
        name = os.path.abspath(path)
        if name.startswith(unsynced[0]):
            # Inside a temporary folder this process made (and checked): no check per
            # file, and each subfolder made once (an export writes thousands of files).
            parent = os.path.dirname(name)
            if parent not in unsynced[2]:
                os.makedirs(parent, exist_ok=True)
                unsynced[2].add(parent)
            unsynced[1].append(name)
            with open(name, mode, encoding=encoding if "b" not in mode else None) as handle:
                yield handle
            return
    check_destination(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=temporary_prefix(path.name), suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
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
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is not None and exc.filename != tmp_name:
            raise  # about another file the block works with: it names that file already
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
