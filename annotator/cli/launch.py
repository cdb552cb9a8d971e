"""Starting the annotation screen, without typer: shared by `annotate`, `demo` and the
quick path that parses `annotator annotate` with argparse (see cli/quick.py)."""

from __future__ import annotations

DEFAULT_DB = "annotator.db"


def run_annotation(target: str, annotator: str, scheme: str | None, suggest: bool) -> int:
    """Run the annotation app on database ``target``; returns its exit code."""
    from annotator.domain.errors import InputError
    from annotator.domain.text import check_name
    from annotator.services.schemes import find_scheme
    from annotator.store.fastpath import first_article
    from annotator.tui.app import AnnotatorApp

    problem = check_name(annotator)
    if problem:
        raise InputError(problem)
    labels = find_scheme(scheme)

    def open_session():
        from annotator.services.annotating import AnnotationSession
        from annotator.store.engine import open_store

        return AnnotationSession(open_store(target), annotator)

    def open_nlp():
        from annotator.services.annotating import BackgroundSuggester

        return BackgroundSuggester(target)

    screen = AnnotatorApp(
        scheme=labels,
        open_session=open_session,
        open_nlp=open_nlp if suggest else None,
        first=first_article(target, annotator),
    )
    screen.run()
    return screen.return_code or 0
