"""A plotext cell matrix as Textual strips, read cell by cell (no ANSI text in between)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

_CONSOLE = Console(width=1, color_system="truecolor")  # only used to resolve parsed styles
_RUNS = re.compile(r" +|[^ ]+")  # blank and non-blank runs of a row


@lru_cache(maxsize=256)
def _cell_style(fullground: Any, style: Any, background: Any) -> Style:
    """The Rich style of a plotext cell colour triple (parsed once per distinct triple)."""
    from plotext._utility import colors_to_ansi

    ansi = colors_to_ansi(fullground, style, background)
    text = Text.from_ansi(f"{ansi}x")
    return text.get_style_at_offset(_CONSOLE, 0) if ansi else Style.null()


@dataclass
class Cells:
    """A copy of plotext's cell matrix (rows bottom first, as plotext keeps them) and where
    its plot area lies. Drawing on a copy leaves the original to be reused for the next
    frame, when only the curves changed."""

    marker: list[list[str]]
    fullground: list[list[Any]]
    style: list[list[Any]]
    background: list[list[Any]]
    plot_cols: range
    plot_rows: range

    @classmethod
    def of(cls, matrix: Any) -> Cells:
        """The cells of a plotext matrix (what `_build_matrix` left in `monitor.matrix`)."""
        return cls(
            [row[:] for row in matrix.marker],
            [row[:] for row in matrix.fullground],
            [row[:] for row in matrix.style],
            [row[:] for row in matrix.background],
            matrix.Cols_canvas,
            matrix.Rows_canvas,
        )

    def copy(self) -> Cells:
        """A copy to draw on: markers and colours are copied, the style and background rows
        shared (drawing never changes them; rows shared with the last frame compare at once)."""
        return Cells(
            [row[:] for row in self.marker],
            [row[:] for row in self.fullground],
            self.style,
            self.background,
            self.plot_cols,
            self.plot_rows,
        )

    @property
    def rows(self) -> int:
        return len(self.marker)

    @property
    def cols(self) -> int:
        return len(self.marker[0]) if self.marker else 0

    def same_row(self, other: Cells, row: int) -> bool:
        return (
            self.marker[row] == other.marker[row]
            and self.fullground[row] == other.fullground[row]
            and (self.style[row] is other.style[row] or self.style[row] == other.style[row])
            and (self.background[row] is other.background[row] or self.background[row] == other.background[row])
        )


def matrix_strips(matrix: Any, base: Style, previous: tuple[Cells, list[Strip]] | None = None) -> list[Strip]:
    """A plotext canvas as Textual strips, one per row (top first), read straight from its cells.

    plotext would join the cells into an ANSI string for Rich to parse back, and Textual
    would then convert that text again: reading the matrix directly gives the same picture
    at a fraction of the cost. `base` is the widget's own style, under the cells' colours.
    With `previous` (the last cells and their strips, same size and base style), rows that
    did not change keep their strip.
    """
    strips = []
    width = matrix.cols
    for row in range(matrix.rows - 1, -1, -1):  # plotext stores the bottom row first
        if previous is not None and isinstance(matrix, Cells) and matrix.same_row(previous[0], row):
            strips.append(previous[1][matrix.rows - 1 - row])
            continue
        cells = matrix.marker[row], matrix.fullground[row], matrix.style[row], matrix.background[row]
        strips.append(_row_strip(*cells, width, base))
    return strips


def _row_strip(markers: list[str], fg: list[Any], st: list[Any], bg: list[Any], width: int, base: Style) -> Strip:
    segments = []
    start = 0
    for col in range(1, width + 1):
        if col == width or fg[col] != fg[start] or st[col] != st[start] or bg[col] != bg[start]:
            style = base + _cell_style(_hashable(fg[start]), st[start], _hashable(bg[start]))
            for piece in _RUNS.findall("".join(markers[start:col])):
                segments.append(Segment(piece, _blank_style(style) if piece[0] == " " else style))
            start = col
    return Strip(segments, width)


@lru_cache(maxsize=256)
def _blank_style(style: Style) -> Style:
    """The style of a run of blanks: only its background shows (as Textual renders text).

    Kept apart from the marks' style so that SVG exports place every label at its cell.
    """
    if style.underline or style.reverse or style.strike:
        return style
    return Style(bgcolor=style.bgcolor)


def _hashable(colour: Any) -> Any:
    return tuple(colour) if isinstance(colour, list) else colour


