"""A generated NER task with a hidden truth: short conflict-news articles built from
templates and word lists, with the true entities of each (conflict scheme labels). Used by
the training tests and by benchmarks/bench_loop.py."""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST = "Ahmad Omar Khaled Yusuf Hassan Samir Karim Nabil Rami Fadi Walid Ziad Maher Tarek".split()
LAST = "Haddad Khoury Mansour Nasser Saleh Darwish Hamdan Jaber Issa Rahal Qasim Barakat".split()
PLACES = (
    "Idlib Hama Aleppo Saraqib Ariha Atarib Kafranbel Sarmada Maarat Jisr Darkush Harem "
    "Salqin Binnish Taftanaz Khan Sheikhoun Latamina Kafr Zita Morek Suran Tal Rifaat "
    "Manbij Azaz Afrin Jarablus Raqqa Tabqa Deir Mayadin"
).split()
GROUPS = [
    "the Free Army",
    "Jaish al-Izza",
    "the Levant Front",
    "Ahrar al-Sham",
    "the Tiger Forces",
    "the Fifth Corps",
    "the National Front",
    "Faylaq al-Rahman",
]
WEAPONS = ["artillery", "barrel bombs", "mortars", "rockets", "drones", "cluster munitions"]
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
FILLER = (
    "Residents said the situation remained tense. Aid groups called for calm. "
    "Schools in the area stayed closed. Prices of bread rose again this week."
).split(". ")

# {slot} -> label; every template names its entities through slots.
TEMPLATES = [
    ("{W} struck {L} on {D}, local sources said.", None),
    ("Fighters of {G} entered {L} after heavy clashes.", None),
    ("{P}, a commander of {G}, said his men held {L}.", None),
    ("Residents of {L} reported {W} fire from positions near {L}.", None),
    ("On {D}, {G} said it had shot down two {W2}.", None),
    ("{P} told reporters in {L} that talks would resume.", None),
    ("{O} in {L} said {P} had been detained.", None),
    ("Aid from {O} reached {L} on {D}.", None),
]
LABEL_OF = {
    "P": "PERSON",
    "L": "LOCATION",
    "G": "ARMED_GROUP",
    "O": "ORG",
    "W": "WEAPON",
    "W2": "WEAPON",
    "D": "DATE",
}


@dataclass
class TaskArticle:
    """One generated article and its true entities (start, end, label)."""

    title: str
    text: str
    truth: list[tuple[int, int, str]]


def _fill(slot: str, rng: random.Random) -> str:
    if slot == "P":
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if slot == "L":
        return rng.choice(PLACES)
    if slot == "G":
        if rng.random() < 0.3:
            # A place name inside a group's name: the same word is LOCATION elsewhere.
            return f"the {rng.choice(PLACES)} {rng.choice(['Brigade', 'Military Council'])}"
        return rng.choice(GROUPS)
    if slot == "O":
        # "the Idlib Local Council" (ORG) beside "the Idlib Military Council" (ARMED_GROUP).
        return f"the {rng.choice(PLACES)} {rng.choice(['Local Council', 'Health Directorate'])}"
    if slot == "W":
        return rng.choice(WEAPONS)
    if slot == "W2":
        return rng.choice(["drones", "rockets"])
    return rng.choice(DAYS)


def make_article(rng: random.Random, index: int, sentences: int = 6) -> TaskArticle:
    """An article of ``sentences`` template sentences (and a filler line now and then)."""
    parts: list[str] = []
    truth: list[tuple[int, int, str]] = []
    offset = 0
    title = f"Report {index}: fighting continues"
    text = title + "\n\n"
    offset = len(text)
    for _ in range(sentences):
        template, _ = rng.choice(TEMPLATES)
        sentence = ""
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            slot, _, rest = after.partition("}")
            sentence += before
            value = _fill(slot, rng)
            start = offset + len(sentence)
            # "the Free Army": the article is part of the name, as annotators mark it here.
            truth.append((start, start + len(value), LABEL_OF[slot]))
            sentence += value
        sentence += rest
        if sentence[0].islower():
            sentence = sentence[0].upper() + sentence[1:]
        if rng.random() < 0.3:
            sentence += " " + rng.choice(FILLER).strip().rstrip(".") + "."
        sentence += " "
        parts.append(sentence)
        offset += len(sentence)
    text += "".join(parts).rstrip()
    truth = [t for t in truth if t[1] <= len(text)]
    return TaskArticle(title=title, text=text, truth=truth)


def make_task(count: int, seed: int = 0, sentences: int = 6) -> list[TaskArticle]:
    """``count`` distinct generated articles (the same for the same seed)."""
    rng = random.Random(seed)
    return [make_article(rng, i, sentences) for i in range(count)]
