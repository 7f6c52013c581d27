"""The one-line tab bar under the header: the five areas, the one you are in, and `?`.

It fits 80 columns, so every area and its key are visible at any width; the active area is
drawn reversed and in brackets (visible without colour). On the right it says `? keys`, and
`esc leave field` while a text field has the focus (so `3` types "3" only where that is
clear). A click on an area switches to it.
"""

from __future__ import annotations

import sys

from rich.text import Text
from textual import events
from textual.widgets import Static

AREAS = (("datasets", "1", "Datasets"), ("configure", "2", "Configure"), ("monitor", "3", "Monitor"),
         ("playground", "4", "Playground"), ("models", "5", "Models"))


TEXT_FIELDS = (("textual.widgets._input", "Input"), ("textual.widgets._text_area", "TextArea"))


def typing_in(widget: object) -> bool:
    """Whether `widget` is a text field that takes single-letter keys as text."""
    # Input and TextArea are looked up where they are loaded: no widget is one of them before
    # its module is imported, and TextArea's import would delay the first frame. A module
    # another thread is still importing may not have its class yet: no widget is one either.
    found = (getattr(sys.modules.get(module), name, None) for module, name in TEXT_FIELDS)
    fields = tuple(field for field in found if isinstance(field, type))
    return isinstance(widget, fields) and not getattr(widget, "read_only", False)


class AreaTabs(Static):
    """Which area is shown, how to reach the others, and how to leave a text field."""

    DEFAULT_CSS = """
    AreaTabs { height: 1; width: 1fr; background: $panel; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__("", id="area-tabs", markup=False)
        self._spans: list[tuple[int, int, str]] = []  # (first column, end column, area)
        self._line = Text()

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", lambda _focused: self.draw(), init=False)
        self.draw()  # and each time its screen is shown (AppScreen): one built ahead was mounted in another area

    def draw(self) -> None:
        width = self.size.width or 80
        typing = typing_in(self.screen.focused)
        # Roomy when it fits; tighter tabs, then a shorter hint, where it does not (80 columns).
        for compact, hint in ((False, "? keys"), (True, "? keys")) if not typing else (
                (False, "esc leave field · ? keys"), (True, "esc leave field · ? keys"), (True, "esc leave field · ?")):
            line = self._tabs(compact)
            if len(line) + len(hint) + 1 <= width:
                break
        line.append(" " * max(1, width - len(line) - len(hint)))
        line.append(hint, style="bold")
        if line != self._line:
            self._line = line
            self.refresh()  # one line of fixed size: drawn again, nothing laid out again (a Static's update would)

    def render(self) -> Text:
        return self._line

    def _tabs(self, compact: bool) -> Text:
        active = self.app.current_mode
        pad = "" if compact else " "
        line = Text(" ")
        self._spans = []
        for area, key, name in AREAS:
            start = len(line)
            if area == active:
                line.append(f"[{key} {name}]", style="reverse bold")
            else:
                line.append(f"{pad}{key} {name}{pad}")
            self._spans.append((start, len(line), area))
            line.append(" ")
        return line

    def on_resize(self) -> None:
        self.draw()

    async def on_click(self, event: events.Click) -> None:
        for start, end, area in self._spans:
            if start <= event.x < end:
                await self.app.run_action(f"switch_mode({area!r})")
                return
