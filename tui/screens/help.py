"""The `?` screen: the keys active where the user is, built from the live bindings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


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
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static("Esc or ? closes · ctrl+p opens the command palette", classes="muted")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Where", "Detail")
        for row in self._keys:
            table.add_row(row.key, row.description, row.where, row.detail)
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
