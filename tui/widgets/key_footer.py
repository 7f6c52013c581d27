"""The footer line of keys, drawn by one widget.

It shows what Textual's `Footer` shows, in its colours: each key the screen offers here and
what it does, disabled ones dimmed, and the command palette's key on the right. A click on a
key presses it; hovering shows its tooltip. Textual's footer mounts a widget per key and
mounts them all again whenever the keys on offer change (each move of the focus); this one
only draws its line again, which keeps the first screen and every focus change cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class ShownKey:
    """One key on the line: where it is drawn, what it does."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str
    start: int = 0
    end: int = 0


class KeyFooter(Widget, can_focus=False):
    """The keys of the screen it is on, one line at the bottom."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--key", "key-footer--description", "key-footer--hover", "key-footer--separator"
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            background: $block-hover-background;
        }
        & > .key-footer--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[ShownKey] = []  # as last drawn, with their columns
        self._hovered: int | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen) -> None:
        self.refresh()

    def keys(self) -> tuple[list[ShownKey], ShownKey | None]:
        """The keys on offer here, in the screen's order (one per action), and the command palette's."""
        shown: dict[str, ShownKey] = {}
        palette = None
        app = self.app
        for name, active in self.screen.active_bindings.items():
            binding = active.binding
            key = ShownKey(binding.key, app.get_key_display(binding), binding.description, active.enabled,
                            active.tooltip or binding.tooltip)
            if name == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = key
            elif binding.show and binding.action not in shown:
                shown[binding.action] = key
        return list(shown.values()), palette

    def render(self) -> Text:
        keys, palette = self.keys()
        width = self.size.width
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        hover = self.get_component_rich_style("key-footer--hover")
        line = Text(no_wrap=True, overflow="crop", end="")
        placed: list[ShownKey] = []

        def add(key: ShownKey, key_text: str, description_text: str) -> None:
            start = len(line)
            extra = Style(dim=True) if not key.enabled else Style()
            if len(placed) == self._hovered:
                extra += Style(bgcolor=hover.bgcolor)
            line.append(key_text, key_style + extra)
            line.append(description_text, description_style + extra)
            placed.append(ShownKey(key.key, key.display, key.description, key.enabled, key.tooltip, start, len(line)))

        for key in keys:
            add(key, f" {key.display} ", f"{key.description} " if key.description else "")
        if palette is not None:
            # On the right, after a thin rule: the key, its name and one cell of padding.
            tail = 1 + len(palette.display) + 1 + len(palette.description) + 1
            line.truncate(max(0, width - tail))
            placed = [key for key in placed if key.end <= len(line)]
            line.pad_right(max(0, width - tail - len(line)))
            line.append("▏", self.get_component_rich_style("key-footer--separator"))
            add(palette, palette.display, f" {palette.description}")
            line.append(" ")
        self._keys = placed
        return line

    def _key_at(self, x: int) -> int | None:
        return next((n for n, key in enumerate(self._keys) if key.start <= x < key.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hovered = self._key_at(event.x)
        if hovered != self._hovered:
            self._hovered = hovered
            self.tooltip = self._keys[hovered].tooltip or None if hovered is not None else None
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hovered is not None:
            self._hovered = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        hovered = self._key_at(event.x)
        if hovered is None:
            return
        key = self._keys[hovered]
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
