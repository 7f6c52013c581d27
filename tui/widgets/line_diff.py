"""Which cells of a widget's lines changed: repaint those, not the whole widget.

Textual sends every cell of a refreshed region to the terminal. A widget that knows its
previous lines can refresh only the runs of cells that differ, which over a slow link
(SSH) is the difference between a few bytes and the whole widget per update.

Textual 8 writes a partly refreshed line from the left edge of the widget (the start of
its "chop") up to the end of the refreshed span, so a change at the right of a wide
widget resends everything to its left. `send_changed_cells_only` makes it start at the
span, as its renderable twin `ChopsUpdate.__rich_console__` already means to.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.control import Control
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.geometry import Region
from textual.strip import Strip

# Unchanged cells between two changed runs that are cheaper to resend than to skip (a
# cursor move costs about as many bytes).
GAP = 6


def _cells(strip: Strip) -> list[tuple[str, Style | None]] | None:
    """(character, style) per cell; None when a character is not one cell wide."""
    cells = [(char, segment.style) for segment in strip for char in segment.text]
    return cells if len(cells) == strip.cell_length else None


def changed_runs(old: Strip, new: Strip) -> list[tuple[int, int]]:
    """[start, end) runs of cells that differ between two versions of a line."""
    if old is new or old == new:  # a row kept from the last frame is the same object
        return []
    before, after = _cells(old), _cells(new)
    if before is None or after is None:
        return [(0, max(old.cell_length, new.cell_length))]
    length = max(len(before), len(after))
    differ = [i for i in range(length) if i >= len(before) or i >= len(after) or before[i] != after[i]]
    runs: list[tuple[int, int]] = []
    for index in differ:
        if runs and index - runs[-1][1] <= GAP:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def changed_regions(old: Sequence[Strip], new: Sequence[Strip], width: int) -> list[Region]:
    """Regions (one line high) covering every cell that differs between two sets of lines."""
    regions = []
    for y in range(max(len(old), len(new))):
        if y >= len(old) or y >= len(new):
            regions.append(Region(0, y, width, 1))
            continue
        regions += [Region(start, y, end - start, 1) for start, end in changed_runs(old[y], new[y])]
    return regions


def _render_segments(self: Any, console: Console) -> str:
    """`ChopsUpdate.render_segments`, cropping each chop to its span at both ends."""
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            start = x
            if x < x1 and strip.cell_length == len(strip.text):  # never split a wide character
                start = x1
            if start != x or end > x2:
                strip = strip.crop(start - x, min(end, x2) - x)
            append(move_to(start, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def send_changed_cells_only() -> bool:
    """Have Textual send a partly refreshed line from the refreshed span, not from the
    widget's left edge. Returns whether it could (False: Textual's drawing changed shape)."""
    if ChopsUpdate.render_segments is _render_segments:
        return True
    if list(inspect.signature(ChopsUpdate.__init__).parameters) != ["self", "chops", "spans", "chop_ends"]:
        return False
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    return True
