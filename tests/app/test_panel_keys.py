"""Moving between the Datasets panels rebuilds nothing that stays the same: the footer is one
widget that only draws its line again (Textual's footer would mount its keys again, a
whole-screen layout each, at every focus move), and an opened dataset's objects are set aside
from the garbage collector's full passes, which otherwise held a key's frame for 100-400 ms."""

from __future__ import annotations

import asyncio
import gc

from textual.app import App
from textual.screen import Screen

from tests.app.conftest import SIZE, open_sample, settle
from tui.app import make_app
from tui.launch import set_aside_long_lived
from tui.widgets.key_footer import KeyFooter


def footer_keys(footer: KeyFooter) -> list[str]:
    shown, _palette = footer.keys()
    return [key.description for key in shown]


async def test_the_footer_keeps_its_keys_when_they_stay_the_same(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "classification.jsonl")
        await settle(app, pilot)
        footer = app.screen.query_one(KeyFooter)
        keys = footer_keys(footer)
        assert keys[:3] == ["Open path", "Browse", "Samples"]
        for key in ("f", "t", "e", "right_square_bracket", "left_square_bracket", "t"):
            await pilot.press(key)
            await settle(app, pilot)
        assert app.screen.query_one("#dataset-tabs").active == "stats"
        assert app.screen.query_one(KeyFooter) is footer and not footer.children  # one widget, not rebuilt
        assert footer_keys(footer) == keys

        # The path field takes the focus: `esc leave field` joins the keys, and leaves with it.
        await pilot.press("o")
        await settle(app, pilot)
        assert "leave field" in footer_keys(footer)
        await pilot.press("escape")
        await settle(app, pilot)
        assert "leave field" not in footer_keys(footer)


async def test_an_opened_dataset_is_set_aside_from_full_collections(manager, settings):
    app = make_app(settings, manager)
    set_aside_long_lived(app)  # as `tunedeck` does
    try:
        async with app.run_test(size=SIZE) as pilot:
            await open_sample(app, pilot, "classification.jsonl")
            await settle(app, pilot)
            await pilot.pause()
            report = app.dataset.report
            table = app.screen.query_one("#findings-table")
            unfrozen = {id(o) for o in gc.get_objects()}  # what full passes still walk
            assert id(report) not in unfrozen and id(table) not in unfrozen
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual


async def test_the_datasets_screen_is_drawn_when_shown_again(manager, settings):
    """Textual switches areas inside a short pause of updates and drops the refresh the screen
    asks for then; when everything else the switch sets off also falls inside the pause (as in
    a busy terminal), nothing draws the screen afterwards. Back from Configure, the Datasets
    screen must be drawn once the pause is over, whatever else happened during it."""
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "classification.jsonl")
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("escape")  # out of the first field: `1` is a key again
        await settle(app, pilot)
        drawn: list[str] = []  # the screens of the frames sent to the terminal
        display = App._display

        def counting(self: App, screen: Screen, renderable) -> None:
            if renderable is not None and not self._batch_count:
                drawn.append(type(screen).__name__)
            display(self, screen, renderable)

        App._display = counting
        try:
            with app.batch_update():  # a pause of updates long enough to hold all the switch sets off
                await pilot.press("1")
                for _ in range(20):
                    await asyncio.sleep(0.025)
            assert app.current_mode == "datasets" and "DatasetsScreen" not in drawn
            # Plain sleeps: Pilot.pause would draw the screen itself and hide one that never wakes.
            for _ in range(200):
                await asyncio.sleep(0.025)
                if "DatasetsScreen" in drawn:
                    break
        finally:
            App._display = display
        assert "DatasetsScreen" in drawn, "the Datasets screen was not drawn after coming back to it"
