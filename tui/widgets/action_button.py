"""A button that runs an action when pressed, drawn as Textual's default button.

Textual's `Button` brings a stylesheet for every variant (primary, success, flat, compact…)
that is parsed when the first one is mounted: on the first screen, where only one plain
button shows, that parse is a noticeable part of the time to the complete screen. This one
carries the default look only (hover, focus and the short pressed effect included).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

PRESSED_S = 0.2  # how long the pressed look lasts, as Textual's button


class ActionButton(Widget, can_focus=True):
    """Runs `action` (e.g. "screen.browse") on a click or Enter."""

    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "press", "Press button", show=False)]
    DEFAULT_CSS = """
    ActionButton {
        width: auto;
        min-width: 16;
        height: auto;
        line-pad: 1;
        text-align: center;
        content-align: center middle;
        pointer: pointer;
        text-style: bold;
        color: $button-foreground;
        background: $surface;
        border: none;
        border-top: tall $surface-lighten-1;
        border-bottom: tall $surface-darken-1;
        &:focus {
            text-style: $button-focus-text-style;
            background-tint: $foreground 5%;
        }
        &:hover {
            border-top: tall $surface;
            background: $surface-darken-1;
        }
        &.-active {
            background: $surface;
            border-bottom: tall $surface-lighten-1;
            border-top: tall $surface-darken-1;
            tint: $background 30%;
        }
    }
    """

    def __init__(self, label: str, action: str, *, id: str | None = None, tooltip: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.action = action
        if tooltip is not None:
            self.tooltip = tooltip

    def render(self) -> Content:
        return Content(self.label)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(self.label) + 2

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_press()

    def action_press(self) -> None:
        """Run the action (once per press: not again while the pressed look lasts)."""
        if self.has_class("-active"):
            return
        self.add_class("-active")
        self.set_timer(PRESSED_S, lambda: self.remove_class("-active"))
        self.call_later(self.app.run_action, self.action)
