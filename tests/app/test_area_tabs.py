"""The tab bar: the five areas and the active one at every width (80x24 too), `?` always
visible, and `esc leave field` while a text field has the focus."""

from __future__ import annotations

import pytest

from tests.app.conftest import settle
from tui.app import make_app

AREAS = ["1 Datasets", "2 Configure", "3 Monitor", "4 Playground", "5 Models"]


def tab_bar(app) -> str:
    return str(app.screen.query_one("#area-tabs").render())


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_every_area_and_the_active_one_at_every_width(manager, settings, size):
    app = make_app(settings, manager)
    async with app.run_test(size=size) as pilot:
        for key, active in zip("12345", AREAS, strict=True):
            await pilot.press("escape", key)
            await settle(app, pilot)
            bar = tab_bar(app)
            assert all(area in bar for area in AREAS), bar
            assert f"[{active}]" in bar and bar.count("[") == 1
            assert "? keys" in bar or bar.rstrip().endswith("esc leave field · ?")  # `?` is always there
            region = app.screen.query_one("#area-tabs").region
            assert region.height == 1 and region.width == size[0]


async def test_esc_leave_field_is_shown_while_a_field_has_focus(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "esc leave field" not in tab_bar(app)
        await pilot.press("o")  # the path field
        await settle(app, pilot)
        assert "esc leave field" in tab_bar(app)
        await pilot.press("escape", "2")
        await settle(app, pilot)
        if app.current_mode == "configure" and app.screen.focused is not None:
            assert "esc leave field" in tab_bar(app)
            await pilot.press("escape")
            await settle(app, pilot)
        assert "esc leave field" not in tab_bar(app), (app.current_mode, app.screen.focused)
        await pilot.press("3")
        await settle(app, pilot)
        assert app.current_mode == "monitor"


def test_a_text_field_module_still_being_imported_elsewhere_is_no_text_field(monkeypatch):
    import sys
    import types

    from textual.widgets import Input, Static

    from tui.widgets.area_tabs import TEXT_FIELDS, typing_in

    module, _name = TEXT_FIELDS[1]  # TextArea's module, as a thread that is importing it leaves it
    monkeypatch.setitem(sys.modules, module, types.ModuleType(module))  # in sys.modules, no class yet
    assert typing_in(Static("x")) is False
    assert typing_in(Input()) is True  # the loaded one still counts
    monkeypatch.delitem(sys.modules, module)
    assert typing_in(Input()) is True
