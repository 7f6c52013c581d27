"""The `?` screen: the keys active where the user is, built from the live bindings.

The table is one widget drawing text lines (`KeyTable`), not a DataTable: a DataTable renders
each cell through Rich, which made the first `?` take ~50 ms more than the rest of the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static


@dataclass(frozen=True)
class KeyHelp:
    """One row of the help table."""

    key: str
    description: str
    where: str
    detail: str


def collect_keys(screen: Screen) -> list[KeyHelp]:
    """The bindings active on `screen` (focused widget, screen, app), one row per action."""
    app = screen.app
    rows: list[KeyHelp] = []
    seen: set[tuple[str, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        node = active.node
        where = "everywhere" if node is app else ("this screen" if node is screen else type(node).__name__)
        marker = (binding.action, where)
        key = app.get_key_display(binding)
        if marker in seen:
            # Several keys for one action: show them on one row.
            for index, row in enumerate(rows):
                if (row.description, row.where) == (binding.description, where) and key not in row.key:
                    rows[index] = KeyHelp(f"{row.key} {key}", row.description, row.where, row.detail)
            continue
        seen.add(marker)
        rows.append(KeyHelp(key, binding.description, where, binding.tooltip or ""))
    order = {"everywhere": 2, "this screen": 0}
    return sorted(rows, key=lambda row: order.get(row.where, 1))


HEADINGS = ("Key", "Action", "Where", "Detail")


class KeyTable(Widget):
    """The keys as a table of text lines: a bold heading row, then one row a key, every other
    row shaded; columns as wide as their longest cell, the last one cut with … at the edge."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-table--header", "key-table--even-row"}
    DEFAULT_CSS = """
    KeyTable {
        height: auto;
        background: $surface;
        color: $foreground;
        & > .key-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .key-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .key-table--even-row {
            background: $surface-darken-1 40%;
        }
    }
    """

    def __init__(self, keys: list[KeyHelp], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys = keys

    def cells(self) -> list[tuple[str, str, str, str]]:
        return [HEADINGS, *((row.key, row.description, row.where, row.detail) for row in self.keys)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.keys) + 1

    def render(self) -> Text:
        rows = self.cells()
        widths = [max(len(row[column]) for row in rows) + 2 for column in range(len(HEADINGS))]
        width = self.content_size.width
        header = self.get_component_rich_style("key-table--header")
        even = self.get_component_rich_style("key-table--even-row")
        text = Text(no_wrap=True, overflow="crop", end="")
        for number, row in enumerate(rows):
            line = "".join(f" {cell:<{widths[column] - 2}} " for column, cell in enumerate(row))
            if len(line.rstrip()) > width:  # the text itself, not the padding of a wider column
                line = line[: max(0, width - 2)] + "… "
            style = header if number == 0 else (even if number % 2 == 0 else Style())
            if number:
                text.append("\n")
            text.append(line[:width].ljust(width), style)
        return text


class HelpScreen(ModalScreen[None]):
    """A table of the keys active on the screen underneath."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", key_display="?", show=False, id="help.close-again"),
        Binding("q", "dismiss", "Close", show=False, id="help.close-q"),
    ]

    def __init__(self, keys: list[KeyHelp], title: str = "") -> None:
        super().__init__()
        self._keys = keys
        self._title = title.removesuffix("Screen")

    def compose(self) -> ComposeResult:
        with Vertical(id="help-panel"):
            yield Static(f"Keys — {self._title}" if self._title else "Keys", classes="section-title")
            with VerticalScroll(id="help-scroll"):
                yield KeyTable(self._keys, id="help-keys")
            yield Static("Esc or ? closes · ctrl+p opens the command palette", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()  # the arrow keys scroll a long list

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
