from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest

from annotator.audit.documents import DocAnnotations
from annotator.domain.spans import Span
from annotator.store.engine import open_store
from tests.conftest import dump
from tests.test_audit_report import BRAT, load_brat_project, need
from tests.test_services_agreement import store_documents


def run(*args: str) -> subprocess.CompletedProcess:
    """The real command in a real process: what a user or a CI script sees."""
    return subprocess.run(
        [sys.executable, "-m", "annotator", *args], capture_output=True, text=True
    )


@pytest.fixture
def brat_db(tmp_path):
    docs = load_brat_project(need(BRAT / "example-project"))
    db = tmp_path / "brat.db"
    store = open_store(db)
    store_documents(store, docs)
    store.dispose()
    return db


EVIL = 'Breaking: <script>alert("x")</script> forces of [b]Assad[/b] entered Saraqeb.'


@pytest.fixture
def small_db(tmp_path):
    db = tmp_path / "small.db"
    store = open_store(db)
    i = EVIL.index("[b]Assad")
    j = EVIL.index("Saraqeb")
    store_documents(
        store,
        {
            "<img src=x onerror=alert(1)>": DocAnnotations(
                EVIL,
                {
                    "ana": [
                        Span(i, i + 13, "PER"),
                        Span(j, j + 7, "LOCATION"),
                        Span(10, 18, "<i>X</i>"),
                    ],
                    "ben": [Span(i + 3, i + 8, "PER"), Span(j, j + 7, "ORG")],
                },
            ),
            "calm": DocAnnotations(
                "Assad in Idlib", {"ana": [Span(0, 5, "PER")], "ben": [Span(0, 5, "PER")]}
            ),
        },
    )
    store.dispose()
    return db


def test_cli_agreement_json_for_scripts(brat_db):
    proc = run("agreement", "--db", str(brat_db), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["annotators"] == ["Lisa", "Maria", "Max", "Peter"] and data["documents"] == 7
    assert data["span_f1"]["mean"] == pytest.approx(0.8903501, abs=1e-7)
    assert data["span_f1"]["sd"] == pytest.approx(0.0526314, abs=1e-7)
    assert data["span_f1"]["labels"]["LOC"]["mean"] == pytest.approx(0.8191061, abs=1e-7)
    pair = data["span_f1"]["pairs"][0]
    assert (pair["a"], pair["b"], pair["f1"]) == (
        "Lisa",
        "Maria",
        pytest.approx(0.9455446, abs=1e-7),
    )
    assert len(data["token_kappa"]["pairs"]) == 6 and 0 < data["token_kappa"]["mean"] < 1
    assert 0 < data["token_alpha"] < 1
    assert proc.stderr == ""


def test_cli_agreement_csv_and_out_file(brat_db, tmp_path):
    out = tmp_path / "reports" / "agreement.csv"
    proc = run("agreement", "--db", str(brat_db), "-f", "csv", "--out", str(out), "-l", "PER")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and f"wrote csv to {out}" in proc.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    mean = [
        r for r in rows if (r["measure"], r["scope"], r["statistic"]) == ("span_f1", "all", "mean")
    ]
    assert float(mean[0]["value"]) == pytest.approx(0.93782234, abs=1e-7)  # PER only
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # readable like any new file


def test_cli_agreement_table(brat_db):
    proc = run("agreement", "--db", str(brat_db))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"span F1, exact\s+│\s+0\.890\s+│\s+0\.053\s+│\s+6", proc.stdout)
    assert re.search(r"Lisa\s+│\s+Maria\s+│\s+7\s+│\s+404/404\s+│\s+382\s+│\s+0\.946", proc.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "error: unknown format 'xml' (choose table, json or csv)"),
        (["--annotator", "zed"], "error: no annotator called 'zed' (annotators: ana, ben)"),
        (
            ["--annotator", "ana"],
            "error: no article is finished (status done) by two or more annotators among ana: nothing to compare",
        ),
        (["--html", "x.html", "--scheme", "nope"], "error: no label scheme 'nope'"),
        (["--html", "."], "error: .: is a folder; name a file to write"),
        (["--html-articles", "0", "--html", "x.html"], "error: --html-articles must be at least 1"),
        (["--tokens", "bpe"], "error: unknown --tokens 'bpe' (choose spacy or whitespace)"),
        (["--fail-under", "f1"], "error: --fail-under 'f1': expected MEASURE=VALUE"),
        (["--fail-under", "speed=0.5"], "error: --fail-under 'speed=0.5': unknown measure"),
        (["--lang", "zz"], "error: spaCy has no language 'zz'"),
    ],
)
def test_cli_agreement_errors_are_one_line_and_write_nothing(small_db, tmp_path, args, message):
    before = dump(small_db)
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "annotator",
            "agreement",
            "--db",
            str(small_db),
            "--out",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(message) and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    assert not out.exists() and not (tmp_path / "x.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert dump(small_db) == before


def test_cli_agreement_warns_about_unused_labels(small_db):
    proc = run("agreement", "--db", str(small_db), "-f", "json", "-l", "PER", "-l", "WEAPON")
    assert proc.returncode == 0
    assert proc.stderr == "warning: label 'WEAPON' is not used in any compared article\n"
    assert json.loads(proc.stdout)["labels"] == ["PER", "WEAPON"]


def test_cli_agreement_html_report_escapes_article_text(small_db, tmp_path):
    page = tmp_path / "report.html"
    proc = run("agreement", "--db", str(small_db), "-f", "json", "--html", str(page))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote HTML report to {page} (1 article with disagreements)" in proc.stderr
    html = page.read_text()
    assert "<script" not in html and "<img" not in html and "<i>X</i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count('<mark class="entity"') == 5  # displaCy, once per annotator's spans
    assert "background: #98c379" in html  # LOCATION's colour in the conflict scheme
    assert "calm" not in html  # agreeing articles are not drawn
    assert "http://" not in html and "https://" not in html  # self-contained


@pytest.mark.slow
def test_cli_agreement_html_renders_in_headless_chromium(small_db, tmp_path):
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    page = tmp_path / "report.html"
    assert run("agreement", "--db", str(small_db), "--html", str(page)).returncode == 0
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = proc.stdout
    assert "Agreement between annotators" in dom
    assert dom.count('class="entity"') == 5
    assert "<script" not in dom  # the article's <script> stayed text, nothing ran


def test_cli_assign_then_agreement_material(tmp_path):
    db = tmp_path / "a.db"
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        (folder / f"{i}.txt").write_text(f"Report {i}\nShelling near Idlib, day {i}.")
    assert run("import", "--db", str(db), str(folder)).returncode == 0
    proc = run("assign", "--db", str(db), "--overlap", "2", "--annotators", "ana,ben,cy")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "assigned 6 new articles to 2 of 3 annotators each (ana 4, ben 4, cy 4 new queue items)",
        "switched to assignment mode: each annotator is served only the articles assigned to them",
    ]
    again = run("assign", "--db", str(db), "--overlap", "2", "--annotators", "ana,ben,cy")
    assert again.stdout.splitlines()[:2] == [
        "assigned 0 new articles to 2 of 3 annotators each (ana 0, ben 0, cy 0 new queue items)",
        "6 articles already had 2 or more annotators",
    ]
    too_many = run("assign", "--db", str(db), "--overlap", "4", "--annotators", "ana,ben,cy")
    assert too_many.returncode == 1
    assert too_many.stderr == "error: overlap 4 needs at least 4 annotators, got 3 (ana, ben, cy)\n"


