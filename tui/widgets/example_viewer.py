"""The full text of one example: its input and its expected output, or why it is unreadable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.datasets import Row


class ExampleViewer(VerticalScroll):
    """Shows one example in full, wrapped, with its place in the file."""

    DEFAULT_CSS = """
    ExampleViewer { padding: 0 1; }
    ExampleViewer .viewer-label { color: $text-accent; text-style: bold; margin-top: 1; }
    ExampleViewer .viewer-where { color: $text-muted; }
    ExampleViewer .viewer-error { color: $text-error; }
    """

    def compose(self) -> ComposeResult:
        yield Static("No example selected.", id="viewer-where", classes="viewer-where")
        yield Static("input", classes="viewer-label")
        yield Static("", id="viewer-input", markup=False)
        yield Static("output", classes="viewer-label")
        yield Static("", id="viewer-output", markup=False)

    def show(self, row: Row, path: str = "") -> None:
        """Show a reader row (with `.index`, `.line`, `.example`, `.error`)."""
        where = f"example {row.index + 1} · {path}:{row.line}" if path else f"example {row.index + 1} · line {row.line}"
        self.query_one("#viewer-where", Static).update(where)
        if row.example is not None:
            self.query_one("#viewer-input", Static).update(row.example.text_input or "(empty)")
            self.query_one("#viewer-output", Static).update(row.example.output or "(empty)")
            self.query_one("#viewer-input").remove_class("viewer-error")
        else:
            error = row.error
            text = (
                f"Unreadable: {error.message}" + (f"\n{error.hint}" if error.hint else "") if error else "Unreadable."
            )
            self.query_one("#viewer-input", Static).update(text)
            self.query_one("#viewer-input").add_class("viewer-error")
            self.query_one("#viewer-output", Static).update("")
        self.scroll_home(animate=False)
