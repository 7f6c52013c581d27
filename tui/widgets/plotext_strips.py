"""A plotext cell matrix as Textual strips, read cell by cell (no ANSI text in between)."""

from __future__ import annotations

import re
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


def matrix_strips(matrix: Any, base: Style) -> list[Strip]:
    """A plotext canvas as Textual strips, one per row, read straight from its cell matrix.

    plotext would join the cells into an ANSI string for Rich to parse back, and Textual
    would then convert that text again: reading the matrix directly gives the same picture
    at a fraction of the cost. `base` is the widget's own style, under the cells' colours.
    """
    strips = []
    width = matrix.cols
    for row in range(matrix.rows - 1, -1, -1):  # plotext stores the bottom row first
        markers, fg, st, bg = matrix.marker[row], matrix.fullground[row], matrix.style[row], matrix.background[row]
        segments = []
        start = 0
        for col in range(1, width + 1):
            if col == width or fg[col] != fg[start] or st[col] != st[start] or bg[col] != bg[start]:
                style = base + _cell_style(_hashable(fg[start]), st[start], _hashable(bg[start]))
                for piece in _RUNS.findall("".join(markers[start:col])):
                    segments.append(Segment(piece, _blank_style(style) if piece[0] == " " else style))
                start = col
        strips.append(Strip(segments, width))
    return strips


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