@pytest.mark.parametrize(
    ("gates", "code", "reason"),
    [
        (["span_f1=0.8"], 0, None),  # 0.890 in bratiaa's example
        (["span_f1=0.8", "token_kappa=0.9", "alpha=0.9"], 0, None),
        (["span_f1=0.9"], 1, "span_f1 = 0.8904 is under 0.9"),
        (["relaxed_f1=0.5,token_f1=0.99"], 1, "token_f1 = 0.9"),
        (["kappa=0.99"], 1, "kappa = 0.9"),
        (["token_pi=0.99"], 1, "token_pi = 0.9"),
    ],
)
def test_cli_agreement_fail_under_is_a_ci_gate(brat_db, tmp_path, gates, code, reason):
    out = tmp_path / "agreement.json"
    args = [a for gate in gates for a in ("--fail-under", gate)]
    proc = run("agreement", "--db", str(brat_db), "-f", "json", "--out", str(out), *args)
    assert proc.returncode == code, proc.stderr
    assert json.loads(out.read_text())["documents"] == 7  # the figures are written either way
    if reason is None:
        assert "error" not in proc.stderr
    else:
        [line] = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert line.startswith(f"error: agreement gate failed: {reason}"), line
        assert proc.stderr.count("\n") == 2  # "wrote json to ..." and the reason


def test_cli_agreement_states_the_token_unit(brat_db):
    spacy = run("agreement", "--db", str(brat_db))
    assert "tokens: spaCy's, whitespace left out (spacy:en@" in spacy.stdout
    plain = run("agreement", "--db", str(brat_db), "--tokens", "whitespace", "-f", "json")
    data = json.loads(plain.stdout)
    assert data["token_unit"] == {"whitespace": 7}
    assert data["token_f1"]["mean"] == pytest.approx(0.9640, abs=1e-4)  # bratiaa's figure
    spaced = json.loads(run("agreement", "--db", str(brat_db), "-f", "json").stdout)
    assert list(spaced["token_unit"].values()) == [7]
    assert spaced["token_units"] > data["token_units"]  # "Madrid," is two tokens to spaCy


def test_cli_agreement_untitled_articles_show_their_first_words(tmp_path):
    db = tmp_path / "untitled.db"
    store = open_store(db)
    text = "Shelling resumed on villages south of Idlib after two quiet weeks, residents said."
    ids = store_documents(
        store,
        {"": DocAnnotations(text, {"ana": [Span(0, 8, "X")], "ben": [Span(0, 9, "X")]})},
    )
    store.dispose()
    words = "Shelling resumed on villages south of Idlib after…"
    table = subprocess.run(
        [sys.executable, "-m", "annotator", "agreement", "--db", str(db)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert words in table.stdout
    data = json.loads(run("agreement", "--db", str(db), "-f", "json").stdout)
    assert data["articles"][0]["id"] == ids[""] and data["articles"][0]["title"] == words
    page = tmp_path / "r.html"
    run("agreement", "--db", str(db), "--html", str(page))
    assert f"Article {ids['']}: {words}" in page.read_text()
