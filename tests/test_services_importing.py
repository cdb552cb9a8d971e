from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.domain.errors import InputError
from annotator.domain.text import content_hash
from annotator.services.importing import import_articles
from annotator.store.models import Article
from tests.conftest import SEEDS, dump, need


def _articles(store) -> list[Article]:
    with store.read() as session:
        return list(session.scalars(select(Article).order_by(Article.id)))


def _jsonl(path: Path, *objects) -> Path:
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects))
    return path


def test_import_txt_title_is_first_nonempty_line(store, tmp_path):
    (tmp_path / "a.txt").write_text("\n\n  Shelling in Idlib \n\nBody text here.\n")
    report = import_articles(store, [tmp_path / "a.txt"])
    assert (report.imported, report.duplicates, report.empty) == (1, 0, 0)
    [article] = _articles(store)
    assert article.title == "Shelling in Idlib"
    assert article.source == "a.txt"
    assert article.text.endswith("Body text here.\n")
    assert article.content_hash == content_hash(article.text)


def test_import_jsonl_fields(store, tmp_path):
    path = _jsonl(
        tmp_path / "a.jsonl",
        {"text": "One.", "title": "T1", "meta": {"url": "u"}, "id": 7},
        {"text": "Two."},
    )
    report = import_articles(store, [path])
    assert report.imported == 2
    first, second = _articles(store)
    assert (first.title, first.meta, first.external_id) == ("T1", {"url": "u"}, "7")
    # A record without a title gets its first line (domain.scraped.detect_title).
    assert (second.title, second.meta, second.external_id) == ("Two.", {}, None)


def test_import_normalises_text_so_variants_are_duplicates(store, tmp_path):
    path = _jsonl(
        tmp_path / "a.jsonl",
        {"text": "Cafe\u0301 in Hama\r\nnext"},
        {"text": "Caf\u00e9 in Hama\nnext"},
    )
    report = import_articles(store, [path])
    assert (report.imported, report.duplicates) == (1, 1)
    assert _articles(store)[0].text == "Caf\u00e9 in Hama\nnext"


def test_import_again_adds_nothing_and_says_so(store, tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"Article {i}\nbody")
    first = import_articles(store, [tmp_path])
    again = import_articles(store, [tmp_path])
    assert (first.imported, first.duplicates) == (3, 0)
    assert (again.imported, again.duplicates) == (0, 3)
    assert len(_articles(store)) == 3


