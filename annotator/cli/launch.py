"""Starting the annotation screen, without typer: shared by `annotate`, `demo` and the
quick path that parses `annotator annotate` with argparse (see cli/quick.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from annotator.services.retraining import Retrainer
    from annotator.tui.app import AnnotatorApp

DEFAULT_DB = "annotator.db"


def missing_database(target: str) -> str | None:
    """The one-line error for a SQLite database ``target`` (a path or a sqlite:/// URL)
    that does not exist, or None. Only `import` and `demo` create a database; every other
    command says so instead of leaving an empty file behind."""
    from pathlib import Path

    if target.startswith("sqlite:///"):
        path = target[len("sqlite:///") :].split("?")[0]
    elif "://" in target or target in ("", ":memory:") or target.startswith("sqlite:"):
        return None
    else:
        path = target
    if not path or path == ":memory:" or Path(path).expanduser().exists():
        return None
    return f"no database at {path} (annotator import creates one)"


def require_database(target: str) -> None:
    """Raise InputError when ``target`` names a SQLite file that does not exist."""
    problem = missing_database(target)
    if problem:
        from annotator.domain.errors import InputError

        raise InputError(problem)


def failure_message(exc: BaseException) -> str | None:
    """The one line (without ``error:``) that a command ending with ``exc`` prints, made
    visible; None when ``exc`` is not something a user can meet (KeyboardInterrupt, exits).

    The one place where failures become messages, for typer's commands (cli.common) and the
    quick path of `annotate` alike: our own errors say what they are; database errors are
    named by store.engine (which database, and what happened: locked, read-only, full,
    damaged...); an OSError names its file; an unexpected error (a bug) is one line too,
    unless $ANNOTATOR_DEBUG is set, when it is raised with its traceback.
    """
    from annotator.domain.errors import AnnotatorError
    from annotator.domain.text import visible

    if not isinstance(exc, Exception):
        return None
    if isinstance(exc, AnnotatorError):
        return visible(str(exc))
    if type(exc).__module__.split(".")[0] in ("sqlalchemy", "sqlite3", "psycopg"):
        from annotator.store.engine import database_error_message

        message = database_error_message(exc)
        if message is not None:
            return visible(message)
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return visible(f"{exc.filename}: {reason}" if exc.filename else reason)
    if isinstance(exc, MemoryError):
        return "out of memory"
    if os.environ.get("ANNOTATOR_DEBUG"):
        return None
    detail = " ".join(str(exc).split())[:200]
    return visible(
        f"unexpected {type(exc).__name__}"
        + (f" ({detail})" if detail else "")
        + "; this is a bug in annotator (ANNOTATOR_DEBUG=1 shows where)"
    )


def run_annotation(
    target: str,
    annotator: str,
    scheme: str | None,
    suggest: bool,
    retrain_every: int | None = None,
    order: str = "queue",
) -> int:
    """Run the annotation app on database ``target``; returns its exit code (see
    annotation_app)."""
    screen = annotation_app(target, annotator, scheme, suggest, retrain_every, order)
    screen.run()
    say_farewell(screen)
    return screen.return_code or 0


def annotation_app(
    target: str,
    annotator: str,
    scheme: str | None,
    suggest: bool,
    retrain_every: int | None = None,
    order: str = "queue",
    retrainer: Retrainer | None = None,
) -> AnnotatorApp:
    """The annotation app on database ``target``, as `annotator annotate` runs it. With
    ``retrain_every`` N (or a ``retrainer`` given, e.g. by a test), a model is retrained in a
    helper process every N finished articles (services.retraining) and the screen follows
    its newest model; with ``order`` "uncertain" the unopened queue is ordered by
    disagreement between suggestion sources (services.ordering) in the database thread,
    before the first article opens, and again after each retraining."""
    from annotator.domain.errors import InputError
    from annotator.domain.ordering import ORDERS, QUEUE
    from annotator.domain.text import check_name
    from annotator.store.fastpath import first_article
    from annotator.tui.app import AnnotatorApp

    problem = check_name(annotator)
    if problem:
        raise InputError(problem)
    if order not in ORDERS:
        raise InputError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")
    require_database(target)
    labels = screen_scheme(target, scheme)
    if retrain_every is not None:
        from annotator.services.retraining import Retrainer

        retrainer = Retrainer(target, annotator, retrain_every, order=order)
    # With a retrainer (and suggestions on), the screen follows its newest model: an
    # unopened article is seeded only once that model has suggested it.
    follow = retrainer if suggest else None

    def open_session():
        from annotator.services.annotating import AnnotationSession
        from annotator.store.engine import open_store

        session = AnnotationSession(open_store(target), annotator, follow=follow)
        if order != QUEUE:
            from annotator.services.ordering import order_queue

            report = order_queue(session.store, annotator, order)
            if report is not None:
                session.store.notices.append(report.words())
        return session

    def open_nlp():
        from annotator.services.annotating import BackgroundSuggester

        return BackgroundSuggester(target, follow=follow)

    return AnnotatorApp(
        scheme=labels,
        open_session=open_session,
        open_nlp=open_nlp if suggest else None,
        # Ordered, the first article is the ordering's: the database thread opens it.
        first=first_article(target, annotator) if order == QUEUE else None,
        retrainer=retrainer,
    )


def say_farewell(app) -> None:
    """Print the app's closing error line, if it ended with one (one line: the terminal
    wraps it, nothing cuts it)."""
    import sys

    if app.farewell:
        print(app.farewell, file=sys.stderr)


def project_scheme(target: str) -> str | None:
    """The scheme the project suggests with (`annotator suggest --scheme`), if it has said.

    Read with the stdlib where it can: this is on the path to the first screen."""
    from annotator.store.fastpath import stored_setting

    known, value = stored_setting(target, "suggest")
    if not known:
        from annotator.store.engine import open_store
        from annotator.store.queue import get_setting

        store = open_store(target)
        try:
            with store.read() as session:
                value = get_setting(session, "suggest")
        finally:
            store.dispose()
    scheme = value.get("scheme") if isinstance(value, dict) else None
    return scheme if isinstance(scheme, str) and scheme else None


def data_labels(target: str) -> list[str]:
    """The labels of the finished annotations in ``target``, in alphabetical order (on
    SQLite, of a sample: see store.fastpath.done_labels)."""
    from annotator.store.fastpath import done_labels

    labels = done_labels(target)
    if labels is None:
        from annotator.store.engine import open_store
        from annotator.store.stats import done_label_counts

        store = open_store(target)
        try:
            with store.read() as session:
                labels = sorted(done_label_counts(session))
        finally:
            store.dispose()
    return labels


def screen_scheme(target: str, given: str | None):
    """The scheme the annotation and review screens use (see services.schemes.scheme_for);
    the stored labels are only counted when neither the user nor the project chose one."""
    from annotator.services.schemes import scheme_for

    project = None if given else project_scheme(target)
    used = data_labels(target) if not given and not project else []
    return scheme_for(given, project, used)
