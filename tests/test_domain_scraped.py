"""Scraped news: furniture repeated across one import is trimmed (and kept in meta), a line
of one article only never is, and the real headline is found."""

from __future__ import annotations

import json
import random

import pytest

from annotator.domain.records import ArticleRecord
from annotator.domain.scraped import (
    TITLE_LIMIT,
    GroupCleaner,
    cap_title,
    detect_title,
    has_sentence_shape,
    learn_furniture,
    trim_furniture,
)
from annotator.domain.text import first_nonempty_line, normalise_text
from annotator.services.importing import import_articles
from annotator.store.models import Article
from tests.conftest import SEEDS, need

PLACES = ["Idlib", "Aleppo", "Hama", "Homs", "Raqqa", "Daraa", "Tartus", "Latakia"]
DISCLAIMER = "This article was edited by The Example Observer. Views are the author's own."


def furnished_corpus(n: int, seed: int = 0) -> list[str]:
    """n articles as a news site saves them: a logo line, the headline twice (page title
    and heading) around a standfirst, a body of their own, a disclaimer and a share form;
    every third article has a one-off line of its own at the end."""
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        place = rng.choice(PLACES)
        head = f"Clashes near {place} leave {i + 3} fighters dead, monitor says"
        body = "\n\n".join(
            f"Paragraph {k} of report {i}: shelling hit {rng.choice(PLACES)} on day {k}."
            for k in range(3)
        )
        extra = f"\n\nCorrection {i}: an earlier version misspelt {place}." if i % 3 == 0 else ""
        texts.append(
            f"Logo Wide\n\n{head}\n\nA standfirst of its own, number {i}.\n{head}\n\n{body}"
            f"{extra}\n\n\n{DISCLAIMER}\n\nSender's Name:\nSender's Email:"
        )
    return texts


def test_scraped_generated_furniture_is_trimmed_and_headline_found():
    texts = furnished_corpus(12)
    furniture = learn_furniture(texts)
    for i, text in enumerate(texts):
        title = detect_title(text, furniture)
        assert title.startswith("Clashes near ") and title.endswith("monitor says")
        trimmed = trim_furniture(text, furniture, title)
        removed = [line for _, line in trimmed.removed]
        assert removed == [
            "Logo Wide",
            title,
            DISCLAIMER,
            "Sender's Name:",
            "Sender's Email:",
        ]
        assert [n for n, _ in trimmed.removed][:2] == [1, 6]
        # Every other line is still there, in order, and paragraphs keep their breaks.
        numbers = {n for n, _ in trimmed.removed}
        kept = [line for n, line in enumerate(text.split("\n"), 1) if n not in numbers]
        assert [line for line in trimmed.text.split("\n") if line] == [k for k in kept if k]
        assert trimmed.text.startswith(f"{title}\n\nA standfirst of its own, number {i}.\n\n")
        assert "Logo Wide" not in trimmed.text and "Sender" not in trimmed.text
        assert not trimmed.text.endswith("\n") and "\n\n\n" not in trimmed.text
        if i % 3 == 0:
            assert f"Correction {i}:" in trimmed.text


def test_scraped_line_of_one_article_is_never_furniture():
    texts = furnished_corpus(9)
    texts.append("Logo Wide\n\nA unique line.\n\nShare this article\n\nAnother unique line.")
    furniture = learn_furniture(texts)
    assert furniture.is_furniture("Logo Wide")
    assert not furniture.is_furniture("Share this article")  # one article only
    trimmed = trim_furniture(texts[-1], furniture)
    assert trimmed.text == "A unique line.\n\nShare this article\n\nAnother unique line."
    # Nothing repeats: nothing is trimmed.
    alone = ["Logo Wide\nOne.", "Other text\nTwo."]
    assert learn_furniture(alone).repeated == frozenset()
    assert trim_furniture(alone[0], learn_furniture(alone)).removed == []


def test_scraped_partly_repeated_line_is_kept():
    """A paragraph with one sentence of its own stays, though its other sentences recur."""
    texts = [f"Report {i} says a lot.\nSaid a source. Report {i} is unique." for i in range(4)]
    texts += ["Said a source.", "Said a source."]
    furniture = learn_furniture(texts)
    assert furniture.is_furniture("Said a source.")
    assert not furniture.is_furniture("Said a source. Report 1 is unique.")


def test_scraped_article_of_nothing_but_furniture_is_kept_whole():
    texts = ["Logo Wide\nMenu", "Logo Wide\nMenu", "Logo Wide\nMenu\nNews of its own."]
    furniture = learn_furniture(texts)
    assert trim_furniture(texts[0], furniture).text == texts[0]
    assert trim_furniture(texts[2], furniture).text == "News of its own."


def test_scraped_share_of_articles_needed_grows_with_the_group():
    texts = [f"Article {i} has a body of its own." for i in range(400)]
    texts[0] += "\nNo one was hurt."
    texts[1] += "\nNo one was hurt."
    assert learn_furniture(texts).min_articles == 4
    assert not learn_furniture(texts).is_furniture("No one was hurt.")


