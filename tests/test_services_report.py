from __future__ import annotations

from annotator.audit.disagreements import review_queue
from annotator.audit.documents import DocAnnotations
from annotator.audit.report import measure_agreement
from annotator.domain.spans import Span
from annotator.services.report import PALETTE, label_colours, render_html
from annotator.services.schemes import find_scheme

TEXT = "Assad & <Erdogan> met in Idlib"


def _docs():
    return {
        1: DocAnnotations(
            TEXT,
            {"ana": [Span(0, 5, "PERSON"), Span(24, 29, "LOCATION")], "ben": [Span(0, 5, "ORG")]},
            title="<b>Summit</b>",
        ),
        2: DocAnnotations(TEXT, {"ana": [Span(0, 5, "PERSON")], "ben": [Span(0, 5, "PERSON")]}),
    }


def test_report_html_escapes_everything_it_did_not_render_with_displacy():
    docs = _docs()
    page = render_html(measure_agreement(docs), review_queue(docs), scheme=find_scheme("conflict"))
    assert "<b>Summit</b>" not in page and "&lt;b&gt;Summit&lt;/b&gt;" in page
    assert "&lt;Erdogan&gt;" in page and "<Erdogan>" not in page
    assert page.count('<mark class="entity"') == 3  # only article 1 disagrees
    assert "Articles with disagreements, worst first (1)" in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_report_html_says_how_many_articles_a_limit_left_out():
    docs = _docs()
    page = render_html(measure_agreement(docs), [], omitted=1)
    assert "worst first (0 shown, 1 more not shown)" in page


def test_report_label_colours_from_the_scheme_then_a_palette():
    scheme = find_scheme("conflict")
    colours = label_colours(["PERSON", "ZZZ", "AAA"], scheme)
    assert colours["PERSON"] == scheme.colour_of("PERSON")
    assert (colours["AAA"], colours["ZZZ"]) == (PALETTE[0], PALETTE[1])
    assert label_colours(["AAA"], None) == {"AAA": PALETTE[0]}


def test_report_write_reads_articles_in_rounds_and_keeps_the_ranking(store, tmp_path, monkeypatch):
    import re

    from annotator.audit.disagreements import rank
    from annotator.services import report as report_module
    from annotator.services.agreement import measure
    from tests.test_services_agreement import store_documents

    monkeypatch.setattr(report_module, "ARTICLES_PER_READ", 2)
    docs = {
        f"doc{i}": DocAnnotations(
            TEXT + " " * i,  # distinct texts: an article is stored once
            {
                "ana": [Span(0, 5, "PERSON"), Span(24, 29, "LOCATION")][: 1 + i % 2],
                "ben": [Span(0, 5, "PERSON" if i % 3 else "ORG")],
            },
        )
        for i in range(7)
    }
    ids = store_documents(store, docs)
    result = measure(store, workers=1)
    expected = [f.doc_id for f in rank(result.report.articles)]
    page = tmp_path / "r.html"
    assert report_module.write_report(store, page, result) == len(expected)
    drawn = [
        int(n) for n in re.findall(r'<article class="doc" id="article-(\d+)"', page.read_text())
    ]
    assert drawn == expected and set(drawn) <= set(ids.values())
    assert report_module.write_report(store, page, result, limit=3) == 3
    html = page.read_text()
    assert re.findall(r'id="article-(\d+)"', html) == [str(i) for i in expected[:3]]
    assert f"(3 shown, {len(expected) - 3} more not shown)" in html
