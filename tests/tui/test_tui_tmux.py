"""The real `annotator annotate` in tmux: killed with SIGKILL mid-work, it loses nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.domain.spans import Origin
from tests.tui.conftest import stored

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """A detached tmux session running one command at a fixed size."""

    def __init__(self, command: str, width: int = 120, height: int = 40):
        self.name = f"annotator-test-{os.getpid()}-{time.monotonic_ns()}"
        # Each session on a server of its own (-L), started from this process's environment,
        # without what a server started earlier in the run carries. On the shared default
        # server, a session could start just as the server exited after the previous test's
        # last session ended ("server exited unexpectedly", seen in a CI run).
        self.tmux = ["tmux", "-L", self.name]
        # stderr must stay on the terminal: Textual draws there.
        subprocess.run(
            [
                *self.tmux,
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(width),
                "-y",
                str(height),
                f"exec {command}",
            ],
            check=True,
        )

    def screen(self) -> str:
        proc = subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return proc.stdout

    def wait_for(self, needle: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if needle in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared; screen:\n{self.screen()}")

    def press(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def pid(self) -> int:
        proc = subprocess.run(
            [*self.tmux, "list-panes", "-t", self.name, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(proc.stdout.split()[0])

    def kill_session(self) -> None:
        subprocess.run([*self.tmux, "kill-session", "-t", self.name], capture_output=True)


def _annotate(db: Path) -> str:
    return f"{sys.executable} -m annotator annotate --db {db} --annotator ana --no-suggest"


@pytest.mark.slow
def test_tui_sigkill_loses_nothing_that_was_on_screen(project):
    tmux = Tmux(_annotate(project))
    try:
        tmux.wait_for("Shelling in Idlib")
        tmux.wait_for("Idlib·LOCATION?")
        tmux.wait_for("finished 0/3")  # the database is open: edits are accepted from now
        steps = [
            (["Tab", "2"], "Idlib·ARMED_GROUP"),  # relabel the current suggestion
            (["Tab", "Delete"], "Thursday."),  # delete the DATE suggestion
            # Down keeps the visual column (tags count): from "Thursday" to "wounded".
            (["Down", *["Left"] * 6, "S-Right", "S-Right", "3"], "Defence·ORG"),
            (["Home", "Space"], "Assad·PERSON forces"),  # confirm PERSON (tag loses its "?")
        ]
        for keys, shows in steps:
            tmux.press(*keys)
            tmux.wait_for(shows)
        # The last keypress relabels "Syrian Civil Defence" as PERSON; killed at once, its
        # write may or may not land. Everything before it was on screen and must be stored.
        tmux.press("Tab", "Tab", "1")
        os.kill(tmux.pid(), signal.SIGKILL)
    finally:
        tmux.kill_session()

    status, spans = stored(project)[1]
    by_key = {s.key: s for s in spans}
    assert status == "in_progress"
    assert by_key[(21, 26, "ARMED_GROUP")].origin is Origin.EDITED
    assert (30, 38, "DATE") not in by_key
    last = by_key.get((44, 64, "ORG")) or by_key.get((44, 64, "PERSON"))
    assert last is not None and last.origin is Origin.MANUAL
    assert by_key[(0, 5, "PERSON")].origin is Origin.ACCEPTED
    last_label = last.label

    # Reopened, the article looks exactly as it did before the kill.
    again = Tmux(_annotate(project))
    try:
        screen = again.wait_for(f"Syrian Civil Defence·{last_label}")
        assert "Assad·PERSON forces" in screen
        assert "Thursday." in screen and "Thursday·DATE" not in screen
        again.press("q")
        end = time.monotonic() + 10
        while time.monotonic() < end and "Shelling" in again.screen():
            time.sleep(0.1)
    finally:
        again.kill_session()


@pytest.mark.slow
def test_tui_screens_use_the_projects_scheme_or_the_datas_labels(project, tmp_path):
    """`annotate` shows the scheme the project suggests with; `review` of data imported
    from another tool, with labels the default scheme lacks, shows that data's labels."""
    from annotator.nlp.suggester import SuggestConfig
    from annotator.services.suggesting import save_project_config
    from annotator.store.engine import open_store

    store = open_store(project)
    save_project_config(store, SuggestConfig(scheme="ontonotes"))
    store.dispose()
    tmux = Tmux(_annotate(project), width=120, height=40)
    try:
        screen = tmux.wait_for("NORP")  # the legend: OntoNotes labels, not conflict's
        assert "ARMED_GROUP" not in screen
    finally:
        tmux.kill_session()

    source = tmp_path / "two.jsonl"
    source.write_text(
        '{"text": "Lisa met Max in Madrid.", "label": [[0, 4, "PER"], [16, 22, "LOC"]]}\n',
        encoding="utf-8",
    )
    other = tmp_path / "other.jsonl"
    other.write_text(
        '{"text": "Lisa met Max in Madrid.", "label": [[0, 4, "PER"], [16, 22, "MISC"]]}\n',
        encoding="utf-8",
    )
    db = tmp_path / "imported.db"
    for path, who in ((source, "one"), (other, "two")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "annotator",
                "import",
                "--db",
                str(db),
                "--format",
                "doccano",
                "--annotator",
                who,
                str(path),
            ],
            check=True,
            capture_output=True,
        )
    review = Tmux(f"{sys.executable} -m annotator review --db {db} --reviewer rev")
    try:
        screen = review.wait_for("Madrid·")
        legend = review.wait_for("MISC")
        assert "1  LOC" in legend and "3  PER" in legend and "PERSON" not in legend, screen
    finally:
        review.kill_session()
    # A third annotator labelling that data gets the same labels on the same keys.
    third = Tmux(f"{sys.executable} -m annotator annotate --db {db} -a three --no-suggest")
    try:
        legend = third.wait_for("MISC")
        assert "1  LOC" in legend and "ARMED_GROUP" not in legend, legend
    finally:
        third.kill_session()


