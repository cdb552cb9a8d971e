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


def save_tagger_and_ner(folder: Path, *, ner_listens: bool) -> Path:
    """tok2vec + tagger (listening to it) + ner (listening too, or with its own tok2vec),
    trained briefly on TRAINING: a small stand-in for en_core_web_sm's layout."""
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(0)
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe(
        "tagger", config={"model": {"@architectures": "spacy.Tagger.v2", "tok2vec": listener}}
    )
    if ner_listens:
        nlp.add_pipe(
            "ner",
            config={
                "model": {
                    "@architectures": "spacy.TransitionBasedParser.v2",
                    "state_type": "ner",
                    "extra_state_tokens": False,
                    "hidden_width": 64,
                    "maxout_pieces": 2,
                    "use_upper": True,
                    "tok2vec": listener,
                }
            },
        )
    else:
        nlp.add_pipe("ner")
    examples = []
    for text, entities in TRAINING:
        doc = nlp.make_doc(text)
        spans = [
            (text.index(word), text.index(word) + len(word), label) for word, label in entities
        ]
        tags = ["PROPN" if token.is_title else "X" for token in doc]
        examples.append(Example.from_dict(doc, {"entities": spans, "tags": tags}))
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(40):
        rng.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.0)
    nlp.meta["name"] = "layered"
    nlp.meta["version"] = "1.0.0"
    folder.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(folder)
    return folder
