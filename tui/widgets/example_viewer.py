"""The text of one example: its input and its expected output, or why it is unreadable.

A value may be megabytes long: the viewer shows it one part (a few thousand characters) at a
time, says which characters are shown of how many, and `next_part` pages through it. The
whole example can be read in $PAGER (the screen's `v`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.datasets.excerpt import Part, part

if TYPE_CHECKING:
    from tui.datasets import Row

NOTHING = "No example selected."


class ExampleViewer(VerticalScroll):
    """Shows one example, wrapped, with its place in the file; long values one part at a time."""

    DEFAULT_CSS = """
    ExampleViewer { padding: 0 1; }
    ExampleViewer .viewer-label { color: $text-accent; text-style: bold; margin-top: 1; }
    ExampleViewer .viewer-where { color: $text-muted; }
    ExampleViewer .viewer-error { color: $text-error; }
    """

    row: Row | None = None  # the reader row shown, if any
    _part = 0  # which part of long values is shown
    _where = ""

    def compose(self) -> ComposeResult:
        yield Static(NOTHING, id="viewer-where", classes="viewer-where", markup=False)
        yield Static("input", id="viewer-input-label", classes="viewer-label", markup=False)
        yield Static("", id="viewer-input", markup=False)
        yield Static("output", id="viewer-output-label", classes="viewer-label", markup=False)
        yield Static("", id="viewer-output", markup=False)

    def clear(self) -> None:
        """Show no example (a new file is being read, or none could be)."""
        self.row = None
        self.query_one("#viewer-where", Static).update(NOTHING)
        for name in ("input", "output"):
            self.query_one(f"#viewer-{name}-label", Static).update(name)
            self.query_one(f"#viewer-{name}", Static).update("")
        self.query_one("#viewer-input").remove_class("viewer-error")

    def show(self, row: Row, path: str = "") -> None:
        """Show a reader row (with `.index`, `.line`, `.example`, `.error`) from its first part."""
        self.row = row
        self._part = 0
        place = f"{path}:{row.line}" if path else f"line {row.line}"
        self._where = f"example {row.index + 1} · {place}"
        self._render_row()

    @property
    def parts(self) -> int:
        """How many parts the longest value of the shown example has (1 if it fits in one)."""
        if self.row is None or self.row.example is None:
            return 1
        return max(part(self.row.example.text_input).parts, part(self.row.example.output).parts)

    def next_part(self, step: int = 1) -> bool:
        """Show the next (or, with -1, previous) part of long values, wrapping round; False if all is shown."""
        parts = self.parts
        if parts == 1:
            return False
        self._part = (self._part + step) % parts
        self._render_row()
        return True

    def _render_row(self) -> None:
        row = self.row
        if row is None:
            return
        self.query_one("#viewer-where", Static).update(self._where)
        if row.example is not None:
            for name, value in (("input", row.example.text_input), ("output", row.example.output)):
                shown = part(value, self._part)
                self.query_one(f"#viewer-{name}-label", Static).update(_label(name, shown))
                self.query_one(f"#viewer-{name}", Static).update(shown.text or "(empty)")
            self.query_one("#viewer-input").remove_class("viewer-error")
        else:
            error = row.error
            text = "Unreadable."
            if error:
                text = f"Unreadable: {error.message}" + (f"\n{error.hint}" if error.hint else "")
            self.query_one("#viewer-input-label", Static).update("input")
            self.query_one("#viewer-input", Static).update(text)
            self.query_one("#viewer-input").add_class("viewer-error")
            self.query_one("#viewer-output-label", Static).update("output")
            self.query_one("#viewer-output", Static).update("")
        self.scroll_home(animate=False)


def _label(name: str, shown: Part) -> str:
    """The heading of a value: its name, and for a long value which part is shown and how to see more."""
    if shown.whole:
        return name
    return f"{name} · {shown.where()} · m: next part, M: previous, v: all in $PAGER"
