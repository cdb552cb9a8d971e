from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.domain.errors import InputError
from annotator.domain.spans import Suggestion, pack_offsets, unpack_offsets
from annotator.formats.patterns import read_patterns
from annotator.nlp.pipelines import load_pipeline
from annotator.nlp.suggester import SuggestConfig, make_suggester, packed_offsets
from annotator.services.schemes import find_scheme
from tests.conftest import SEEDS
from tests.pipelines import TRAINING, save_fake_model, save_tagger_and_ner, save_trained_ner

LABELS = ["PERSON", "ARMED_GROUP", "ORG", "LOCATION", "DATE"]
ONTONOTES_MAP = {"GPE": "LOCATION", "LOC": "LOCATION", "PERSON": "PERSON", "ORG": "ORG"}


def _pattern_file(tmp_path, rules):
    path = tmp_path / "rules.jsonl"
    path.write_text("".join(json.dumps(rule) + "\n" for rule in rules), encoding="utf-8")
    return path


@pytest.fixture
def rules(tmp_path):
    path = _pattern_file(
        tmp_path,
        [
            {"label": "LOCATION", "pattern": "Idlib"},
            {"label": "ARMED_GROUP", "pattern": "Hay'at Tahrir al-Sham"},
            {"label": "ARMED_GROUP", "pattern": "Tahrir al-Sham"},
            {"label": "DATE", "pattern": [{"LOWER": {"IN": ["monday", "tuesday"]}}]},
        ],
    )
    return read_patterns(path, LABELS)


@pytest.fixture(scope="module")
def fake_model(tmp_path_factory):
    return save_fake_model(tmp_path_factory.mktemp("models") / "fake")


def _spans(text: str, suggestions: list[Suggestion]) -> list[tuple[str, str, str]]:
    return [(text[s.start : s.end], s.label, s.source) for s in suggestions]


def test_suggester_patterns_alone(rules):
    suggester = make_suggester(labels=LABELS, patterns=rules)
    text = "On Monday Hay'at Tahrir al-Sham\n\nentered  Idlib."
    [result] = suggester.run([text])
    source = "patterns:" + hashlib.sha256(rules.path.read_bytes()).hexdigest()[:12]
    assert suggester.sources == (source,)
    assert suggester.tokenizer_id == f"spacy:en@{spacy.__version__}"
    # The longest match wins within one source: no "Tahrir al-Sham" inside the group name.
    assert sorted(_spans(text, result.suggestions)) == [
        ("Hay'at Tahrir al-Sham", "ARMED_GROUP", source),
        ("Idlib", "LOCATION", source),
        ("Monday", "DATE", source),
    ]
    assert result.dropped == Counter()
    words = [text[s:e] for s, e in result.tokens]
    assert words[:3] == ["On", "Monday", "Hay'at"]
    assert "\n\n" not in words and " " not in words  # whitespace tokens are left out


def test_suggester_model_labels_are_mapped_or_dropped_and_sources_kept(rules, fake_model):
    suggester = make_suggester(
        labels=LABELS, patterns=rules, model=load_pipeline(str(fake_model)), label_map=ONTONOTES_MAP
    )
    assert suggester.sources == (rules.source, "model:fake@1.2.3")
    assert suggester.tokenizer_id == "model:fake@1.2.3"
    assert suggester.model_labels == ("GPE", "NORP", "ORG", "PERSON")
    text = "Syrian and Russian jets hit Idlib on Tuesday, Human Rights Watch said."
    [result] = suggester.run([text])
    assert sorted(_spans(text, result.suggestions)) == sorted(
        [
            ("Idlib", "LOCATION", rules.source),
            ("Tuesday", "DATE", rules.source),
            ("Idlib", "LOCATION", "model:fake@1.2.3"),  # GPE mapped into the scheme
            ("Human Rights Watch", "ORG", "model:fake@1.2.3"),
        ]
    )
    assert result.dropped == Counter({"NORP": 2})  # the scheme has no NORP


def test_suggester_explicit_mapping_wins_over_a_same_named_label(fake_model):
    suggester = make_suggester(
        labels=LABELS, model=load_pipeline(str(fake_model)), label_map={"ORG": "ARMED_GROUP"}
    )
    [result] = suggester.run(["Human Rights Watch"])
    assert [(s.label, s.source) for s in result.suggestions] == [
        ("ARMED_GROUP", "model:fake@1.2.3")
    ]
    assert suggester.sources == ("model:fake@1.2.3",)