@pytest.mark.parametrize(
    ("line", "shape"),
    [
        ("Logo Wide", False),
        ("|", False),
        ("Sender's Name:", False),
        ("Twitter Post", False),
        ("Rebels lose ground in Idlib", True),
        ("Most Violent in Three Years: Armed Factions Attack", True),
        ("2019-05-04 12:00 UTC", False),
    ],
)
def test_scraped_sentence_shape(line, shape):
    assert has_sentence_shape(line) is shape


def test_scraped_title_capped_at_a_word():
    long = "word " * 60
    title = cap_title(long)
    assert len(title) <= TITLE_LIMIT and title.endswith("…") and " …" not in title
    assert cap_title("Short first sentence. " + "more " * 40) == "Short first sentence."
    assert cap_title("Fits.") == "Fits."


def test_scraped_cleaner_keeps_given_titles_and_records_what_it_trimmed():
    texts = furnished_corpus(6)
    cleaner = GroupCleaner(sample=4)
    records = [ArticleRecord(text=t, title="Given" if i == 5 else "") for i, t in enumerate(texts)]
    out = []
    for record in records:
        out.extend(cleaner.feed(record, "g"))
    out.extend(cleaner.flush())
    assert [r.text for r in out] != texts and len(out) == 6
    assert out[5].title == "Given"  # a title from the data always wins
    assert out[0].title.startswith("Clashes near")
    assert out[0].meta["trimmed"][0] == {"line": 1, "text": "Logo Wide"}
    assert cleaner.trimmed_articles == 6
    # With keep, titles are still found but the text stays as it came.
    keeper = GroupCleaner(keep=True, sample=4)
    kept = []
    for t in texts:
        kept.extend(keeper.feed(ArticleRecord(text=t), "g"))
    kept.extend(keeper.flush())
    assert [r.text for r in kept] == texts and kept[0].title.startswith("Clashes near")
    assert keeper.trimmed_lines == 0 and all("trimmed" not in r.meta for r in kept)


def _stored(store) -> list[Article]:
    from sqlmodel import select

    with store.read() as session:
        return list(session.exec(select(Article).order_by(Article.id)))


def test_scraped_import_trims_txt_folder_and_jsonl_file(store, tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    texts = furnished_corpus(5)
    for i, text in enumerate(texts):
        (folder / f"{i}.txt").write_text(text)
    with (tmp_path / "feed.jsonl").open("w") as out:
        for i, text in enumerate(furnished_corpus(4, seed=1)):
            out.write(json.dumps({"text": text + f"\nline {i}", "title": f"T{i}"}) + "\n")
    report = import_articles(store, [folder, tmp_path / "feed.jsonl"])
    assert report.imported == 9
    assert report.trimmed_articles == 9 and report.trimmed_lines == 5 * 5 + 4 * 4
    stored = _stored(store)
    assert all("Logo Wide" not in a.text for a in stored)
    assert stored[0].title.startswith("Clashes near")
    assert [a.title for a in stored[5:]] == ["T0", "T1", "T2", "T3"]
    # The JSONL title is not the text's headline: both copies of the headline stay.
    assert stored[5].text.count(first_nonempty_line(stored[5].text)) == 2
    assert stored[0].meta["trimmed"][0] == {"line": 1, "text": "Logo Wide"}


def test_scraped_import_keep_boilerplate(store, tmp_path):
    for i, text in enumerate(furnished_corpus(3)):
        (tmp_path / f"{i}.txt").write_text(text)
    report = import_articles(store, [tmp_path], keep_boilerplate=True)
    assert report.trimmed_lines == 0
    stored = _stored(store)
    assert [a.text for a in stored] == furnished_corpus(3)
    assert stored[0].title.startswith("Clashes near")


SEED_TITLES = {
    "000_1b431e8348922f96.txt": "Rebels Lose Military Gains Amid Escalated Fighting in Southern Idleb",
    "001_4a25e5c496d19e5b.txt": "Assad’s Forces Trying to Regain What They Lost in Idleb Countryside",
    "002_8260a73b69ca5e45.txt": "Syrian rebels launch counteroffensive against regime in Idlib",
    "003_1afa86e689e7bbb9.txt": "Most Violent in Three Years: Armed Factions Attack Syrian Army in Idleb Countryside",
}


def test_scraped_seeds_open_with_their_headlines_and_without_furniture(store):
    seeds = need(SEEDS)
    files = sorted(seeds.glob("*.txt"))
    report = import_articles(store, [seeds])
    stored = {a.source: a for a in _stored(store)}
    for name, title in SEED_TITLES.items():
        if name in stored:
            assert stored[name].title == title
    for path in files:
        article = stored[path.name]
        original = normalise_text(path.read_text())
        assert len(article.title) <= TITLE_LIMIT
        assert article.title != "Logo Wide"
        for bad in ("Logo Wide", "Helpful keywords", "translated and edited by"):
            assert bad not in article.text
        # What was trimmed is recorded, and every other line is the original's.
        trimmed = {entry["line"] for entry in article.meta.get("trimmed", [])}
        kept = [
            line
            for n, line in enumerate(original.split("\n"), 1)
            if line.strip() and n not in trimmed
        ]
        assert [line for line in article.text.split("\n") if line.strip()] == kept
    assert report.trimmed_articles >= 3