def test_import_empty_files_and_records_are_skipped_and_counted(store, tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("  \n\n")
    _jsonl(tmp_path / "r.jsonl", {"text": ""}, {"text": "real"}, "")
    report = import_articles(store, [tmp_path])
    assert (report.imported, report.empty) == (1, 3)


def test_import_folder_recurses_and_ignores_other_files(store, tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("A\nx")
    (folder / "notes.md").write_text("# not an article")
    (folder / ".hidden.txt").write_text("hidden")
    report = import_articles(store, [folder])
    assert report.imported == 1
    assert report.ignored_files == [str(folder / "notes.md")]


def _bad_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Alep\nCaf\xe9".encode("latin-1"))
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    malformed = _jsonl(tmp_path / "bad.jsonl", {"text": "ok"}, '{"text": "unterminated')
    notext = _jsonl(
        tmp_path / "notext.jsonl", {"text": "ok"}, {"text": "ok2"}, {"title": "no text"}
    )
    wrongtype = _jsonl(tmp_path / "wrongtype.jsonl", {"text": 12})
    notobject = _jsonl(tmp_path / "list.jsonl", [1, 2])
    badline = tmp_path / "badline.jsonl"
    badline.write_bytes(b'{"text": "ok"}\n{"text": "\xff"}\n')
    return {
        "not utf-8": (latin, r"latin1.txt:2: not UTF-8 text \(byte 0xe9\)"),
        "binary": (binary, r"image.txt:3: binary data \(NUL byte\)"),
        "malformed json": (malformed, r"bad.jsonl:2: invalid JSON"),
        "no text": (notext, r"notext.jsonl:3: record has no 'text'"),
        "text not a string": (wrongtype, r"wrongtype.jsonl:1: 'text' must be a string"),
        "not an object": (notobject, r"list.jsonl:1: expected a JSON object"),
        "non-utf8 line": (badline, r"badline.jsonl:2: not UTF-8 text"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not utf-8",
        "binary",
        "malformed json",
        "no text",
        "text not a string",
        "not an object",
        "non-utf8 line",
    ],
)
def test_import_bad_input_names_file_and_line_and_stores_nothing(store, db_path, tmp_path, case):
    # Some good articles first (in the database, and in the same import before the bad one).
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "g.txt").write_text("Good\nalready there")
    import_articles(store, [tmp_path / "good"])
    before = dump(db_path)
    bad, message = _bad_cases(tmp_path)[case]
    good_too = _jsonl(tmp_path / "a_first.jsonl", {"text": "would be new"})
    with pytest.raises(InputError, match=message):
        import_articles(store, [good_too, bad])
    assert dump(db_path) == before


def test_import_skip_invalid_imports_good_and_lists_bad(store, tmp_path):
    cases = _bad_cases(tmp_path)
    good = _jsonl(tmp_path / "good.jsonl", {"text": "fine one"}, {"text": "fine two"})
    report = import_articles(
        store, [good, *(path for path, _ in cases.values())], skip_invalid=True
    )
    # Good lines sit beside the bad ones: "ok" in three files (stored once), "ok2" once.
    assert {a.text for a in _articles(store)} == {"fine one", "fine two", "ok", "ok2"}
    assert (report.imported, report.duplicates) == (4, 2)
    assert len(report.invalid) == len(cases)
    for path, message in cases.values():
        assert any(re.search(message, problem) for problem in report.invalid), path


def test_import_missing_path_and_unknown_format(store, tmp_path):
    with pytest.raises(InputError, match="nowhere.txt: no such file"):
        import_articles(store, [tmp_path / "nowhere.txt"])
    odd = tmp_path / "article.docx"
    odd.write_text("x")
    with pytest.raises(InputError, match=r"article.docx: \.docx files \(Word\) are not supported"):
        import_articles(store, [odd])
    other = tmp_path / "article.weird"
    other.write_text("x")
    with pytest.raises(InputError, match="cannot tell the format from the name 'article.weird'"):
        import_articles(store, [other])
    assert import_articles(store, [odd], fmt="txt").imported == 1


def test_import_interrupted_import_stores_nothing(store, db_path, tmp_path):
    _jsonl(tmp_path / "many.jsonl", *({"text": f"article {i}"} for i in range(5000)))
    before = dump(db_path)

    def interrupt(done, total):
        if done > total / 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_articles(store, [tmp_path / "many.jsonl"], progress=interrupt)
    assert dump(db_path) == before


def test_import_seed_corpus(store):
    seeds = need(SEEDS)
    report = import_articles(store, [seeds])
    files = sorted(seeds.glob("*.txt"))
    assert report.imported == len(files) and report.files == len(files)
    titles = {a.source: a.title for a in _articles(store)}
    assert titles[files[0].name]  # a title was found
    assert import_articles(store, [seeds]).duplicates == len(files)


@pytest.fixture
def via_child_process(monkeypatch):
    """Make every import take the large-input path: parsing in a child process."""
    import annotator.services.importing as importing

    monkeypatch.setattr(importing, "SUBPROCESS_THRESHOLD_BYTES", 0)


def test_import_large_input_path_parses_in_a_child_process(store, tmp_path, via_child_process):
    path = _jsonl(
        tmp_path / "a.jsonl", *({"text": f"article {i}", "meta": {"i": i}} for i in range(4500))
    )
    seen = []
    report = import_articles(store, [path, path], progress=lambda done, total: seen.append(done))
    assert (report.imported, report.duplicates) == (4500, 4500)
    assert seen[-1] == 2 * path.stat().st_size
    assert _articles(store)[4499].meta == {"i": 4499}


def test_import_large_input_path_error_stores_nothing(store, db_path, tmp_path, via_child_process):
    before = dump(db_path)
    path = _jsonl(
        tmp_path / "a.jsonl", *({"text": f"article {i}"} for i in range(4500)), {"nope": 1}
    )
    with pytest.raises(InputError, match=r"a.jsonl:4501: record has no 'text'"):
        import_articles(store, [path])
    assert dump(db_path) == before
    report = import_articles(store, [path], skip_invalid=True)
    assert report.imported == 4500 and report.invalid == [f"{path}:4501: record has no 'text'"]
