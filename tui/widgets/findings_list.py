"""The lint findings of a dataset as a table; Enter on a finding asks to show its example.

The message column is cut to the width; the screen shows the highlighted finding in full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

if TYPE_CHECKING:
    from tui.models import Finding

# By `Severity` value (a StrEnum, equal to its value): tui.models (pydantic) is not imported
# for the empty table on the first screen.
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class FindingsTable(DataTable):
    """Findings sorted by severity then line; selecting one posts `FindingChosen`."""

    @dataclass
    class FindingChosen(Message):
        """The user picked a finding (Enter or click)."""

        finding: Finding

    @dataclass
    class FindingHighlighted(Message):
        """The cursor moved onto a finding."""

        finding: Finding

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._findings: list[Finding] = []

    def on_mount(self) -> None:
        self.add_column("severity", key="severity", width=8)
        self.add_column("line", key="line", width=7)
        self.add_column("rule", key="rule", width=22)
        self.add_column("message", key="message")

    def show(self, findings: list[Finding]) -> None:
        """Replace the rows with `findings`, errors first, then by line."""
        self._findings = sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.line or 0))
        self.clear()
        for index, finding in enumerate(self._findings):
            message = finding.message
            self.add_row(
                Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity]),
                str(finding.line) if finding.line else "–",
                finding.rule,
                message,
                key=str(index),
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self._findings):
            self.post_message(self.FindingHighlighted(self._findings[event.cursor_row]))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self._findings):
            self.post_message(self.FindingChosen(self._findings[event.cursor_row]))
