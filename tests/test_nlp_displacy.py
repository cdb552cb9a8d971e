from __future__ import annotations

from annotator.domain.spans import Span
from annotator.nlp.displacy import render_spans


def test_displacy_renders_spans_with_escaped_labels_and_text():
    text = "<b>Assad</b> in Idlib\x1b[31m"
    fragment, left_out = render_spans(
        text, [Span(3, 8, 'PER"><script>'), Span(16, 21, "LOC")], {"LOC": "#98c379"}
    )
    assert left_out == []
    assert "<script>" not in fragment and "<b>" not in fragment
    assert "PER&quot;&gt;&lt;script&gt;" in fragment
    assert "&lt;b&gt;" in fragment and "Assad" in fragment
    assert "background: #98c379" in fragment
    assert "\x1b" not in fragment and "\u241b" in fragment  # control characters made visible


def test_displacy_leaves_out_overlapping_spans_and_says_which():
    text = "Free Syrian Army fighters"
    fragment, left_out = render_spans(
        text, [Span(5, 16, "ORG"), Span(0, 16, "ARMED_GROUP"), Span(17, 25, "X")], {}
    )
    assert left_out == [Span(5, 16, "ORG")]
    assert fragment.count('<mark class="entity"') == 2