@pytest.mark.slow
def test_tui_an_edit_key_sent_the_instant_the_article_appears_is_applied(tmp_path):
    """As a person types: `A` (confirm all) within 50 ms of the title showing, on a fresh
    database each time. Every one must be applied and stored, 10 times out of 10."""
    from annotator.domain.spans import Span
    from annotator.store.engine import open_store
    from tests.tui.conftest import ARTICLE_ONE, add_article

    applied = 0
    for attempt in range(10):
        db = tmp_path / f"fresh{attempt}.db"
        store = open_store(db)
        add_article(
            store,
            ARTICLE_ONE,
            "Shelling in Idlib",
            [Span(0, 5, "PERSON"), Span(21, 26, "LOCATION")],
        )
        store.dispose()
        tmux = Tmux(_annotate(db))
        try:
            deadline = time.monotonic() + 20
            while "Shelling in Idlib" not in tmux.screen():
                assert time.monotonic() < deadline, tmux.screen()
                time.sleep(0.005)  # capture-pane itself takes a few ms
            tmux.press("A")
            shown = time.monotonic()
            tmux.wait_for("suggestion accepted", timeout=20)
            _quit(tmux)
        finally:
            tmux.kill_session()
        assert time.monotonic() - shown < 60
        origins = {s.origin for s in stored(db)[1][1]}
        applied += origins == {Origin.ACCEPTED}
    assert applied == 10


def _quit(tmux: Tmux) -> None:
    """Press `q` and wait (up to 20 s) for the program to end, its writes stored."""
    tmux.press("q")
    end = time.monotonic() + 20
    while time.monotonic() < end and _running(tmux):
        time.sleep(0.05)


def _running(tmux: Tmux) -> bool:
    proc = subprocess.run([*tmux.tmux, "has-session", "-t", tmux.name], capture_output=True)
    return proc.returncode == 0


@pytest.mark.slow
def test_tui_keys_typed_at_once_after_a_are_applied_in_the_order_typed(tmp_path):
    """`a`, then Tab Delete Tab Space in one burst, as fast as a terminal delivers them,
    while the next article is still opening. Tab used to be a priority binding, run by the
    app at once while Delete waited in the busy screen's queue: the keys ran as Tab Tab
    Delete Space, deleting the wrong span and confirming nothing. And when the first
    article was still being opened by the database (as on a busy machine), `a` waited and
    was replayed with nothing read ahead yet: Tab then ran on the finished article and
    Delete crashed the program (an edit with no open article)."""
    from annotator.domain.spans import Span
    from annotator.store.engine import open_store
    from tests.tui.conftest import ARTICLE_TWO, add_article

    db = tmp_path / "burst.db"
    store = open_store(db)
    add_article(store, ARTICLE_ONE_TEXT, "First one", [Span(0, 5, "PERSON")])
    second = add_article(
        store,
        ARTICLE_TWO,
        "Second one",
        [
            Span(0, 7, "ORG"),
            Span(23, 30, "LOCATION"),
            Span(32, 39, "ORG"),
            Span(60, 65, "LOCATION"),
        ],
    )
    store.dispose()
    log = tmp_path / "exit.log"
    # The pane outlives the program (for 60 s), so that a crash shows on its screen.
    tmux = Tmux(f"sh -c '{_annotate(db)}; echo exit status $? > {log}; sleep 60'")
    try:
        tmux.wait_for("First one")
        # On screen; perhaps not opened by the database yet (then `a` waits, and is replayed).
        tmux.wait_for("span 1/1")
        tmux.press("a", "Tab", "DC", "Tab", "Space")
        # Waited for in the database: the info line that says so may be cut at the
        # terminal's width, depending on how many keys had to wait.
        end = time.monotonic() + 30
        while time.monotonic() < end and not any(
            s.origin is Origin.ACCEPTED for s in stored(db).get(second, ("", []))[1]
        ):
            time.sleep(0.1)
        assert not log.exists(), f"the program ended: {log.read_text()}\n{tmux.screen()}"
        tmux.press("q")
        end = time.monotonic() + 20
        while time.monotonic() < end and not log.exists():
            time.sleep(0.05)
        assert log.read_text().split() == ["exit", "status", "0"]
    finally:
        tmux.kill_session()
    status, spans = stored(db)[second]
    # The cursor opens on the first span: Tab goes to the second, Delete removes it, Tab
    # goes to the third, Space confirms it.
    assert [(s.start, s.end, s.origin) for s in spans] == [
        (0, 7, Origin.SUGGESTED),
        (32, 39, Origin.ACCEPTED),
        (60, 65, Origin.SUGGESTED),
    ]
    assert status == "in_progress"


ARTICLE_ONE_TEXT = "Assad forces shelled Idlib on Thursday."
