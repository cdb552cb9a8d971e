"""Suggesting entity spans with spaCy: pattern rules and/or a pipeline, each span with its source."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.domain.errors import InputError
from annotator.domain.patterns import PatternSet
from annotator.domain.spans import Suggestion, unpack_offsets
from annotator.nlp.pipelines import blank_pipeline, pipeline_source, tokenizer_source

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# The pattern rulers write to these span groups, never to doc.ents, so that a model's own
# entities (doc.ents) and the pattern matches stay apart and each keeps its source. The
# second ruler matches the token patterns that are really case-insensitive phrases.
PATTERNS_KEY = "annotator_patterns"
LOWER_KEY = "annotator_patterns_lower"
PATTERNS_PIPE = "annotator_patterns"
LOWER_PIPE = "annotator_patterns_lower"
# A token pattern is rewritten as phrases only if it stands for at most this many.
MAX_PHRASES = 1024

# Token attributes that only a pipeline component can set; a pattern using one of them
# needs a pipeline that sets it (spaCy would fail on the first article otherwise).
_ANNOTATION_ATTRS = {
    "POS": "POS",
    "TAG": "TAG",
    "MORPH": "MORPH",
    "LEMMA": "LEMMA",
    "DEP": "DEP",
    "SENT_START": "SENT_START",
    "IS_SENT_START": "SENT_START",
}
# Components that never change tokens or entities: when suggesting, a model runs without
# them (unless a pattern needs what they set), e.g. en_core_web_sm's tagger, parser,
# attribute_ruler and lemmatizer, which take most of its time.
_NOT_FOR_ENTITIES = {
    "tagger",
    "morphologizer",
    "parser",
    "senter",
    "sentencizer",
    "attribute_ruler",
    "lemmatizer",
    "trainable_lemmatizer",
    "textcat",
    "textcat_multilabel",
    "spancat",
    "spancat_singlelabel",
    "entity_linker",
    "tok2vec",
}

# A suggestion as the store takes it: (start, end, label, source).
Row = tuple[int, int, str, str]


@dataclass(frozen=True)
class SuggestConfig:
    """What a project suggests with; JSON-serialisable (stored as the "suggest" setting)."""

    scheme: str = "conflict"  # scheme name or TOML path
    patterns: str | None = None  # pattern file; None = the scheme's own pattern file
    use_patterns: bool = True
    model: str | None = None  # installed package name or pipeline folder
    lang: str = "en"  # tokenizer language when there is no model

    def to_json(self) -> dict[str, Any]:
        """The config as a JSON object."""
        return {
            "scheme": self.scheme,
            "patterns": self.patterns,
            "use_patterns": self.use_patterns,
            "model": self.model,
            "lang": self.lang,
        }

    @classmethod
    def from_json(cls, value: Any) -> SuggestConfig:
        """The config stored as ``value``; missing or unknown keys fall back to defaults."""
        if not isinstance(value, dict):
            return cls()
        default = cls()

        def text(key: str, fallback: str | None) -> str | None:
            item = value.get(key, fallback)
            return item if isinstance(item, str) and item else fallback

        return cls(
            scheme=text("scheme", default.scheme) or default.scheme,
            patterns=text("patterns", None),
            use_patterns=bool(value.get("use_patterns", True)),
            model=text("model", None),
            lang=text("lang", default.lang) or default.lang,
        )


@dataclass
class SuggestResult:
    """What the suggester found in one text."""

    suggestions: list[Suggestion]  # each with its own .source
    tokens: list[tuple[int, int]]  # token (start, end) offsets, whitespace tokens left out
    dropped: Counter[str] = field(default_factory=Counter)  # model labels the scheme lacks


class Suggester:
    """A spaCy pipeline that suggests spans from pattern rules, a model, or both.

    ``sources`` names each source (patterns first). ``tokenizer_id`` names the tokenizer
    whose token offsets it returns. Model labels outside the scheme are mapped with
    ``label_map`` or dropped (and counted). Build it with ``make_suggester``.
    """

    def __init__(
        self,
        nlp: Language,
        *,
        pattern_source: str | None,
        model_source: str | None,
        labels: Collection[str],
        label_map: Mapping[str, str],
        tokenizer_id: str,
        model_labels: tuple[str, ...] = (),
        config: SuggestConfig | None = None,
        scheme: str = "",
        pattern_file: Path | None = None,
        left_out: tuple[str, ...] = (),
    ):
        self.nlp = nlp
        self.left_out = left_out  # model components disabled: they add nothing to entities
        self.scheme = scheme
        self.pattern_file = pattern_file
        self.pattern_source = pattern_source
        self.model_source = model_source
        self.sources: tuple[str, ...] = tuple(
            s for s in (pattern_source, model_source) if s is not None
        )
        self.tokenizer_id = tokenizer_id
        self.labels = tuple(labels)
        self.model_labels = model_labels
        self.config = config
        # The pattern rulers' matchers, run by run_packed itself (see _PatternMatch).
        self._matching = [
            _PatternMatch(nlp, name)
            for name in (PATTERNS_PIPE, LOWER_PIPE)
            if name in nlp.pipe_names
        ]
        # Model label -> scheme label; an explicit mapping wins over a same-named label.
        self._targets: dict[str, str] = {name: name for name in self.labels}
        self._targets.update(label_map)

    def __repr__(self) -> str:
        return f"Suggester(sources={self.sources!r}, tokenizer_id={self.tokenizer_id!r})"

    def label_for(self, model_label: str) -> str | None:
        """The scheme label a model label becomes, or None when it is dropped."""
        return self._targets.get(model_label)

    def run(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[SuggestResult]:
        """Suggestions (by start, end, label, source), token offsets and dropped model
        labels for each text, in order."""
        for rows, packed, dropped in self.run_packed(texts, batch_size):
            yield SuggestResult(
                suggestions=[
                    Suggestion(s, e, label, source) for s, e, label, source in sorted(rows)
                ],
                tokens=unpack_offsets(packed),
                dropped=dropped,
            )

    def run_packed(
        self, texts: Iterable[str], batch_size: int = 64
    ) -> Iterator[tuple[list[Row], bytes, Counter[str]]]:
        """Like run(), in the form the store takes: (start, end, label, source) rows, the
        offsets packed as domain.spans.pack_offsets does, and the dropped labels.

        The pipeline runs without its pattern rulers; their matchers are called here on
        each doc instead, and the matches are chosen as the rulers choose them (see
        _PatternMatch). Measured: the SpanRuler components' own Python (a Span object per
        match, sorting and filtering them, storing a span group that is read back) took
        as long as the rest of the pipeline, tokenizer included.
        """
        rulers = [matching.name for matching in self._matching]
        if len(self.nlp.pipe_names) > len(rulers):
            stream = self.nlp.pipe(
                ((text, text) for text in texts),
                as_tuples=True,
                batch_size=batch_size,
                disable=rulers,
            )
        else:  # nothing but the tokenizer before the rulers
            make_doc = self.nlp.make_doc
            stream = ((make_doc(text), text) for text in texts)
        model_source = self.model_source
        pattern_source = self.pattern_source
        matching = self._matching
        targets = self._targets
        while chunk := list(itertools.islice(stream, batch_size)):
            # Token offsets for the whole chunk at once (numpy's cost is per call), and
            # the character offsets of every pattern match looked up in one call.
            bounds = _chunk_bounds([doc for doc, _ in chunk], [text for _, text in chunk])
            found: list[tuple[list[Row], Counter[str], list[tuple[int, int, str]]]] = []
            start_tokens: list[int] = []
            end_tokens: list[int] = []
            for (doc, _), first in zip(chunk, bounds.first, strict=True):
                rows: list[Row] = []
                dropped: Counter[str] = Counter()
                if model_source is not None:
                    for ent in doc.ents:
                        label = ent.label_
                        target = targets.get(label)
                        if target is None:
                            dropped[label] += 1
                        else:
                            start, end = ent.start_char, ent.end_char
                            text_of = ent.text
                            if text_of[:1].isspace() or text_of[-1:].isspace():
                                trimmed = _trim_to_tokens(ent)
                                if trimmed is None:
                                    continue
                                start, end = trimmed
                            rows.append((start, end, target, model_source))
                merged: list[tuple[int, int, str]] = []
                if pattern_source is not None and matching:
                    chosen = [spans for ruler in matching if (spans := ruler.spans(doc))]
                    if len(chosen) > 1:
                        merged = _longest_first(chosen[0] + chosen[1])
                    elif chosen:
                        merged = chosen[0]
                    for start, end, _ in merged:
                        start_tokens.append(first + start)
                        end_tokens.append(first + end - 1)
                found.append((rows, dropped, merged))
            starts = bounds.starts[start_tokens].tolist() if start_tokens else []
            ends = bounds.ends[end_tokens].tolist() if end_tokens else []
            k = 0
            for (rows, dropped, merged), packed in zip(found, bounds.packed, strict=True):
                for _, _, label in merged:
                    rows.append((starts[k], ends[k], label, pattern_source))  # type: ignore[arg-type]
                    k += 1
                yield rows, packed, dropped

    def tokenize(self, text: str) -> list[tuple[int, int]]:
        """Token (start, end) character offsets of ``text``, whitespace tokens left out."""
        return unpack_offsets(self.tokenize_packed(text))

    def tokenize_packed(self, text: str) -> bytes:
        """tokenize(), packed as the Tokens table stores it."""
        return packed_offsets(self.nlp.make_doc(text), text)


def make_suggester(
    *,
    labels: Collection[str],
    patterns: PatternSet | None = None,
    model: Language | None = None,
    label_map: Mapping[str, str] | None = None,
    lang: str = "en",
    config: SuggestConfig | None = None,
    scheme: str = "",
) -> Suggester:
    """A Suggester from pattern rules (already read and checked against the scheme), a
    loaded pipeline, or both. Pattern rules spaCy refuses, or that need token attributes
    the pipeline does not set, raise InputError naming the file and line."""
    label_map = dict(label_map or {})
    if model is not None:
        source = pipeline_source(model)
        model_source: str | None = source
        if not any("doc.ents" in model.get_pipe_meta(name).assigns for name in model.pipe_names):
            raise InputError(
                f"pipeline {model_source} predicts no entities (components: "
                f"{', '.join(model.pipe_names) or 'none'}); it needs an ner or entity_ruler"
            )
        nlp = model
        tokenizer_id = source
        model_labels = _entity_labels(model)
    else:
        nlp = blank_pipeline(lang)
        model_source = None
        tokenizer_id = tokenizer_source(lang)
        model_labels = ()
    pattern_source = None
    needed: set[str] = set()
    if patterns is not None:
        needed = _check_token_patterns(nlp, patterns)
    left_out = _leave_out_unneeded(nlp) if model is not None and not needed else []
    if patterns is not None:
        _add_rulers(nlp, patterns)
        pattern_source = patterns.source
    return Suggester(
        nlp,
        pattern_source=pattern_source,
        model_source=model_source,
        labels=labels,
        label_map=label_map,
        tokenizer_id=tokenizer_id,
        model_labels=model_labels,
        config=config,
        scheme=scheme,
        pattern_file=patterns.path if patterns is not None else None,
        left_out=tuple(left_out),
    )


def _add_rulers(nlp: Language, patterns: PatternSet) -> None:
    """Add the span rulers that match ``patterns`` to the end of ``nlp``.

    Why two: spaCy's Matcher costs time per pattern and token (measured: ~200 ns, so the
    44 token patterns of the conflict scheme took 3.7 ms for a 144-token article), while
    a PhraseMatcher costs about the same for 10 phrases or 10,000. Token patterns that
    only compare lowercase text (``{"LOWER": ...}``, with ``IN`` lists and ``?``) are
    therefore rewritten as the phrases they stand for and matched by a PhraseMatcher on
    LOWER (and those that only compare exact text join the phrase patterns on ORTH). The matches of both rulers are merged longest first, as one ruler would.
    """
    from spacy.pipeline import SpanRuler

    exact: list[dict[str, Any]] = []
    lower: list[dict[str, Any]] = []
    for rule in patterns.rules:
        entry = rule.as_spacy()
        if isinstance(rule.pattern, str):
            exact.append(entry)
        elif (phrases := _as_phrases(nlp, rule.pattern, "LOWER")) is not None:
            lower.extend({**entry, "pattern": phrase} for phrase in phrases)
        elif (phrases := _as_phrases(nlp, rule.pattern, "ORTH")) is not None:
            exact.extend({**entry, "pattern": phrase} for phrase in phrases)
        else:
            exact.append(entry)
    for name, key, attr, entries in (
        (PATTERNS_PIPE, PATTERNS_KEY, None, exact),
        (LOWER_PIPE, LOWER_KEY, "LOWER", lower),
    ):
        if not entries:
            continue
        ruler = nlp.add_pipe(
            "span_ruler",
            name=name,
            last=True,
            config={
                "spans_key": key,
                "annotate_ents": False,
                "overwrite": True,
                "phrase_matcher_attr": attr,
                # Longest match first, like the EntityRuler: no overlaps within one source.
                "spans_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
                "validate": False,  # checked rule by rule, with line numbers
            },
        )
        # spaCy types add_pipe's result as any pipe; this factory makes a SpanRuler.
        assert isinstance(ruler, SpanRuler)
        ruler.add_patterns(entries)


def _as_phrases(nlp: Language, pattern: list[dict[str, Any]], attr: str) -> list[str] | None:
    """The phrases a token pattern matches exactly, if it compares nothing but the text of
    each token (``attr`` LOWER: lowercase text; ORTH: exact text) with a value or an IN
    list, optional with "?"; else None. A text without case ("-", "2") reads the same
    under either attribute."""
    choices: list[list[str | None]] = []
    for token in pattern:
        keys = {str(key).upper(): value for key, value in token.items()}
        op = keys.pop("OP", None)
        if op not in (None, "?") or len(keys) != 1:
            return None
        [(key, value)] = keys.items()
        if isinstance(value, str):
            options: list[str | None] = [value]
        elif isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
            options = list(value["IN"])
        else:
            return None
        for option in options:
            if not isinstance(option, str) or not option or any(c.isspace() for c in option):
                return None
            caseless = option.lower() == option.upper()
            if attr == "LOWER" and not (key == "LOWER" and option == option.lower() or caseless):
                return None
            if attr == "ORTH" and key not in ("ORTH", "TEXT") and not (key == "LOWER" and caseless):
                return None
        if op == "?":
            options.append(None)
        choices.append(options)
    if math.prod(len(options) for options in choices) > MAX_PHRASES:
        return None
    phrases = []
    for combination in itertools.product(*choices):
        words = [word for word in combination if word is not None]
        if not words:
            continue
        phrase = " ".join(words)
        # The phrase must come back as exactly these tokens, or it would match other text.
        if [t.text for t in nlp.make_doc(phrase)] != words:
            return None
        phrases.append(phrase)
    return phrases


def _trim_to_tokens(span: Any) -> tuple[int, int] | None:
    """A model's entity without the whitespace tokens at its ends ("Idleb Countryside\n\n"
    from a real pipeline): the offsets of its first and last tokens with text, or None
    when it has none. spaCy cannot train on spans that begin or end with whitespace."""
    tokens = [token for token in span if not token.is_space and token.text.strip()]
    if not tokens:
        return None
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


class _PatternMatch:
    """What a pattern ruler of ours (a SpanRuler with the first-longest filter, writing a
    span group) finds in a doc, computed from its matchers without building Span objects:
    (start token, end token, label) in the order of the span group.

    The ruler keeps the distinct (start, end, label, id) matches, in the order spaCy
    sorts such Spans (start, end, then the hashes of label and id), and keeps the first
    longest of overlapping ones; this does the same with plain tuples.
    """

    def __init__(self, nlp: Language, name: str):
        from spacy.pipeline import SpanRuler

        ruler = nlp.get_pipe(name)
        assert isinstance(ruler, SpanRuler)  # _add_rulers adds SpanRulers by these names
        self.name = name
        self.matchers = [m for m in (ruler.matcher, ruler.phrase_matcher) if len(m)]
        strings = nlp.vocab.strings
        # Match key -> (label hash, id hash, label), from the ruler's own key table (spaCy
        # 3.8: {key: {"label": ..., "id": ...}}).
        self.keys: dict[int, tuple[int, int, str]] = {
            key: (strings.add(entry["label"]), strings.add(entry["id"]), entry["label"])
            for key, entry in ruler._match_label_id_map.items()
        }

    def spans(self, doc: Doc) -> list[tuple[int, int, str]]:
        """The ruler's span group for ``doc``, as (start, end, label) token spans."""
        found: set[tuple[int, int, int]] = set()
        for matcher in self.matchers:
            for key, start, end in matcher(doc):
                if start != end:
                    found.add((start, end, key))
        if not found:
            return []
        keys = self.keys
        ordered = sorted(found, key=lambda m: (m[0], m[1], keys[m[2]][:2]))
        return _longest_first([(start, end, keys[key][2]) for start, end, key in ordered])


