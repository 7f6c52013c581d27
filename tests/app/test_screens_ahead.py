"""Screens made ready before they are asked for (tui.screens_ahead): the Configure screen
built hidden once the first screen is complete, screens' CSS read without Textual's full
refresh, and a switch to a built screen drawn as soon as it has resumed. What is checked:
the screen built ahead is the screen built on the key (same picture, same behaviour), and
every widget of every screen is styled as a full CSS refresh styles it."""

from __future__ import annotations

from tests.app.conftest import open_sample, settle
from tui.app import TuneDeckApp, make_app
from tui.screens.configure import ConfigureScreen


async def built_ahead(app, pilot) -> ConfigureScreen:
    """Wait until the Configure screen has been built ahead (settle waits for the build)."""
    await settle(app, pilot)
    stack = app._screen_stacks.get("configure")
    assert stack, "the Configure screen was not built ahead"
    screen = stack[0]
    assert isinstance(screen, ConfigureScreen) and screen.is_mounted and app.screen is not screen
    return screen


async def configure_picture(settings, manager, monkeypatch, ahead: bool) -> str:
    monkeypatch.setattr(TuneDeckApp, "build_ahead", ahead)
    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_sample(app, pilot, "number-increment.jsonl")
        if ahead:
            await built_ahead(app, pilot)
        else:
            assert "configure" not in app._screen_stacks
        await pilot.press("2")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigureScreen)
        return app.export_screenshot()


async def test_the_configure_screen_built_ahead_looks_as_one_built_on_the_key(settings, manager, monkeypatch):
    built_on_the_key = await configure_picture(settings, manager, monkeypatch, ahead=False)
    built_before = await configure_picture(settings, manager, monkeypatch, ahead=True)
    assert built_before == built_on_the_key


async def test_the_form_built_ahead_validates_as_you_type_and_names_its_area(settings, manager):
    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_sample(app, pilot, "number-increment.jsonl")
        screen = await built_ahead(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        assert app.screen is screen
        assert "[2 Configure]" in str(screen.query_one("#area-tabs").render())
        assert app.focused is screen.query_one("#display_name")
        screen.query_one("#epochs").focus()
        await pilot.press("ctrl+u", "0")
        await settle(app, pilot)
        error = screen.query_one("#epochs-error")
        assert error.has_class("-shown") and "Epochs must be at least 1" in str(error.render())
        assert "Fix the marked fields" in str(screen.query_one("#launch-status").render())


async def test_the_hidden_screen_rests_its_cursor_until_it_is_shown(settings, manager, monkeypatch):
    monkeypatch.setattr(TuneDeckApp, "cursor_blink", True)
    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await built_ahead(app, pilot)
        name = screen.query_one("#display_name")
        assert screen.focused is name
        assert name.cursor_blink is False  # nobody sees it: no wake-ups twice a second
        await pilot.press("2")
        await settle(app, pilot)
        assert name.cursor_blink is True


def styled_as_a_full_refresh_styles_it(app) -> list[str]:
    """The widgets of the screen shown whose styles a full CSS refresh changes (none, if current)."""
    nodes = list(app.screen.walk_children(with_self=True))
    before = [node._css_styles.css for node in nodes]
    app.stylesheet.reparse()
    app.stylesheet.update(app.screen)
    return [repr(node) for node, css in zip(nodes, before, strict=True) if node._css_styles.css != css]


async def test_every_screen_shown_is_styled_as_a_full_refresh_styles_it(settings, manager):
    """Screens' CSS files are added without Textual's full refresh, and a screen built ahead is
    first shown without a restyle: no rule of one screen's file may style a widget elsewhere,
    and what is shown is always current."""
    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_sample(app, pilot, "classification.jsonl")
        await built_ahead(app, pilot)  # Configure's and the help's CSS were read while Datasets is shown
        assert styled_as_a_full_refresh_styles_it(app) == []
        for key in ("3", "2", "escape", "4", "escape", "5", "1", "question_mark", "escape", "2"):
            await pilot.press(key)
            await settle(app, pilot)
            assert styled_as_a_full_refresh_styles_it(app) == [], f"after {key}"
        assert len([stack for stack in app._screen_stacks.values() if stack]) == 5


async def test_a_widget_changed_while_its_screen_is_hidden_is_styled_when_shown_again(settings, manager):
    """The screen shown again is not restyled whole: a class given to one of its widgets while
    it was hidden must have restyled that widget then."""
    from textual.widgets import Static

    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        datasets = app.screen
        summary = datasets.query_one("#dataset-summary", Static)
        await pilot.press("2")
        await settle(app, pilot)
        summary.add_class("error-text")  # the app's red message style, given while Configure is shown
        await settle(app, pilot)
        await pilot.press("escape", "1")
        await settle(app, pilot)
        assert app.screen is datasets
        assert styled_as_a_full_refresh_styles_it(app) == []
        assert summary.styles.color == app.screen.query_one("#dataset-summary").styles.color
        await pilot.press("2", "escape", "1")
        await settle(app, pilot)
        summary.remove_class("error-text")
        assert styled_as_a_full_refresh_styles_it(app) == []


async def test_a_screen_is_built_ahead_only_when_the_app_says_so(settings, manager, monkeypatch):
    monkeypatch.setattr(TuneDeckApp, "build_ahead", False)
    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert list(app._screen_stacks) == ["datasets"]


async def test_the_textual_internals_used_are_there(settings, manager):
    """If a Textual release renames these, building ahead fails here rather than at a user's key."""
    from textual import events
    from textual.app import App
    from textual.screen import Screen

    assert callable(App._init_mode)
    assert events.ScreenResume().refresh_styles is True
    assert hasattr(App, "delay_update") and hasattr(App, "_begin_batch") and hasattr(App, "_end_batch")
    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, Screen) and hasattr(screen._compositor, "_get_renders")
        assert isinstance(screen._css_update_count, int) and isinstance(app._css_update_count, int)
