"""Render an annotator's spans of a text as HTML with spaCy's displaCy (manual mode)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from spacy import displacy

from annotator.domain.spans import Span
from annotator.domain.text import visible


def render_spans(
    text: str, spans: Sequence[Span], colours: Mapping[str, str]
) -> tuple[str, list[Span]]:
    """(HTML fragment with inline styles, spans left out) for ``spans`` over ``text``.

    displaCy escapes the text but not labels, so labels are escaped here; titles are not
    given to it at all. Control characters become visible stand-ins (same length, so the
    offsets hold). displaCy cannot draw overlapping spans: a span overlapping an earlier
    one is left out and returned, for the caller to list.
    """
    shown: list[Span] = []
    left_out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.label)):
        if shown and span.start < max(s.end for s in shown):
            left_out.append(span)
        else:
            shown.append(span)
    escaped = {label: html.escape(visible(label)) for label in {s.label for s in shown}}
    doc = {
        "text": visible(text),
        "ents": [{"start": s.start, "end": s.end, "label": escaped[s.label]} for s in shown],
    }
    options = {
        "colors": {escaped[label]: colours[label] for label in escaped if label in colours},
    }
    fragment = displacy.render(
        doc, style="ent", manual=True, page=False, jupyter=False, options=options
    )
    return fragment, left_out
