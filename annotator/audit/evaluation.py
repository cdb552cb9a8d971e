"""How good suggestions are: precision, recall and F1 of predicted spans against reference
spans, per label, exact and relaxed; and what annotators did with each suggestion
(accepted as is, relabelled, resized, deleted) and what they added that nothing suggested.

Pure functions over (start, end, label) keys; the caller reads them from the store.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotator.audit.spans import SpanKey, relaxed_matches

MEASURES = (
    "precision",
    "recall",
    "f1",
    "relaxed_precision",
    "relaxed_recall",
    "relaxed_f1",
)


@dataclass
class Scores:
    """Matches among ``predicted`` spans against ``reference`` spans."""

    matched: int = 0
    predicted: int = 0
    reference: int = 0

    @property
    def precision(self) -> float | None:
        """Matched share of the predicted spans (None when nothing was predicted)."""
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        """Matched share of the reference spans (None when the reference is empty)."""
        return self.matched / self.reference if self.reference else None

    @property
    def f1(self) -> float | None:
        """2 matched / (predicted + reference); None when both are empty."""
        total = self.predicted + self.reference
        return 2 * self.matched / total if total else None


@dataclass
class Evaluation:
    """One source against the reference: exact and relaxed scores per label and overall."""

    articles: int = 0
    exact: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    relaxed: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))

    def add(self, predicted: Iterable[SpanKey], reference: Iterable[SpanKey]) -> None:
        """Count one article: exact matches share start, end and label; relaxed matches
        are a largest one-to-one pairing of overlapping spans of the same label."""
        self.articles += 1
        predicted_keys = set(predicted)
        reference_keys = set(reference)
        by_label: dict[str, tuple[list[SpanKey], list[SpanKey]]] = defaultdict(lambda: ([], []))
        for key in predicted_keys:
            by_label[key[2]][0].append(key)
        for key in reference_keys:
            by_label[key[2]][1].append(key)
        for label, (mine, theirs) in by_label.items():
            exact = len(set(mine) & set(theirs))
            relaxed = relaxed_matches(sorted(mine), sorted(theirs)) if mine and theirs else 0
            for table, matched in ((self.exact, exact), (self.relaxed, relaxed)):
                scores = table[label]
                scores.matched += matched
                scores.predicted += len(mine)
                scores.reference += len(theirs)

    @property
    def labels(self) -> list[str]:
        """Every label seen on either side, sorted."""
        return sorted(self.exact)

    def total(self, relaxed: bool = False) -> Scores:
        """Scores summed over labels (micro average)."""
        table = self.relaxed if relaxed else self.exact
        return Scores(
            sum(s.matched for s in table.values()),
            sum(s.predicted for s in table.values()),
            sum(s.reference for s in table.values()),
        )

    def measures(self) -> dict[str, float | None]:
        """The overall measures by name (see MEASURES), as gates read them."""
        exact, relaxed = self.total(), self.total(relaxed=True)
        return {
            "precision": exact.precision,
            "recall": exact.recall,
            "f1": exact.f1,
            "relaxed_precision": relaxed.precision,
            "relaxed_recall": relaxed.recall,
            "relaxed_f1": relaxed.f1,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per label and a last "all" row: counts and the six measures."""
        result = []
        for label in [*self.labels, None]:
            exact = self.exact[label] if label is not None else self.total()
            relaxed = self.relaxed[label] if label is not None else self.total(relaxed=True)
            result.append(
                {
                    "label": label if label is not None else "all",
                    "reference": exact.reference,
                    "predicted": exact.predicted,
                    "matched": exact.matched,
                    "precision": exact.precision,
                    "recall": exact.recall,
                    "f1": exact.f1,
                    "relaxed_matched": relaxed.matched,
                    "relaxed_precision": relaxed.precision,
                    "relaxed_recall": relaxed.recall,
                    "relaxed_f1": relaxed.f1,
                }
            )
        return result


OUTCOMES = ("accepted", "edited_label", "edited_extent", "deleted")


@dataclass
class Acceptance:
    """What annotators did with suggestions, counted by (source, label) of the suggestion,
    and the spans they added by hand that no source had suggested, by label."""

    outcomes: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    unsuggested: Counter[str] = field(default_factory=Counter)
    annotations: int = 0

    def add(
        self, final: Sequence[tuple[int, int, str, str]], shown: Mapping[str, Iterable[SpanKey]]
    ) -> None:
        """Count one finished annotation: ``final`` its spans as (start, end, label,
        origin), ``shown`` the suggestions each source had made when it was opened.

        A suggestion is accepted when a final span has its start, end and label; edited
        (label) when one has its extent with another label; edited (extent) when one
        overlaps it; deleted otherwise. A span added by hand ("manual") that matches no
        source's suggestion exactly is counted as unsuggested."""
        self.annotations += 1
        keys = {(s, e, label) for s, e, label, _ in final}
        extents = {(s, e) for s, e, _, _ in final}
        ordered = sorted(final)
        suggested_keys: set[SpanKey] = set()
        for source, suggestions in shown.items():
            for key in set(suggestions):
                suggested_keys.add(key)
                start, end, label = key
                if key in keys:
                    outcome = "accepted"
                elif (start, end) in extents:
                    outcome = "edited_label"
                elif any(s < end and start < e for s, e, _, _ in ordered):
                    outcome = "edited_extent"
                else:
                    outcome = "deleted"
                self.outcomes[(source, label)][outcome] += 1
        for start, end, label, origin in final:
            if origin == "manual" and (start, end, label) not in suggested_keys:
                self.unsuggested[label] += 1

    def rows(self) -> list[dict[str, Any]]:
        """One row per source and label: counts of each outcome and the share accepted."""
        result = []
        for (source, label), counts in sorted(self.outcomes.items()):
            total = sum(counts.values())
            result.append(
                {
                    "source": source,
                    "label": label,
                    "suggested": total,
                    **{outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
                    "accepted_share": counts.get("accepted", 0) / total if total else None,
                }
            )
        return result

    def by_source(self) -> dict[str, dict[str, Any]]:
        """The outcomes summed over labels, per source, with the share accepted as is."""
        sums: dict[str, Counter[str]] = defaultdict(Counter)
        for (source, _), counts in self.outcomes.items():
            sums[source].update(counts)
        return {
            source: {
                "suggested": sum(counts.values()),
                **{outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
                "accepted_share": counts.get("accepted", 0) / sum(counts.values()),
            }
            for source, counts in sorted(sums.items())
        }
