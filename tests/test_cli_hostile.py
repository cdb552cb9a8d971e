"""Every command that prints data, run as a real process on a database full of hostile
strings: no escape sequence, control character or bidi override reaches the terminal."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.domain.spans import Span, Status
from annotator.domain.text import content_hash
from annotator.store.annotations import save_annotation
from annotator.store.engine import open_store
from annotator.store.models import Article, Suggestion, SuggestionRun

OSC52 = "\x1b]52;c;UFdORUQ=\x1b\\"  # writes "PWNED" to the terminal's clipboard
CLEAR = "\x1b[2J\x1b[H"  # clears the screen
QUERIES = "\x1b[6n\x1b[c"  # cursor position and device attribute queries
OSC8 = "\x1b]8;;https:evil.example\x07click\x1b]8;;\x07"  # a link (no slash: file names hold it)
C1 = "".join(map(chr, range(0x80, 0xA0)))  # 0x9b is CSI, 0x9d OSC on some terminals
BIDI = "\u202e\u2066\u2069\u202c"
HOSTILE = OSC52 + CLEAR + QUERIES + OSC8 + C1 + BIDI + "\x07\x08\r\t\x7f\u2028"
STORABLE = HOSTILE + "\x00"  # NUL goes into SQLite text, not into file names

# Code points that must never be printed raw: C0 except newline, DEL, C1, bidi
# embeddings/overrides/isolates, line and paragraph separators.
FORBIDDEN = {
    *(chr(c) for c in range(0x20) if c != 0x0A),
    *map(chr, range(0x7F, 0xA0)),
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    "\u2028",
    "\u2029",
}


def assert_clean(data: bytes, what: str) -> None:
    """No control byte in ``data`` (raw), and no forbidden code point once decoded."""
    raw = [b for b in data if (b < 0x20 and b != 0x0A) or b == 0x7F]
    assert not raw, f"{what}: control bytes {sorted(set(raw))} in {data[:300]!r}"
    text = data.decode("utf-8")
    found = sorted({f"U+{ord(ch):04X}" for ch in text if ch in FORBIDDEN})
    assert not found, f"{what}: {found} in {text[:300]!r}"


def run(*args: str, cwd: Path, code: int | None = 0) -> subprocess.CompletedProcess:
    """The real command in a real process; its stdout and stderr checked byte by byte."""
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", *args],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )
    shown = " ".join(a.encode("unicode_escape").decode() for a in args)
    assert_clean(proc.stdout, f"stdout of {shown}")
    assert_clean(proc.stderr, f"stderr of {shown}")
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    if code is not None:
        assert proc.returncode == code, (shown, proc.stderr.decode())
    if proc.returncode == 1:
        lines = proc.stderr.decode().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (shown, lines)
    return proc


def name(stem: str) -> str:
    return stem + HOSTILE


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A database whose titles, texts, labels, annotator names, notes, sources, file names
    and meta all hold hostile strings; three articles finished by two annotators."""
    root = tmp_path_factory.mktemp("hostile")
    db = root / "hostile.db"
    store = open_store(db)
    people = ["ana", "ben"]
    label = name("PER")
    with store.write() as session:
        for i in range(3):
            text = f"Assad {STORABLE} forces entered Idlib {i} {STORABLE} and left."
            start = text.index("Idlib")
            article = Article(
                content_hash=content_hash(text),
                text=text,
                title="" if i == 2 else f"Title {i} {STORABLE}",
                source=name("file") + ".jsonl",
                meta={"note": STORABLE},
            )
            session.add(article)
            session.flush()
            session.add(
                Suggestion(
                    article_id=article.id, source=name("patterns:"), start=0, end=5, label=label
                )
            )
            session.add(SuggestionRun(article_id=article.id, source=name("patterns:"), count=1))
            save_annotation(
                session,
                article_id=article.id,
                annotator=people[0],
                spans=[Span(0, 5, label), Span(start, start + 5, "LOC")],
            )
            save_annotation(
                session,
                article_id=article.id,
                annotator=people[1],
                spans=[Span(0, 5, "LOC"), Span(start, start + 7, name("LOC"))],
            )
        save_annotation(
            session,
            article_id=1,
            annotator="cy",
            spans=[],
            status=Status.FLAGGED,
            note=STORABLE,
        )
    store.dispose()
    # Names are checked when an annotator is created; a database written by another tool
    # (or an older version) may still hold anything.
    conn = sqlite3.connect(db)
    with conn:
        for person in ("ana", "ben", "cy"):
            conn.execute("UPDATE annotator SET name = ? WHERE name = ?", (name(person), person))
    conn.close()
    return root, db


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["stats", "--json"],
        ["agreement"],
        ["agreement", "--format", "json"],
        ["agreement", "--format", "csv"],
        ["agreement", "--label", name("PER"), "--label", name("nothing")],
        ["agreement", "--annotator", name("ana"), "--annotator", name("ben")],
    ],
    ids=lambda args: "-".join(a.split("\x1b")[0] for a in args),
)
def test_hostile_data_commands_print_nothing_raw(hostile, args):
    root, db = hostile
    proc = run(*args, "--db", str(db), cwd=root)
    assert proc.stdout or proc.stderr


def test_hostile_json_keeps_the_data_as_escapes(hostile):
    root, db = hostile
    data = json.loads(run("agreement", "--db", str(db), "--format", "json", cwd=root).stdout)
    assert name("ana") in data["annotators"]  # the same strings, escaped, not altered
    assert data["articles"][0]["title"] == f"Title 0 {STORABLE}"
    stats = json.loads(run("stats", "--db", str(db), "--json", cwd=root).stdout)
    assert name("PER") in stats["labels"]


