"""spaCy pipelines the tests build and save with nlp.to_disk() (nothing can be downloaded)."""

from __future__ import annotations

import random
from pathlib import Path

# A rule-based stand-in for a model: predicts OntoNotes labels, some of which the
# conflict scheme maps (GPE -> LOCATION) and some it does not know (NORP: dropped).
FAKE_MODEL_PATTERNS = [
    {"label": "GPE", "pattern": "Idlib"},
    {"label": "GPE", "pattern": "Aleppo"},
    {"label": "NORP", "pattern": "Syrian"},
    {"label": "NORP", "pattern": "Russian"},
    {"label": "PERSON", "pattern": "Bashar al-Assad"},
    {"label": "ORG", "pattern": "Human Rights Watch"},
]

# Sentences and their entities for a small statistical ner.
TRAINING = [
    ("Fighting went on in Idlib on Monday.", [("Idlib", "GPE"), ("Monday", "DATE")]),
    ("Syrian forces shelled Aleppo again.", [("Syrian", "NORP"), ("Aleppo", "GPE")]),
    ("Rebels left Hama on Friday.", [("Hama", "GPE"), ("Friday", "DATE")]),
    ("Russian jets struck Idlib overnight.", [("Russian", "NORP"), ("Idlib", "GPE")]),
    ("Aid reached Aleppo on Sunday.", [("Aleppo", "GPE"), ("Sunday", "DATE")]),
    ("Nothing happened in the village.", []),
]


def save_fake_model(folder: Path, name: str = "fake", version: str = "1.2.3") -> Path:
    """A blank English pipeline whose entity_ruler plays the model; saved to ``folder``."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(FAKE_MODEL_PATTERNS)
    nlp.meta["name"] = name
    nlp.meta["version"] = version
    folder.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(folder)
    return folder


def save_trained_ner(folder: Path, name: str = "mine", version: str = "0.0.1") -> Path:
    """A blank English pipeline with an ner trained (over-fitted) on TRAINING; saved."""
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    examples = []
    for text, entities in TRAINING:
        spans = [
            (text.index(word), text.index(word) + len(word), label) for word, label in entities
        ]
        examples.append(Example.from_dict(nlp.make_doc(text), {"entities": spans}))
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(40):
        rng.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.0)
    nlp.meta["name"] = name
    nlp.meta["version"] = version
    folder.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(folder)
    return folder
