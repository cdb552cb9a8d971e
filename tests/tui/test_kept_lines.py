"""KeptLines: a widget answers the compositor with its last lines only while nothing in
it changed."""

from __future__ import annotations

from textual.app import App
from textual.geometry import Region
from textual.widgets import Static

from annotator.tui.widgets.kept import KeptLines


class KeptStatic(KeptLines, Static):
    pass


class Two(App):
    def compose(self):
        yield KeptStatic("first words", id="kept")
        yield Static("plain", id="plain")


def text_of(strips) -> list[str]:
    return ["".join(segment.text for segment in strip) for strip in strips]


async def test_kept_lines_are_reused_until_the_widget_changes():
    app = Two()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        kept = app.query_one("#kept", KeptStatic)
        whole = Region(0, 0, kept.size.width, kept.size.height)
        first = kept.render_lines(whole)
        assert text_of(first)[0].startswith("first words")
        assert kept.render_lines(whole) is first  # nothing changed: the same lines
        half = Region(0, 0, 5, kept.size.height)
        assert text_of(kept.render_lines(half))[0] == "first"  # another crop: drawn

        kept.update("second words")
        again = kept.render_lines(whole)
        assert again is not first
        assert text_of(again)[0].startswith("second words")
        assert kept.render_lines(whole) is again

        kept.styles.background = "red"  # a style change empties Textual's line cache
        await pilot.pause()
        restyled = kept.render_lines(whole)
        assert restyled is not again and restyled != again
        assert text_of(restyled)[0].startswith("second words")

        # and the screen shows the current text
        await pilot.pause()
        shown = text_of(app.screen._compositor.render_strips())
        assert shown[0].startswith("second words")
