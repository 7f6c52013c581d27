"""What the terminal shows, cell by cell, so an update sends only the cells that differ.

Textual sends every cell of a region it repaints: a widget laid out again (a summary that
grew by a line, a scrollbar that appeared) is resent whole, though most of its lines are
the same, and a partly refreshed line is sent from the left edge of its widget. Over SSH
those bytes are the user's lag. `TerminalMirror` keeps the character and style of every
cell written so far; `TerminalMirror.wrap` turns a compositor update into one that writes
only the runs of cells that differ from it, whatever asked for the repaint.

The mirror is only as right as the terminal is: it is forgotten (every cell written again)
when the size changes, when the app resumes from a suspend, and on Ctrl+L (`redraw`), for
when something else has written to the terminal.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.control import Control
from rich.style import Style
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.geometry import Size
from textual.strip import Strip

from tui.widgets.line_diff import cells, differing_runs

Cell = tuple[str, Style | None]
UNKNOWN = None  # a cell whose content the mirror cannot vouch for


class TerminalMirror:
    """The cells on the terminal, as written by the updates passed through `wrap`."""

    def __init__(self) -> None:
        self._size = Size(0, 0)
        self._rows: list[list[Cell | None]] = []

    def forget(self) -> None:
        """Assume nothing about the terminal: the next updates write every cell they carry."""
        self._rows = [[UNKNOWN] * self._size.width for _ in range(self._size.height)]

    def wrap(self, update: RenderableType | None, size: Size) -> RenderableType | None:
        """An update that writes only what differs from the terminal (others pass through)."""
        if not isinstance(update, (LayoutUpdate, ChopsUpdate)):
            return update
        if size != self._size:
            self._size = size
            self.forget()
        return MirroredUpdate(self, update)

    def render(self, update: LayoutUpdate | ChopsUpdate, console: Console) -> str:
        """The terminal sequence for the changed cells of `update`; the mirror takes them on."""
        try:
            return "".join(self._render(update, console))
        except BaseException:
            self.forget()  # part of the update may be in the mirror, none of it on the terminal
            raise

    def _render(self, update: LayoutUpdate | ChopsUpdate, console: Console) -> Iterator[str]:
        move_to = Control.move_to
        for x, y, strip in _pieces(update):
            for start, end in self._changed(x, y, strip):
                piece = strip if (start, end) == (0, strip.cell_length) else strip.crop(start, end)
                yield move_to(x + start, y).segment.text
                yield piece.render(console)

    def _changed(self, x: int, y: int, strip: Strip) -> list[tuple[int, int]]:
        """Runs [start, end) of `strip` that differ from the mirror at (x, y); takes it on."""
        length = strip.cell_length
        if not length:
            return []
        if y >= len(self._rows) or x + length > len(self._rows[y]):  # off the known screen
            return [(0, length)]
        row = self._rows[y]
        new = cells(strip)
        if new is None:  # wide characters: write the piece whole, vouch for none of it
            row[x : x + length] = [UNKNOWN] * length
            return [(0, length)]
        old = row[x : x + length]
        if old == new:
            return []
        row[x : x + length] = new
        return differing_runs(old, new)


class MirroredUpdate(CompositorUpdate):
    """A compositor update written through a `TerminalMirror` (when Textual writes it)."""

    def __init__(self, mirror: TerminalMirror, update: LayoutUpdate | ChopsUpdate) -> None:
        self.mirror = mirror
        self.update = update

    def render_segments(self, console: Console) -> str:
        return self.mirror.render(self.update, console)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return self.update.__rich_console__(console, options)  # Textual writes through render_segments


def _pieces(update: LayoutUpdate | ChopsUpdate) -> Iterator[tuple[int, int, Strip]]:
    """(x, y, strip) for every stretch of cells the update writes."""
    if isinstance(update, LayoutUpdate):
        for y, line in enumerate(update.strips, update.region.y):
            x = update.region.x
            for strip in line:
                yield x, y, strip
                x += strip.cell_length
        return
    for y, x1, x2 in update.spans:
        for end, (x, chop) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if chop is None or x > x2 or end <= x1:
                continue
            start = x
            if x < x1 and chop.cell_length == len(chop.text):  # never split a wide character
                start = x1
            if start != x or end > x2:
                chop = chop.crop(start - x, min(end, x2) - x)
            yield start, y, chop
