"""The samples list on the first frame: a picture of Textual's OptionList, focused, its first
option highlighted, until the list itself is mounted.

The OptionList (a scrolling view with its scrollbars, option cache and bindings) is one of
the costliest widgets of the first frame; the Datasets screen shows this one-line-per-sample
picture instead and puts the list in its place right after the complete screen, before it
takes keys (tui.typeahead holds the ones typed before). `tests/app/test_samples_picture.py`
compares the picture with the list, segment for segment.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget


class SamplesPicture(Widget):
    """The names of the samples as the focused OptionList draws them."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"samples-picture--highlighted"}
    # OptionList's look, focused: its colours, padding and tint, the highlighted option in the cursor's.
    DEFAULT_CSS = """
    SamplesPicture {
        height: auto;
        color: $foreground;
        padding: 0 1;
        background: $surface;
        background-tint: $foreground 5%;
        & > .samples-picture--highlighted {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
    }
    """

    def __init__(self, names: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = names

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.names)

    def render_line(self, y: int) -> Strip:
        if y >= len(self.names):
            return Strip.blank(self.size.width, self.rich_style)
        style = self.get_component_rich_style("samples-picture--highlighted") if y == 0 else self.rich_style
        name = self.names[y][: self.size.width]
        return Strip([Segment(name, style), Segment(" " * (self.size.width - len(name)), style)])
