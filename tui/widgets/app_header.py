"""The title line at the top of the Datasets screen, drawn by one widget.

It shows what Textual's `Header` shows, in its colours: the icon on the left (a click opens
the command palette), the title and the sub-title (the backend's state) centred between the
icon and the clock's space, cut with an ellipsis when too long. A click elsewhere makes it
three lines tall and back, as Textual's does. Textual's header is four widgets (the line,
the icon, the title, the clock's space), each mounted, styled and laid out before the first
frame; this one is a single line of text.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.strip import Strip
from textual.widget import Widget

ICON = "⭘"
ICON_WIDTH = 8  # Textual's HeaderIcon: 8 cells, one of padding on each side
CLOCK_WIDTH = 10  # Textual's HeaderClockSpace: kept empty on the right
PALETTE_TOOLTIP = "Open the command palette"


class AppHeader(Widget):
    """The app's title and sub-title (with the screen's, when it has its own), one line."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"app-header--icon-hover"}
    DEFAULT_CSS = """
    AppHeader {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
        & > .app-header--icon-hover { background: $foreground 10%; }
    }
    AppHeader.-tall {
        height: 3;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._icon_hovered = False

    def on_mount(self) -> None:
        for node in (self.app, self.screen):
            self.watch(node, "title", self._retitle, init=False)
            self.watch(node, "sub_title", self._retitle, init=False)

    def _retitle(self, _value: object) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        # Segment for segment as Textual's header (screenshots come out the same): the icon's
        # column (its padding drawn with the background only) on every line, the icon on the
        # middle one; the title on the first line; the clock's space on the right.
        width = self.size.width
        base = self.rich_style
        blank = Style(bgcolor=base.bgcolor)
        icon, icon_blank = base, blank
        if self._icon_hovered:
            hover = Style(bgcolor=self.get_component_rich_style("app-header--icon-hover").bgcolor)
            icon, icon_blank = base + hover, blank + hover
        segments = [Segment(" ", icon_blank)]
        if y == (self.size.height - 1) // 2:
            segments += [Segment(ICON, icon), Segment(" " * (ICON_WIDTH - 3), icon)]
        else:
            segments.append(Segment(" " * (ICON_WIDTH - 2), icon))
        segments.append(Segment(" ", icon_blank))
        room = max(0, width - ICON_WIDTH - CLOCK_WIDTH)
        clock = " " * (CLOCK_WIDTH - 2)
        if y == 0:
            title = self._title_text()
            title.truncate(room, overflow="ellipsis")  # cut, an ellipsis in the style of the cell it replaces
            left = (room - title.cell_len) // 2
            right = room - left - title.cell_len
            if left:
                segments.append(Segment(" " * left, base))
            segments += [Segment(segment.text, base + segment.style if segment.style else base)
                         for segment in title.render(self.app.console)]
            if right:
                segments.append(Segment(" " * right, base))
            segments += [Segment(" ", blank), Segment("", base), Segment(clock, blank), Segment(" ", blank)]
        else:
            segments += [Segment(" " * room, blank), Segment(" ", blank), Segment(clock, base), Segment(" ", blank)]
        return Strip(segments).crop(0, width)

    def _title_text(self) -> Text:
        """The title and, dim after a dim dash, the sub-title (the screen's own, if it has them)."""
        screen, app = self.screen, self.app
        title = Text(screen.title if screen.title is not None else app.title, end="")
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        if sub_title:
            title.append(" — ", "dim")
            title.append(sub_title, "dim")
        return title

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE)

    def on_leave(self, _event: events.Leave) -> None:
        self._hover(False)

    def _hover(self, on_icon: bool) -> None:
        if on_icon != self._icon_hovered:
            self._icon_hovered = on_icon
            self.tooltip = PALETTE_TOOLTIP if on_icon else None
            self.refresh()

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        if event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE:
            await self.run_action("app.command_palette")
        else:
            self.toggle_class("-tall")
