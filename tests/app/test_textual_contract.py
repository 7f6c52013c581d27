"""Textual's private attributes the app's first-paint shortcut relies on (tui.app._lazy_screen).

The shortcut styles the app once and marks the first screen's styles current, so Textual
skips a full CSS refresh before the first frame. It reads `App._screen_stacks` (empty until
the first screen is built), `App._css_update_count` and `Screen._css_update_count`, and
calls `App.stylesheet.update(app)`. If a Textual release renames or reshapes any of them,
the app still works (the shortcut steps aside) but the first frame gets slower: these
tests fail so the change is noticed, as tests/jobs/test_raw_contract.py does for the SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual._context import active_app
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tui.app import _lazy_screen

seen: dict[str, object] = {}


class Plain(Screen):
    def compose(self) -> ComposeResult:
        yield Static("first frame")


_build = _lazy_screen(f"{__name__}:Plain")


def spy() -> Screen:
    """The lazy factory, with a look at what it reads just before it runs."""
    app = active_app.get()
    stacks = app._screen_stacks  # AttributeError here: Textual renamed it
    seen["stacks_dict"] = isinstance(stacks, dict)
    seen["stacks_empty"] = isinstance(stacks, dict) and not any(stacks.values())
    seen["app_count"] = app._css_update_count
    screen = _build()
    seen["screen_count"] = screen._css_update_count
    return screen


class Probe(App[None]):
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {"plain": spy}
    DEFAULT_MODE = "plain"


async def test_the_first_paint_shortcut_finds_the_internals_it_uses():
    seen.clear()
    app = Probe()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, Plain)
        assert callable(app.stylesheet.update)
    assert seen["stacks_dict"] is True, "App._screen_stacks is no longer a dict"
    assert seen["stacks_empty"] is True, "App._screen_stacks is not empty when the first screen is built"
    assert isinstance(seen["app_count"], int), "App._css_update_count is gone or not a count"
    # The shortcut ran: the new screen's styles are marked as current as the app's.
    assert seen["screen_count"] == seen["app_count"], "Screen._css_update_count was not brought up to date"