def test_suggester_trained_ner_model(tmp_path):
    folder = save_trained_ner(tmp_path / "mine")
    suggester = make_suggester(
        labels=LABELS, model=load_pipeline(str(folder)), label_map=ONTONOTES_MAP
    )
    text = "Russian jets struck Idlib overnight."  # a training sentence the ner has learnt
    [result] = suggester.run([text])
    assert _spans(text, result.suggestions) == [("Idlib", "LOCATION", "model:mine@0.0.1")]
    assert result.dropped == Counter({"NORP": 1})


def test_suggester_model_without_entities_is_refused(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "sents")
    with pytest.raises(InputError, match="predicts no entities .components: sentencizer"):
        make_suggester(labels=LABELS, model=load_pipeline(str(tmp_path / "sents")))


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ([{"LOWR": "x"}], "LOWR"),
        ([{"LOWER": "x", "OP": "!!"}], "OP"),
        ([{"TEXT": {"REGEX": "(unclosed"}}], "missing )"),
        ([{"LOWER": {"IN": "monday"}}], "valid list"),
    ],
)
def test_suggester_bad_token_pattern_names_its_line(tmp_path, pattern, message):
    path = _pattern_file(
        tmp_path,
        [{"label": "DATE", "pattern": "Monday"}, {"label": "DATE", "pattern": pattern}],
    )
    with pytest.raises(InputError) as caught:
        make_suggester(labels=LABELS, patterns=read_patterns(path, LABELS))
    assert caught.value.path == str(path) and caught.value.line == 2
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_suggester_pattern_needing_a_tagger_is_refused_without_one(tmp_path):
    path = _pattern_file(
        tmp_path,
        [{"label": "DATE", "pattern": "Monday"}, {"label": "ORG", "pattern": [{"POS": "PROPN"}]}],
    )
    with pytest.raises(InputError) as caught:
        make_suggester(labels=LABELS, patterns=read_patterns(path, LABELS))
    assert caught.value.line == 2
    assert "uses POS, which this pipeline does not set" in str(caught.value)


def test_suggester_tokenize_matches_spacy_tokens(rules):
    suggester = make_suggester(labels=LABELS, patterns=rules)
    text = "Idlib,  (Hama)\n\t\u00a0Aleppo's \u3000 end."
    expected = [
        (t.idx, t.idx + len(t.text)) for t in spacy.blank("en").make_doc(text) if not t.is_space
    ]
    assert suggester.tokenize(text) == expected
    assert suggester.tokenize("") == []
    assert suggester.tokenize("   ") == []


