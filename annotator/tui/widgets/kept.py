"""Widgets that answer the compositor with the lines they gave last time when nothing
in them changed.

On every frame Textual's compositor asks each widget whose clip meets the frame's
update box for all of its lines (a top-level bar's clip is the whole screen, so the bars
are asked on every key, and so is every chunk between the edited one and the info bar),
and then keeps only the rows that changed. Textual's line cache makes the lines cheap,
but the way to them is not: background colours from the ancestors, filters, a crop of
each line (0.04-0.1 ms a widget, measured on the annotation screen).
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Region
from textual.strip import Strip


class KeptLines:
    """Mixin for a Widget: ``render_lines`` returns the list it returned last time when
    it is asked for the same crop at the same size, Textual's line cache holds the very
    strips it held then for those rows, nothing is marked dirty and the line filters are
    the same. Every repaint Textual asks for (a refresh, a style or size change, a theme)
    marks lines dirty or empties that cache, so any of them makes the next call render."""

    _kept: tuple[Any, ...] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        cache = getattr(self, "_styles_cache", None)
        lines = getattr(cache, "_cache", None)
        dirty = getattr(cache, "_dirty_lines", None)
        if not isinstance(lines, dict) or not isinstance(dirty, set):
            # A Textual whose line cache is not this shape: always render.
            return super().render_lines(crop)  # type: ignore[misc]
        size = self.size  # type: ignore[attr-defined]
        filters = self.get_line_filters()  # type: ignore[attr-defined]
        kept = self._kept
        if kept is not None and not dirty:
            kept_crop, kept_size, kept_filters, sources, strips = kept
            if (
                kept_crop == crop
                and kept_size == size
                and kept_filters == filters
                and all(
                    lines.get(y) is source
                    for y, source in zip(crop.line_range, sources, strict=True)
                )
            ):
                return strips
        strips = super().render_lines(crop)  # type: ignore[misc]
        sources = [lines.get(y) for y in crop.line_range]
        # Rows drawn without the cache (Textual's BLANK widgets) are never kept.
        self._kept = None if None in sources else (crop, size, filters, sources, strips)
        return strips
