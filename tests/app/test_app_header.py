"""The Datasets screen's title line (tui/widgets/app_header.py) is drawn as Textual's Header draws
it, segment for segment, and behaves as it does (the title follows the backend's state, the
icon opens the command palette, a click elsewhere makes it tall)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.command import CommandPalette
from textual.widgets import Header

from tui.widgets.app_header import AppHeader


class Titled(App[None]):
    TITLE = "tunedeck"
    header_class: type = Header

    def compose(self) -> ComposeResult:
        yield self.header_class()


class WithAppHeader(Titled):
    header_class = AppHeader


async def drawn(app_class: type[Titled], width: int, sub_title: str, tall: bool, hover: bool) -> list[list[tuple]]:
    """The header's lines as drawn: each segment's text, colours and attributes."""
    app = app_class()
    app.sub_title = sub_title
    async with app.run_test(size=(width, 6)) as pilot:
        header: Header | AppHeader = app.query_one(app_class.header_class)
        if tall:
            header.add_class("-tall")
        if hover:
            await pilot.hover(app_class.header_class, offset=(2, 1 if tall else 0))
        await pilot.pause()
        await pilot.pause()
        lines = app.screen._compositor.render_strips()[: 3 if tall else 1]
    return [[(segment.text, look(segment.style)) for segment in line] for line in lines]


def look(style) -> tuple:
    # (An attribute left unset draws as one set off.)
    return (style.color, style.bgcolor, bool(style.bold), bool(style.dim), bool(style.italic), bool(style.reverse))


@pytest.mark.parametrize("width", [80, 81, 120])
@pytest.mark.parametrize("sub_title", ["", "x", "○ connecting… · local emulator", "✖ unreachable: " + "y" * 120])
@pytest.mark.parametrize(("tall", "hover"), [(False, False), (True, False), (False, True)])
async def test_drawn_as_textuals_header(width, sub_title, tall, hover):
    expected = await drawn(Titled, width, sub_title, tall, hover)
    assert await drawn(WithAppHeader, width, sub_title, tall, hover) == expected


async def test_the_title_follows_the_sub_title():
    app = WithAppHeader()
    async with app.run_test(size=(100, 6)) as pilot:
        app.sub_title = "● reachable · local emulator"
        await pilot.pause()
        assert "tunedeck — ● reachable · local emulator" in app.screen._compositor.render_strips()[0].text


async def test_the_icon_opens_the_palette_and_a_click_elsewhere_makes_it_tall():
    app = WithAppHeader()
    async with app.run_test(size=(100, 6)) as pilot:
        header = app.query_one(AppHeader)
        await pilot.click(AppHeader, offset=(40, 0))
        assert header.has_class("-tall") and header.size.height == 3
        await pilot.click(AppHeader, offset=(2, 1))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