WHITESPACE_AND_TEXT = st.text(
    alphabet=st.sampled_from(
        list("ab1 .,-'\"()\n\t\r")
        + ["\u00a0", "\u3000", "\u2028", "\x0b", "\x85", "é", "\U0001f600"]
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(text=WHITESPACE_AND_TEXT)
def test_suggester_packed_offsets_equal_token_by_token_reading(text):
    doc = _BLANK.make_doc(text)
    slow = [(t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
    assert packed_offsets(doc, text) == pack_offsets(slow)
    assert unpack_offsets(packed_offsets(doc, text)) == slow


_BLANK = spacy.blank("en")


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(WHITESPACE_AND_TEXT, max_size=6))
def test_suggester_chunk_offsets_equal_each_docs_own_reading(texts):
    """A chunk of docs (empty ones and non-ASCII ones among them) gets each doc's own
    offsets: the same packed bytes, and starts/ends found at the doc's place."""
    from annotator.nlp.suggester import _chunk_bounds

    docs = [_BLANK.make_doc(text) for text in texts]
    bounds = _chunk_bounds(docs, texts)
    for doc, text, first, packed in zip(docs, texts, bounds.first, bounds.packed, strict=True):
        assert doc.text == text
        slow = [(t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
        assert packed == pack_offsets(slow)
        assert [(bounds.starts[first + t.i], bounds.ends[first + t.i]) for t in doc] == [
            (t.idx, t.idx + len(t.text)) for t in doc
        ]


def test_suggester_config_json_round_trip_and_defaults():
    config = SuggestConfig(
        scheme="/x/s.toml", patterns="/x/p.jsonl", use_patterns=False, model="m", lang="de"
    )
    assert SuggestConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
    assert SuggestConfig.from_json(None) == SuggestConfig()
    assert SuggestConfig.from_json({"scheme": 3, "other": 1}) == SuggestConfig()
    assert SuggestConfig().scheme == "conflict" and SuggestConfig().use_patterns


CRAFTED = [
    "President Bashar al-Assad’s forces and Assad regime forces met Syrian government troops.",
    "US forces, U.S. forces and Russian troops; anti-tank missiles and Barrel bombs fell.",
    "Thousands of displaced families fled; 3 million people and dozens of fighters.",
    "The Second Army, the Free Idleb Army and the Al-Nasser Army joined on Monday.",
    "Last December, in the last few days, on August 6th and 6 August 2019, in May 2018.",
    "SYRIAN ARMY tanks, a heavy machine gun, suicide drones and Russian warplanes.",
]


def test_suggester_rewritten_patterns_match_what_spacy_matches():
    # Token patterns that only compare text are matched as phrases (much faster); the
    # result must be what a plain spaCy SpanRuler with the original patterns finds.
    scheme = find_scheme("conflict")
    patterns = read_patterns(scheme.patterns, scheme.names)
    ours = make_suggester(labels=scheme.names, patterns=patterns)
    assert len(ours.nlp.pipe_names) == 2  # some rules were rewritten as phrases
    reference = spacy.blank("en")
    reference.add_pipe(
        "span_ruler",
        config={
            "spans_key": "k",
            "annotate_ents": False,
            "overwrite": True,
            "spans_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
        },
    ).add_patterns([rule.as_spacy() for rule in patterns.rules])
    texts = list(CRAFTED)
    if SEEDS.exists():
        texts += [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    for text, result in zip(texts, ours.run(texts), strict=True):
        doc = reference(text)
        expected = sorted((s.start_char, s.end_char, s.label_) for s in doc.spans["k"])
        assert sorted((s.start, s.end, s.label) for s in result.suggestions) == expected
    found = {
        (text[s.start : s.end], s.label)
        for text, result in zip(CRAFTED, ours.run(CRAFTED), strict=True)
        for s in result.suggestions
    }
    assert {
        ("Bashar al-Assad’s forces", "ARMED_GROUP"),
        ("US forces", "ARMED_GROUP"),
        ("U.S. forces", "ARMED_GROUP"),
        ("anti-tank missiles", "WEAPON"),
        ("Barrel bombs", "WEAPON"),
        ("3 million people", "CASUALTY"),
        ("Free Idleb Army", "ARMED_GROUP"),
        ("SYRIAN ARMY", "ARMED_GROUP"),
    } <= found


def test_suggester_chooses_overlapping_and_tied_matches_as_its_rulers_do(tmp_path):
    # run_packed calls the rulers' matchers itself; what it keeps must be exactly what
    # the rulers store in their span groups when the pipeline runs them (the longest of
    # overlapping matches, ties within a ruler broken as spaCy sorts spans, the exact
    # ruler's spans first across the two).
    from spacy.util import filter_spans

    from annotator.nlp.suggester import LOWER_KEY, PATTERNS_KEY

    rules = [
        {"label": "LOCATION", "pattern": "Foo"},
        {"label": "PERSON", "pattern": "Foo"},
        {"label": "ORG", "pattern": "Foo", "id": "x"},
        {"label": "ORG", "pattern": "Foo Bar"},
        {"label": "PERSON", "pattern": "Bar Baz"},
        {"label": "LOCATION", "pattern": [{"LOWER": "bar"}, {"LOWER": "baz"}]},
        {"label": "ARMED_GROUP", "pattern": [{"IS_UPPER": True, "OP": "+"}]},
        {"label": "ORG", "pattern": [{"LOWER": "qux"}, {"LOWER": "qux", "OP": "?"}]},
        {"label": "PERSON", "pattern": [{"LOWER": "qux"}, {"LOWER": "quux"}]},
    ]
    patterns = read_patterns(_pattern_file(tmp_path, rules), LABELS)
    suggester = make_suggester(labels=LABELS, patterns=patterns)
    assert suggester.nlp.pipe_names == ["annotator_patterns", "annotator_patterns_lower"]
    texts = [
        "Foo Bar Baz and Foo. ABC DEF ghi Qux qux quux Foo Bar",
        "bar baz Foo, Foo Foo Bar Baz",
        "QUX QUUX Foo Bar Baz\n\nFoo",
        "Foo",
        "",
        "  \n",
        "no match here",
    ]
    expected = []
    for doc in suggester.nlp.pipe(texts):
        first = list(doc.spans[PATTERNS_KEY]) if PATTERNS_KEY in doc.spans else []
        second = list(doc.spans[LOWER_KEY]) if LOWER_KEY in doc.spans else []
        spans = filter_spans(first + second) if first and second else first or second
        expected.append([(s.start_char, s.end_char, s.label_) for s in spans])
    got = [
        [(start, end, label) for start, end, label, _ in rows]
        for rows, _, _ in suggester.run_packed(texts)
    ]
    assert got == expected
    assert [(start, end) for start, end, _ in got[3]] == [(0, 3)]  # one of three labels
    assert got[4] == got[5] == got[6] == []


@pytest.mark.parametrize(
    ("pattern", "lower", "orth"),
    [
        ([{"LOWER": {"IN": ["tank", "tanks"]}}], ["tank", "tanks"], None),
        ([{"LOWER": "barrel"}, {"LOWER": "bomb", "OP": "?"}], ["barrel bomb", "barrel"], None),
        ([{"lower": "anti"}, {"ORTH": "-"}, {"LOWER": "tank"}], ["anti - tank"], None),
        (
            [{"ORTH": {"IN": ["First", "Second"]}}, {"ORTH": "Army"}],
            None,
            ["First Army", "Second Army"],
        ),
        ([{"LOWER": "Tank"}], None, None),  # never matches lowercase text: left to spaCy
        ([{"LOWER": "x", "OP": "*"}], None, None),
        ([{"LOWER": {"REGEX": "^x"}}], None, None),
        ([{"LOWER": "x", "POS": "NOUN"}], None, None),
        ([{"LOWER": "pro-regime"}], None, None),  # spaCy splits it: not one token
    ],
)
def test_suggester_token_patterns_rewritten_as_phrases_only_when_exact(pattern, lower, orth):
    from annotator.nlp.suggester import _as_phrases

    nlp = spacy.blank("en")
    assert _as_phrases(nlp, pattern, "LOWER") == lower
    assert _as_phrases(nlp, pattern, "ORTH") == orth


@pytest.mark.parametrize(
    ("ner_listens", "left_out"), [(False, ("tok2vec", "tagger")), (True, ("tagger",))]
)
def test_suggester_runs_a_model_without_what_entities_do_not_need(tmp_path, ner_listens, left_out):
    folder = save_tagger_and_ner(tmp_path / "layered", ner_listens=ner_listens)
    suggester = make_suggester(
        labels=LABELS, model=load_pipeline(str(folder)), label_map=ONTONOTES_MAP
    )
    assert suggester.left_out == left_out
    assert "ner" in suggester.nlp.pipe_names and "tagger" not in suggester.nlp.pipe_names
    full = load_pipeline(str(folder))
    texts = [text for text, _ in TRAINING] + ["Shelling hit Idlib and Aleppo on Monday."]
    for text, result in zip(texts, suggester.run(texts), strict=True):
        doc = full(text)
        expected = [
            (e.start_char, e.end_char, ONTONOTES_MAP.get(e.label_, e.label_))
            for e in doc.ents
            if e.label_ in ONTONOTES_MAP or e.label_ in LABELS
        ]
        assert [(s.start, s.end, s.label) for s in result.suggestions] == expected


def test_suggester_keeps_the_tagger_for_patterns_that_need_it(tmp_path):
    folder = save_tagger_and_ner(tmp_path / "layered", ner_listens=False)
    path = _pattern_file(tmp_path, [{"label": "LOCATION", "pattern": [{"TAG": "PROPN"}]}])
    suggester = make_suggester(
        labels=LABELS, model=load_pipeline(str(folder)), patterns=read_patterns(path, LABELS)
    )
    assert suggester.left_out == ()
    [result] = suggester.run(["Rebels left Hama on Friday."])
    assert {s.source for s in result.suggestions} == {
        suggester.pattern_source,
        suggester.model_source,
    }


def test_suggester_trims_model_entities_to_their_tokens():
    """A pipeline's entity ending in a whitespace token ("Idleb Countryside\n\n") comes out
    without it; one of whitespace alone is left out."""
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [
            {
                "label": "GPE",
                "pattern": [{"LOWER": "idleb"}, {"LOWER": "countryside"}, {"IS_SPACE": True}],
            },
            {"label": "GPE", "pattern": [{"IS_SPACE": True}, {"LOWER": "hama"}]},
            {"label": "GPE", "pattern": [{"TEXT": "\n\n\n"}]},
        ]
    )
    suggester = make_suggester(labels=["LOCATION"], model=nlp, label_map={"GPE": "LOCATION"})
    text = "Shelling in Idleb Countryside\n\nThen \n\n\n Hama too."
    [result] = suggester.run([text])
    found = sorted((s.start, s.end) for s in result.suggestions)
    assert [text[a:b] for a, b in found] == ["Idleb Countryside", "Hama"]
    assert all(text[a:b] == text[a:b].strip() for a, b in found)
