"""Screens made ready before they are asked for, so the key that opens them answers at once.

The Configure screen's first `2` took about 400 ms, and none of it was the screen's own code:

- Styles. When a mode's screen is first shown, Textual 8.2.8 reads the screen's CSS file,
  re-parses every rule of the app and restyles every widget of every screen; the new screen
  is then marked out of date, so it does all that again, and since the screen is not yet
  mounted when that second pass marks it current, once more on every later visit (150 ms
  on each visit of Configure). `style_ahead` adds the screen's file to the app's stylesheet
  before Textual looks (the rules parsed already come from the stylesheet's cache; only the
  new file is parsed) and marks the screen current; its widgets are styled as they are
  mounted, as always. So a screen's own CSS must style that screen only:
  tests/app/test_screens_ahead.py checks that every screen shown is styled as a full refresh
  styles it. The help screen's file is read the same way, ahead.
- Building. The Configure screen is ~90 widgets (the job form, the summary, header, tabs,
  footer): composing, mounting, styling, laying out and rendering them took the rest. Once
  the first screen is complete and the job manager has loaded (or failed to), `build_ahead`
  imports the screen's module in a thread, builds the screen the way Textual builds a mode's
  screen the first time it is shown (`App._init_mode`) without showing it, and lets each of
  its widgets render its lines once (into the widget's own caches). Its text cursor rests
  until the screen is shown. The key then shows a screen built already; like any screen shown
  again, it skips Textual's restyle of every widget (`AppScreen.post_message`), and the switch
  draws it as soon as it has resumed (`TuneDeckApp.release_switch_hold`) rather than after
  Textual's fixed 50 ms hold.
- Garbage collection. In the app run from the command line, which sets long-lived objects
  aside (tui/launch.py), the collector is paused while the screen is built and what was built
  is set aside after: a full collection took 40-60 ms, during the build and again at the
  first showing.

Each step of the build waits for a pause in the user's typing (QUIET_S): keys typed while a
step runs wait for it (its longest steps, mounting the composed widgets and rendering them,
take 30-100 ms, more on a loaded machine). benchmarks/bench_keys_while_building.py measures
keys typed from the first screen on.

Textual internals used: `App._init_mode`, `App._screen_stacks`, `App._css_update_count`,
`Screen._css_update_count`, `Compositor._get_renders`, `App._begin_batch`/`_end_batch`;
tests/app/test_screens_ahead.py fails if a Textual release changes them.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import import_module
from time import monotonic
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from tui.screens.base import AppScreen

if TYPE_CHECKING:
    from tui.app import TuneDeckApp

# The areas whose screens are built ahead.
AHEAD_MODES = ("configure",)
# How long the build waits for the first screen to be complete (as the job manager does).
SCREEN_WAIT_S = 2.0
# How often it looks whether the job manager has finished loading (it imports in threads).
MANAGER_POLL_S = 0.1
# How long the screen built is left to finish its first steps before its widgets render.
SETTLE_S = 0.2
# Each step of the build waits for a pause this long in the user's typing: keys typed while a
# step runs wait for it (up to 300 ms on a loaded machine).
QUIET_S = 0.5


def style_ahead(app: App, screen: Screen) -> None:
    """Add `screen`'s CSS files to `app`'s stylesheet and mark the screen's styles current."""
    stylesheet = app.stylesheet
    for path in screen.css_path:
        if not stylesheet.has_source(str(path), ""):
            stylesheet.read(path)
    screen._css_update_count = app._css_update_count


async def build_ahead(app: TuneDeckApp, modes: tuple[str, ...] = AHEAD_MODES) -> None:
    """After the first screen and the job manager: build `modes`' screens, hidden, and read the
    help screen's styles."""
    with suppress(TimeoutError):
        await asyncio.wait_for(app.first_screen_shown.wait(), SCREEN_WAIT_S)
    # google-genai loads in a thread: the interpreter's lock would slow both.
    while any(worker.group == "manager-open" and not worker.is_finished for worker in app.workers):
        await asyncio.sleep(MANAGER_POLL_S)
    # tui/launch.py pauses the collector until the first screen is complete, then sets aside
    # what exists and lets it run: the build's own pause comes after.
    while app.sets_aside_long_lived and not gc.isenabled():
        await asyncio.sleep(MANAGER_POLL_S)
    await typing_paused(app)
    with collections_paused(app.sets_aside_long_lived):
        help_module = await asyncio.to_thread(import_module, "tui.screens.help")
        style_ahead(app, help_module.HelpScreen([]))
        for mode in modes:
            await build_hidden(app, mode)


async def build_hidden(app: TuneDeckApp, mode: str) -> None:
    """Build `mode`'s screen as Textual builds it when it is first shown, without showing it."""
    factory = app.MODES[mode]
    module = getattr(factory, "module", None)
    if module is not None:
        await asyncio.to_thread(import_module, module)
    await typing_paused(app)
    if mode in app._screen_stacks or not app.is_running:  # shown already, or quitting
        return
    await app._init_mode(mode)
    screen = app._screen_stacks[mode][0]
    await asyncio.sleep(SETTLE_S)  # its widgets' own first steps (mount, focus, resize) run meanwhile
    if screen.is_current:  # asked for meanwhile: shown the usual way
        return
    app.rest_cursor(screen)
    await typing_paused(app)
    if screen.is_current:
        return
    # Each widget renders its lines once now, into its own caches: the first frame shown then
    # only puts them together (the screen's compositor is left as it is).
    for _ in screen._compositor._get_renders():
        pass
    if isinstance(screen, AppScreen):
        screen.hidden_with_focus = app.app_focus  # its first showing restyles nothing (AppScreen)


async def typing_paused(app: TuneDeckApp) -> None:
    """Wait until no key has come for QUIET_S."""
    while (wait := app.last_key_at + QUIET_S - monotonic()) > 0:
        await asyncio.sleep(wait)


@contextmanager
def collections_paused(set_aside: bool) -> Iterator[None]:
    """While screens are built, no garbage collection; after, what was built is set aside.

    Only where the app sets long-lived objects aside (`set_aside`: tui/launch.py, the app run
    from the command line, with `gc.freeze`): a full collection over the objects not set aside
    took 40-60 ms, once while the screen was built and once more when it was first shown.
    Elsewhere (tests) the collector is left alone."""
    if not set_aside:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
