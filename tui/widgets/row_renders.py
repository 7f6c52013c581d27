"""Partial screen updates that render only the rows they repaint.

For a partial update Textual 8 asks every widget whose clip touches the update for all of
its lines (`Compositor._get_renders`: a widget inside its clip renders whole), then keeps
the rows the update repaints. Most widgets' clip is their container's, so a one-cell change
of the Monitor's chart renders every line of every widget on screen: about 4 ms of CPU per
frame, most of the Monitor's cost while jobs train. `render_rows_only` makes it ask only the
widgets the update touches, each for the rows of the update, and none behind a widget that
covers the whole update (the chart's containers, for a cell of the chart); the cells sent to
the terminal are the same.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip

_textual_get_renders = Compositor._get_renders


def _get_renders(self: Any, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
    """`Compositor._get_renders`, each widget cropped to the rows of `crop` (full width within its clip)."""
    if crop is None or crop == self.size.region:
        yield from _textual_get_renders(self, crop)
        return
    rows = Region(0, crop.y, self.size.width, crop.height)
    overlaps = crop.overlaps
    for widget, (region, clip) in self.visible_widgets.items():
        visible = region.intersection(clip)
        if not overlaps(visible):
            continue  # beside the update (a list left of a chart cell): none of its cells are sent
        shown = visible.intersection(rows)
        if shown.width and shown.height:
            # The caller draws `region ∩ clip`: the clip narrowed to these rows makes it `shown`.
            yield region, shown, widget.render_lines(
                Region(shown.x - region.x, shown.y - region.y, shown.width, shown.height)
            )
            if shown.contains_region(crop):
                return  # front to back: it covers the whole update, so nothing behind it shows there


def render_rows_only() -> bool:
    """Install the row-cropped `_get_renders`. Returns whether it could (False: Textual's
    compositor changed shape, and its own version stays)."""
    if Compositor._get_renders is _get_renders:
        return True
    if list(inspect.signature(_textual_get_renders).parameters) != ["self", "crop"] or not isinstance(
        getattr(Compositor, "visible_widgets", None), property
    ):
        return False
    Compositor._get_renders = _get_renders  # type: ignore[method-assign]
    return True
