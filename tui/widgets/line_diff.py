"""Which cells of a widget's lines changed: repaint those, not the whole widget.

Textual sends every cell of a refreshed region to the terminal. A widget that knows its
previous lines can refresh only the runs of cells that differ, which over a slow link
(SSH) is the difference between a few bytes and the whole widget per update.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
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
    if old == new:
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
