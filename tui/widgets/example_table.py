"""A table of examples that pages over a lazy dataset reader instead of loading every row.

Only one window of rows (`WINDOW` examples) lives in the table at a time; moving the
cursor past either end loads the neighbouring window, so a 200 MB file scrolls as fast as
a small one. The reader must offer `len(reader)` and `reader.page(start, count)` returning
rows with `.index`, `.line`, `.example` (or None) and `.error` (a Finding, or None).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from tui.datasets.excerpt import one_line

__all__ = ["INPUT_CHARS", "OUTPUT_CHARS", "WINDOW", "ExampleTable", "one_line"]

WINDOW = 200
FOLLOW_S = 0.5  # while End follows a growing index, the cursor moves at most this often
INPUT_CHARS = 52
OUTPUT_CHARS = 36


class ExampleTable(DataTable):
    """Examples of one dataset, one window at a time; Enter shows the full example."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="examples.down"),
        Binding("k", "cursor_up", "Up", show=False, id="examples.up"),
        Binding("end,G", "last", "Last example", show=False, id="examples.last"),
        Binding("home,g", "first", "First example", show=False, id="examples.first"),
    ]

    @dataclass
    class ExampleHighlighted(Message):
        """The cursor moved onto an example (index in the dataset, the reader's row)."""

        table: ExampleTable
        index: int
        row: Any

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.reader: Any = None
        self._follow_end = False
        self._followed = 0.0  # when the cursor last followed the growing index
        self.window_start = 0
        self._rows: list[Any] = []
        self.total = 0

    def on_mount(self) -> None:
        self.add_column("#", key="index", width=6)
        self.add_column("line", key="line", width=6)
        self.add_column("input", key="input")
        self.add_column("output", key="output")

    def show(self, reader: Any, index: int = 0, rows: list[Any] | None = None) -> None:
        """Show `reader`'s examples with the cursor on `index`; `rows`, if given, are its first rows
        (read before its index is complete)."""
        self.reader = reader
        self.total = max(len(reader), len(rows or ())) if reader is not None else 0
        self._rows = []  # forget the previous file's window
        self.window_start = 0
        if rows:
            self._fill(0, rows)
        self.go_to(index)

    def grow(self, total: int) -> None:
        """The reader's index has grown to `total` examples: the cursor may now go that far (and goes,
        if End was pressed before the index was complete)."""
        grown = total > self.total
        self.total = max(self.total, total)
        if grown and self._follow_end:
            done = getattr(self.reader, "complete", True)
            if done or time.monotonic() - self._followed >= FOLLOW_S:  # a window read is not free: not at every report
                self._followed = time.monotonic()
                self.go_to(self.total - 1, follow=not done)

    def go_to(self, index: int, *, follow: bool = False) -> None:
        """Move the cursor to example `index`, loading its window if needed; with `follow`, keep
        going to the last example while the reader's index grows."""
        self._follow_end = follow
        if not self.total:
            self.clear()
            self._rows = []
            return
        index = max(0, min(index, self.total - 1))
        if not (self.window_start <= index < self.window_start + len(self._rows)):
            self._load_window(max(0, index - WINDOW // 4))
        self.move_cursor(row=index - self.window_start, animate=False)
        # The cursor may not have moved (same row of a new window): announce it anyway.
        self._announce(index - self.window_start)

    def _announce(self, cursor_row: int) -> None:
        if 0 <= cursor_row < len(self._rows):
            row = self._rows[cursor_row]
            self.post_message(self.ExampleHighlighted(self, self.window_start + cursor_row, row))

    @property
    def current_index(self) -> int | None:
        if not self._rows:
            return None
        return self.window_start + self.cursor_row

    def _load_window(self, start: int) -> None:
        start = max(0, min(start, max(0, self.total - WINDOW)))
        self._fill(start, list(self.reader.page(start, WINDOW)))

    def _fill(self, start: int, rows: list[Any]) -> None:
        self._rows = rows
        self.window_start = start
        self.clear()
        for row in self._rows:
            if row.example is not None:
                cells = (one_line(row.example.text_input, INPUT_CHARS), one_line(row.example.output, OUTPUT_CHARS))
            else:
                cells = ("✖ " + one_line(getattr(row.error, "message", None) or "unreadable", INPUT_CHARS), "")
            self.add_row(str(row.index + 1), str(row.line), *cells, key=str(row.index))

    def action_cursor_down(self) -> None:
        self._follow_end = False
        self._followed = 0.0  # when the cursor last followed the growing index
        at_end = self.cursor_row >= len(self._rows) - 1
        if at_end and self.window_start + len(self._rows) < self.total:
            self.go_to(self.window_start + len(self._rows))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        self._follow_end = False
        self._followed = 0.0  # when the cursor last followed the growing index
        if self.cursor_row <= 0 and self.window_start > 0:
            self.go_to(self.window_start - 1)
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        self._follow_end = False
        self._followed = 0.0  # when the cursor last followed the growing index
        step = max(1, self.scrollable_content_region.height - 1)
        current = self.current_index or 0
        if self.cursor_row + step >= len(self._rows) and self.window_start + len(self._rows) < self.total:
            self.go_to(current + step)
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        self._follow_end = False
        self._followed = 0.0  # when the cursor last followed the growing index
        step = max(1, self.scrollable_content_region.height - 1)
        current = self.current_index or 0
        if self.cursor_row - step < 0 and self.window_start > 0:
            self.go_to(current - step)
            return
        super().action_page_up()

    def action_scroll_top(self) -> None:
        self.go_to(0)

    def action_scroll_bottom(self) -> None:
        self.action_last()

    def action_first(self) -> None:
        self.go_to(0)

    def action_last(self) -> None:
        self.go_to(self.total - 1, follow=self.reader is not None and not getattr(self.reader, "complete", True))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._announce(event.cursor_row)
