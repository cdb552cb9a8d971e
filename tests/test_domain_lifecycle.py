"""The annotation screen's article lifecycle, transition by transition, without Textual."""

from __future__ import annotations

from annotator.domain.lifecycle import Lifecycle, Phase, describe_unsaved
from annotator.domain.spans import Origin, Span, Status
from annotator.domain.workitem import LoadedArticle


def article(article_id: int, *spans: Span, title: str = "") -> LoadedArticle:
    return LoadedArticle(
        article_id=article_id,
        title=title or f"Article {article_id}",
        text="Assad forces shelled Idlib on Thursday.",
        source="test",
        annotation_id=None,
        status=Status.IN_PROGRESS,
        note="",
        spans=list(spans),
        has_suggestions=bool(spans),
        tokens=None,
    )


IDLIB = Span(21, 26, "LOCATION", Origin.SUGGESTED)


def test_lifecycle_keys_typed_during_preview_wait_and_replay_in_order():
    life = Lifecycle()
    life.preview(article(1, IDLIB))
    ran: list[str] = []
    assert not life.must_wait(is_edit=False)  # moving needs no database
    assert life.must_wait(is_edit=True)
    life.wait(lambda: ran.append("space"))
    # once an edit waits, a cursor move waits behind it (it changes what the edit does)
    assert life.must_wait(is_edit=False)
    life.wait(lambda: ran.append("right"))
    opened = life.opened(article(1, IDLIB))
    assert life.phase is Phase.OPEN and not opened.show and opened.dropped == 0
    for replay in opened.replay:
        replay()
    assert ran == ["space", "right"]
    assert not life.must_wait(is_edit=True) and life.accepts_edits


def test_lifecycle_keys_are_dropped_and_said_when_the_database_differs():
    life = Lifecycle()
    life.preview(article(1, IDLIB))
    life.wait(lambda: None)
    life.wait(lambda: None)
    opened = life.opened(article(1))  # someone removed the suggestion meanwhile
    assert opened.show and opened.replay == () and opened.dropped == 2
    assert "2 keys" in life.notice and "not applied" in life.notice
    life.key_pressed()
    assert life.notice == ""  # said until the next key


def test_lifecycle_failed_open_retries_the_same_article_and_keeps_waiting_keys():
    life = Lifecycle()
    life.preview(article(1))
    ticket = life.request_open()
    life.wait(lambda: None)
    assert life.failed(1, "the database is locked by another process")
    assert life.phase is Phase.FAILED and life.must_wait(is_edit=True)
    assert life.retry() == 1 and life.phase is Phase.PREVIEW
    assert not life.is_current(ticket) or life.request_open() != ticket
    assert len(life.opened(article(1)).replay) == 1


def test_lifecycle_answers_to_older_requests_are_ignored():
    life = Lifecycle()
    old = life.request_open()
    new = life.request_open()
    assert not life.is_current(old) and life.is_current(new)


def test_lifecycle_leave_shows_the_read_ahead_and_remembers_the_finished_article():
    life = Lifecycle()
    life.preview(article(1))
    life.opened(article(1))
    life.prefetched(1, article(2))
    left, ahead = life.leave()
    assert (left, ahead.article_id) == (1, 2)
    assert life.phase is Phase.PREVIEW and life.came_from == 1
    life.opened(article(2))
    assert life.came_from == 1 and not life.edited_here  # `u` now reopens article 1
    life.new_write(2, "+LOCATION")
    assert life.edited_here  # ... until an edit is made here


def test_lifecycle_leave_without_read_ahead_has_no_article_for_edits():
    life = Lifecycle()
    life.preview(article(1))
    life.opened(article(1))
    left, ahead = life.leave()
    assert left == 1 and ahead is None
    assert life.phase is Phase.STARTING and life.article_id is None
    assert life.must_wait(is_edit=True)


def test_lifecycle_read_ahead_of_another_article_is_not_kept():
    life = Lifecycle()
    life.preview(article(1))
    life.opened(article(1))
    life.prefetched(7, article(8))  # about an article no longer on screen
    assert life.ahead is None


def test_lifecycle_writes_are_unsaved_once_they_fail_or_hang():
    life = Lifecycle()
    life.preview(article(1))
    life.opened(article(1))
    first = life.new_write(1, "+LOCATION")
    second = life.new_write(1, "done", finishing=True)
    assert life.unsaved(1) == []
    life.write_started(first)
    assert life.unsaved(1, now=life.writes[first].started + 2.0)  # running for 2 s
    life.write_failing(first, "the database is locked by another process", 1)
    # the failing write and the one waiting behind it are both not saved
    assert [w.local_id for w in life.unsaved(1)] == [first, second]
    assert life.unsaved(2) == []
    assert life.write_stored(first, 41).what == "+LOCATION"
    assert life.event_ids[first] == 41 and life.unsaved() == []
    assert [w.local_id for w in life.not_stored()] == [second]
    lines = describe_unsaved(life.not_stored(), {1: "Shelling in Idlib"})
    assert lines == ["article #1 “Shelling in Idlib”: done"]


def test_lifecycle_queue_finished_drops_waiting_keys_with_a_notice():
    life = Lifecycle()
    life.wait(lambda: None)
    life.queue_finished()
    assert life.phase is Phase.EMPTY and life.waiting == [] and "queue is finished" in life.notice


def test_lifecycle_every_key_waits_after_a_finish_with_nothing_read_ahead_and_replays():
    life = Lifecycle()
    life.opened(article(1, IDLIB))
    life.leave()  # nothing read ahead: the finished article is still painted
    assert life.phase is Phase.STARTING and life.article_id is None
    # a cursor move would move the finished article's cursor: it waits too
    assert life.must_wait(is_edit=False) and life.must_wait(is_edit=True)
    ran: list[str] = []
    life.wait(lambda: ran.append("tab"))
    life.wait(lambda: ran.append("space"))
    opened = life.opened(article(2, IDLIB))  # typed for whatever opens next
    assert opened.show and opened.dropped == 0 and life.notice == ""
    for replay in opened.replay:
        replay()
    assert ran == ["tab", "space"]


def test_lifecycle_keys_typed_while_going_back_are_dropped_not_replayed():
    life = Lifecycle()
    life.opened(article(1, IDLIB))
    life.go_back()  # e.g. a refused write: the article is reloaded from the database
    assert life.must_wait(is_edit=False)
    life.wait(lambda: None)
    opened = life.opened(article(1))
    assert opened.replay == () and opened.dropped == 1 and "not applied" in life.notice