def _longest_first(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """spacy.util.filter_spans for (start, end, label) token spans: the longest (the first
    of equally long ones, by start) of overlapping spans, sorted by start."""
    if len(spans) < 2:
        return spans
    chosen = []
    taken: set[int] = set()
    for span in sorted(spans, key=lambda s: (s[1] - s[0], -s[0]), reverse=True):
        if span[0] not in taken and span[1] - 1 not in taken:
            chosen.append(span)
            taken.update(range(span[0], span[1]))
    chosen.sort(key=lambda s: s[0])
    return chosen


def _entity_labels(nlp: Language) -> tuple[str, ...]:
    """The entity labels the pipeline's entity components know, where they say."""
    found: set[str] = set()
    for name in nlp.pipe_names:
        if "doc.ents" in nlp.get_pipe_meta(name).assigns:
            found.update(getattr(nlp.get_pipe(name), "labels", ()) or ())
    return tuple(sorted(found))


def _leave_out_unneeded(nlp: Language) -> list[str]:
    """Disable the model's components that do not help find entities; return their names.

    Only components of the kinds in _NOT_FOR_ENTITIES are disabled, and a tok2vec (or
    transformer) only when no remaining component listens to it; anything else, custom
    components included, stays.
    """
    keep = set(nlp.pipe_names)
    for name in nlp.pipe_names:
        factory = nlp.get_pipe_meta(name).factory
        if factory in _NOT_FOR_ENTITIES and factory != "tok2vec":
            keep.discard(name)
    for name in nlp.pipe_names:
        if nlp.get_pipe_meta(name).factory in ("tok2vec", "transformer"):
            listeners = set(getattr(nlp.get_pipe(name), "listening_components", []) or [])
            if not listeners & keep:
                keep.discard(name)
    left_out = [name for name in nlp.pipe_names if name not in keep]
    for name in left_out:
        nlp.disable_pipe(name)
    return left_out


def _check_token_patterns(nlp: Language, patterns: PatternSet) -> set[str]:
    """Add each token pattern to a scratch Matcher so that spaCy's own checks run rule by
    rule (schema, operators, regular expressions) and a failure names its line. Returns
    the token attributes that patterns need a pipeline component to set (POS, ...)."""
    from spacy.matcher import Matcher

    matcher = Matcher(nlp.vocab, validate=True)
    needed: dict[str, int] = {}
    for rule in patterns.rules:
        if isinstance(rule.pattern, str):
            continue
        try:
            for token in rule.pattern:
                _compile_regexes(token)
            matcher.add(f"line{rule.line}", [rule.pattern])
        except Exception as exc:  # noqa: BLE001 - spaCy raises several types; one line each
            message = " ".join(str(exc).split())
            raise InputError(
                f"invalid token pattern ({message[:300]})", path=patterns.path, line=rule.line
            ) from None
        for token in rule.pattern:
            for key in token:
                attr = _ANNOTATION_ATTRS.get(str(key).upper())
                if attr is not None:
                    needed.setdefault(attr, rule.line)
    if needed:
        probe = nlp("A probe sentence, to see what the pipeline sets.")
        for attr, line in needed.items():
            if not probe.has_annotation(attr):
                raise InputError(
                    f"pattern uses {attr}, which this pipeline does not set (use --model "
                    f"with a pipeline that does, or match on TEXT/LOWER)",
                    path=patterns.path,
                    line=line,
                )
    return set(needed)


def _compile_regexes(value: Any) -> None:
    """Compile every REGEX in a token pattern, so a bad one fails here with its line."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).upper() == "REGEX" and isinstance(item, str):
                re.compile(item)
            else:
                _compile_regexes(item)
    elif isinstance(value, list):
        for item in value:
            _compile_regexes(item)


def _whitespace_table() -> Any:
    import numpy

    # Every character str.isspace() accepts lies below U+3001; the last entry (False)
    # stands for every character above, which packed_offsets() clamps to it.
    table = numpy.zeros(0x3002, dtype=bool)
    for code in range(0x3001):
        table[code] = chr(code).isspace()
    return table


_WHITESPACE: Any = None


def packed_offsets(doc: Doc, text: str) -> bytes:
    """The (start, end) offsets of the doc's tokens, whitespace tokens left out, as
    little-endian uint32 pairs (domain.spans.pack_offsets' format), computed in bulk."""
    return _chunk_bounds([doc], [text]).packed[0]


@dataclass
class _ChunkBounds:
    """Token offsets of a chunk of docs: ``starts`` and ``ends`` (numpy arrays) hold the
    start and end character offsets of every token of every doc, one doc after another
    (doc i's token j at ``first[i] + j``); ``packed`` holds each doc's packed_offsets."""

    starts: Any
    ends: Any
    first: list[int]
    packed: list[bytes]


def _chunk_bounds(docs: list[Doc], texts: list[str]) -> _ChunkBounds:
    """_ChunkBounds of ``docs`` (made from ``texts``), with a fixed number of numpy calls
    for the whole chunk.

    Why numpy: reading token.idx token by token cost about as much as the EntityRuler
    itself; and why a chunk at once: a dozen numpy calls per doc cost 15 % of the whole
    suggestion run (their cost is per call, and a doc has a few hundred tokens). A token
    is a whitespace token exactly when its first character is whitespace (spaCy splits
    whitespace runs off as tokens of their own).
    """
    global _WHITESPACE
    import numpy
    from spacy.attrs import IDX, SPACY

    sizes = [len(doc) for doc in docs]
    first = list(itertools.accumulate(sizes, initial=0))
    total = first.pop()
    if total == 0:
        empty = numpy.zeros(0, dtype="<i8")
        return _ChunkBounds(empty, empty, first, [b""] * len(docs))
    if _WHITESPACE is None:
        _WHITESPACE = _whitespace_table()
    cells = numpy.concatenate(
        [doc.to_array([IDX, SPACY]) for doc, size in zip(docs, sizes, strict=True) if size]
    ).astype("<i8")
    starts = cells[:, 0]
    # A token ends where the next begins, less the one space spaCy keeps as its trailing
    # whitespace; a doc's last token ends at the end of its text (less its trailing space).
    ends = numpy.empty_like(starts)
    numpy.subtract(starts[1:], cells[:-1, 1], out=ends[:-1])
    filled = [i for i, size in enumerate(sizes) if size]
    last = numpy.array([first[i] + sizes[i] - 1 for i in filled])
    ends[last] = numpy.array([len(texts[i]) for i in filled]) - cells[last, 1]
    # Each token's first character, found in the chunk's texts joined into one.
    text_start = list(itertools.accumulate((len(text) for text in texts), initial=0))
    where = starts + numpy.repeat(numpy.array(text_start[:-1]), sizes)
    joined = "".join(texts)
    if joined.isascii():  # one byte a character: a quarter of the UTF-32 copy
        codes = numpy.frombuffer(joined.encode("ascii"), dtype="u1")[where]
    else:
        codes = numpy.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        codes = numpy.minimum(codes[where], _WHITESPACE.size - 1)
    keep = ~_WHITESPACE[codes]
    pairs = numpy.empty((total, 2), dtype="<u4")
    pairs[:, 0] = starts
    pairs[:, 1] = ends
    kept = pairs[keep].tobytes()
    # Each doc's share of the kept pairs (8 bytes a pair).
    cut = [0, *numpy.cumsum(keep)[numpy.array(first[1:] + [total]) - 1].tolist()]
    for i, size in enumerate(sizes):
        if not size:  # an empty doc adds no pairs: the cumulative count stays
            cut[i + 1] = cut[i]
    packed = [kept[8 * a : 8 * b] for a, b in itertools.pairwise(cut)]
    return _ChunkBounds(starts, ends, first, packed)