def test_hostile_agreement_files_and_reports(hostile, tmp_path):
    root, db = hostile
    out = tmp_path / name("agreement") / "a.csv"  # a folder named with the hostile string
    out.parent.mkdir()
    run("agreement", "--db", str(db), "--format", "csv", "--out", str(out), cwd=root)
    assert name("ana").encode() in out.read_bytes()  # files keep the data as it is
    report = tmp_path / "report.html"
    run("agreement", "--db", str(db), "--html", str(report), cwd=root)
    assert "\x1b" not in report.read_text()


@pytest.mark.parametrize("fmt", ["spacy", "prodigy", "doccano", "label-studio", "brat", "conll"])
def test_hostile_export_every_format(hostile, tmp_path, fmt):
    root, db = hostile
    target = tmp_path / name("out")
    for source in ("all", name("ana"), name("nobody")):
        run(
            "export",
            "--db",
            str(db),
            "--format",
            fmt,
            "--source",
            source,
            "--out",
            str(target / source.split("\x1b")[0]),
            "--skip-invalid",
            cwd=root,
            code=None,
        )
    run(
        "export",
        "--db",
        str(db),
        "--format",
        fmt,
        "--out",
        str(target / "strict"),
        cwd=root,
        code=None,
    )


def test_hostile_assign_names_in_the_database(hostile):
    root, db = hostile
    proc = run("assign", "--db", str(db), "--overlap", "2", "--dry-run", cwd=root, code=1)
    assert "annotator name" in proc.stderr.decode()


def test_hostile_import_errors_name_file_and_label_visibly(tmp_path):
    db = tmp_path / "import.db"
    bad = tmp_path / (name("broken") + ".jsonl")
    bad.write_text('{"text": "fine"}\n{"title": "no text"}\n', encoding="utf-8")
    proc = run("import", "--db", str(db), str(bad), cwd=tmp_path, code=1)
    assert ":2:" in proc.stderr.decode()
    labelled = tmp_path / (name("labels") + ".jsonl")
    record = {"text": "Assad in Idlib", "spans": [{"start": 0, "end": 5, "label": name("PER")}]}
    labelled.write_text(json.dumps(record) + "\n", encoding="utf-8")
    run(
        "import",
        "--db",
        str(db),
        "--format",
        "prodigy",
        "--scheme",
        "conflict",
        str(labelled),
        cwd=tmp_path,
        code=1,
    )
    record["spans"][0]["label"] = "PER\nSON"
    labelled.write_text(json.dumps(record) + "\n", encoding="utf-8")
    run("import", "--db", str(db), "--format", "prodigy", str(labelled), cwd=tmp_path, code=1)
    run("import", "--db", str(db), str(tmp_path / name("missing")), cwd=tmp_path, code=None)
    assert_clean(json.dumps(record).encode(), "the record itself")  # JSON escapes newline


def test_hostile_newline_label_gives_a_one_line_error(tmp_path):
    labelled = tmp_path / "newline.jsonl"
    record = {"text": "Assad in Idlib", "spans": [{"start": 0, "end": 5, "label": "PER\nSON"}]}
    labelled.write_text(json.dumps(record) + "\n", encoding="utf-8")
    proc = run(
        "import",
        "--db",
        str(tmp_path / "n.db"),
        "--format",
        "prodigy",
        "--scheme",
        "conflict",
        str(labelled),
        cwd=tmp_path,
        code=1,
    )
    assert "PER\u240aSON" in proc.stderr.decode()


def test_hostile_schemes_and_suggest(hostile, tmp_path):
    root, db = hostile
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "evil.toml").write_text(
        f"name = {json.dumps(name('evil'))}\ndescription = {json.dumps(HOSTILE)}\n"
        '[[labels]]\nname = "PER"\ncolour = "#ff0000"\nkey = "1"\n'
        f"description = {json.dumps(HOSTILE)}\n",
        encoding="utf-8",
    )
    (labels / "broken.toml").write_text(
        f"name = {json.dumps(HOSTILE)}\n[[labels]]\n", encoding="utf-8"
    )
    run("schemes", cwd=tmp_path)
    run("schemes", "evil", cwd=tmp_path, code=None)
    run("schemes", str(labels / "broken.toml"), cwd=tmp_path, code=1)
    run("schemes", name("nothing"), cwd=tmp_path, code=1)
    patterns = tmp_path / (name("p") + ".jsonl")
    patterns.write_text(json.dumps({"label": name("GPE"), "pattern": "Idlib"}) + "\n")
    run("suggest", "--db", str(db), "--patterns", str(patterns), cwd=root, code=1)
    run("suggest", "--db", str(db), "--model", name("model"), cwd=root, code=1)


@pytest.mark.parametrize(
    "args",
    [
        ["annotate", "--annotator", name("eve")],
        ["annotate", "--annotator", "eve", "--scheme", name("nothing")],
        ["review", "--reviewer", name("rita")],
        ["review", "--reviewer", "rita", "--scheme", name("nothing")],
        ["annotate", "--annotator", "eve", "--db", str(Path("/nonexistent") / name("db"))],
        ["agreement", "--format", name("fmt")],
        ["export", "--format", name("fmt")],
        ["stats", name("--opt")],
        ["assign", "--overlap", name("k")],
        [name("verb")],
    ],
    ids=lambda args: "-".join(a.split("\x1b")[0] for a in args),
)
def test_hostile_arguments_errors(hostile, args):
    root, db = hostile
    if "--db" not in args:
        args = (
            [*args, "--db", str(db)]
            if not args[0].startswith(("stats", "annotate", "verb"))
            else args
        )
    run(*args, cwd=root, code=None)
