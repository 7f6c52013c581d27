"""Which cells of a widget's lines changed: repaint those, not the whole widget.

Textual renders every cell of a refreshed region, however little of it changed. A widget
that knows its previous lines can refresh only the runs of cells that differ, so the
compositor renders (and `tui.terminal_mirror` compares) a few cells, not the widget.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

# Unchanged cells between two changed runs that are cheaper to resend than to skip (a
# cursor move costs about as many bytes).
GAP = 6


def cells(strip: Strip) -> list[tuple[str, Style | None]] | None:
    """(character, style) per cell; None when a character is not one cell wide."""
    found = [(char, segment.style) for segment in strip for char in segment.text]
    return found if len(found) == strip.cell_length else None


def differing_runs(before: Sequence[object], after: Sequence[object]) -> list[tuple[int, int]]:
    """[start, end) runs of cells that differ between two lines of cells, runs closer than
    GAP merged (a line longer than the other differs in its extra cells)."""
    length = max(len(before), len(after))
    differ = [i for i in range(length) if i >= len(before) or i >= len(after) or before[i] != after[i]]
    runs: list[tuple[int, int]] = []
    for index in differ:
        if runs and index - runs[-1][1] <= GAP:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def changed_runs(old: Strip, new: Strip) -> list[tuple[int, int]]:
    """[start, end) runs of cells that differ between two versions of a line."""
    if old is new or old == new:  # a row kept from the last frame is the same object
        return []
    before, after = cells(old), cells(new)
    if before is None or after is None:
        return [(0, max(old.cell_length, new.cell_length))]
    return differing_runs(before, after)


def changed_regions(old: Sequence[Strip], new: Sequence[Strip], width: int) -> list[Region]:
    """Regions (one line high) covering every cell that differs between two sets of lines."""
    regions = []
    for y in range(max(len(old), len(new))):
        if y >= len(old) or y >= len(new):
            regions.append(Region(0, y, width, 1))
            continue
        regions += [Region(start, y, end - start, 1) for start, end in changed_runs(old[y], new[y])]
    return regions
